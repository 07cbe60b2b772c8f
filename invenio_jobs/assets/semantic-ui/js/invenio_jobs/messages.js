/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */

// Translations of the jobs pages, by language. The keys are the English
// text; en.json only holds English plural forms.

import de from "./messages/de.json";
import en from "./messages/en.json";

export const translations = {
  en: { translation: en },
  de: { translation: de },
};
