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

// Semantic UI React gives a closed selection dropdown the role of a listbox
// whose only children are its shown value, marked as an ARIA alert (screen
// readers then announce it twice), and its hidden options. As a combobox
// whose menu is the listbox, it is what ARIA describes and readers expect.
function repairDropdowns() {
  document
    .querySelectorAll(".ui.dropdown > .text[role='alert']")
    .forEach((text) => {
      text.removeAttribute("role");
      text.removeAttribute("aria-live");
      text.removeAttribute("aria-atomic");
    });
  document.querySelectorAll(".ui.dropdown[role='listbox']").forEach((dropdown) => {
    dropdown.setAttribute("role", "combobox");
    const menu = dropdown.querySelector(":scope > .menu");
    if (menu) {
      menu.setAttribute("role", "listbox");
      const name = dropdown.getAttribute("aria-label");
      if (name) menu.setAttribute("aria-label", name);
      if (dropdown.hasAttribute("aria-multiselectable")) {
        menu.setAttribute("aria-multiselectable", dropdown.getAttribute("aria-multiselectable"));
        dropdown.removeAttribute("aria-multiselectable");
      }
    }
  });
}

export function mountPage(Page) {
  const element = document.getElementById("invenio-jobs-app");
  if (!element) return;
  new MutationObserver(repairDropdowns).observe(document.body, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["role"],
  });
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
