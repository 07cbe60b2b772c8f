/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// Translations of the jobs pages, by language. English is the source text.

import de from "./messages/de.json";

export const translations = {
  en: { translation: {} },
  de: { translation: de },
};
