/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// Mount a page's React app on the element its template rendered.

import React from "react";
import ReactDOM from "react-dom";
import { I18nextProvider } from "react-i18next";
import { i18next } from "../../i18next";
import { createApi } from "../api";

export function mountPage(Page) {
  const element = document.getElementById("invenio-jobs-app");
  if (!element) return;
  const config = JSON.parse(element.dataset.config);
  const jobId = JSON.parse(element.dataset.jobId || "null");
  const runId = JSON.parse(element.dataset.runId || "null");
  const api = createApi(config.api);
  ReactDOM.render(
    <I18nextProvider i18n={i18next}>
      <Page config={config} api={api} jobId={jobId} runId={runId} />
    </I18nextProvider>,
    element
  );
}
