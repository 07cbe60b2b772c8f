/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// The i18next instance of the jobs pages. Messages are keyed by their
// English text; a language without a translation shows the English one.

import i18n from "i18next";
import { initReactI18next } from "react-i18next";

import { translations } from "./messages";

const language = (document.documentElement.lang || "en").split("-")[0];

i18n.use(initReactI18next).init({
  resources: translations,
  lng: language,
  fallbackLng: "en",
  keySeparator: false,
  nsSeparator: false,
  returnEmptyString: false,
  interpolation: { escapeValue: false },
  react: { useSuspense: false },
});

export const i18next = i18n;
