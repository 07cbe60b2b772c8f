/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// The REST API as the admin pages use it: same origin, the administrator's
// session, and the CSRF token that invenio-rest expects on writes.

import axios from "axios";

export function createApi(prefix) {
  const http = axios.create({
    baseURL: prefix,
    withCredentials: true,
    xsrfCookieName: "csrftoken",
    xsrfHeaderName: "X-CSRFToken",
    // The API answers (its messages) in the language of the page.
    headers: {
      Accept: "application/json",
      "Content-Type": "application/json",
      "Accept-Language": document.documentElement.lang || "en",
      // The jobs' history records that a change was made on these pages.
      "X-Jobs-Client": "ui",
    },
  });
  const data = (promise) => promise.then((response) => response.data);
  const jobPath = (id) => `/jobs/${encodeURIComponent(id)}`;
  const runPath = (jobId, runId) =>
    `${jobPath(jobId)}/runs/${encodeURIComponent(runId)}`;
  return {
    listJobs: (params) => data(http.get("/jobs", { params })),
    getJob: (id) => data(http.get(jobPath(id))),
    createJob: (job) => data(http.post("/jobs", job)),
    updateJob: (id, job) => data(http.put(jobPath(id), job)),
    deleteJob: (id) => http.delete(jobPath(id)),
    previewSchedule: (schedule, ignoreWindows = false) =>
      data(
        http.post("/jobs/schedule-preview", {
          schedule,
          ignore_maintenance_windows: ignoreWindows,
        })
      ),
    getPause: () => data(http.get("/jobs/pause")),
    pauseAll: (body) => data(http.post("/jobs/actions/pause", body)),
    resumeAll: () => data(http.post("/jobs/actions/resume")),
    listWindows: () => data(http.get("/jobs/maintenance-windows")),
    createWindow: (window) => data(http.post("/jobs/maintenance-windows", window)),
    updateWindow: (id, window) =>
      data(http.put(`/jobs/maintenance-windows/${encodeURIComponent(id)}`, window)),
    deleteWindow: (id) =>
      http.delete(`/jobs/maintenance-windows/${encodeURIComponent(id)}`),
    getAlerts: (id) => data(http.get(`${jobPath(id)}/alerts`)),
    getHistory: (id, params) => data(http.get(`${jobPath(id)}/history`, { params })),
    cloneJob: (id) => data(http.post(`${jobPath(id)}/actions/clone`)),
    listTasks: () => data(http.get("/tasks", { params: { size: 100 } })),
    taskArguments: (taskId) =>
      data(http.get(`/tasks/${encodeURIComponent(taskId)}/form`)),
    listRuns: (jobId, params) =>
      data(http.get(`${jobPath(jobId)}/runs`, { params })),
    getRun: (jobId, runId) => data(http.get(runPath(jobId, runId))),
    startRun: (jobId, run) => data(http.post(`${jobPath(jobId)}/runs`, run)),
    stopRun: (jobId, runId) =>
      data(http.post(`${runPath(jobId, runId)}/actions/stop`)),
    runAgain: (jobId, runId) =>
      data(http.post(`${runPath(jobId, runId)}/actions/run-again`)),
    tailLog: (jobId, runId, params) =>
      data(http.get(`${runPath(jobId, runId)}/logs`, { params })),
    searchLogs: (params) => data(http.get("/logs/jobs", { params })),
    getStats: (window) => data(http.get("/jobs/stats", { params: { window } })),
    logTextUrl: (jobId, runId) => `${prefix}${runPath(jobId, runId)}/logs.txt`,
    listPools: () => data(http.get("/jobs/pools")),
    createPool: (pool) => data(http.post("/jobs/pools", pool)),
    updatePool: (name, pool) =>
      data(http.put(`/jobs/pools/${encodeURIComponent(name)}`, pool)),
    deletePool: (name) => http.delete(`/jobs/pools/${encodeURIComponent(name)}`),

    getAccess: (id) => data(http.get(`${jobPath(id)}/access`)),
    putAccess: (id, grants) => data(http.put(`${jobPath(id)}/access`, { grants })),
  };
}

// The message and the errors by field of a failed request.
export function describeError(error) {
  const body = error && error.response && error.response.data;
  const fields = {};
  if (body && Array.isArray(body.errors)) {
    body.errors.forEach(({ field, messages }) => {
      const text = Array.isArray(messages) ? messages.join(" ") : String(messages);
      fields[field] = fields[field] ? `${fields[field]} ${text}` : text;
    });
  }
  const message =
    (body && body.message) || (error && error.message) || String(error);
  return { message, fields, status: error && error.response && error.response.status };
}
