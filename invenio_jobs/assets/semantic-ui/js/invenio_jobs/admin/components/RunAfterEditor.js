// This file is part of invenio-jobs.
// Copyright (C) 2026 The invenio-jobs authors.
//
// invenio-jobs is free software; you can redistribute it and/or modify it
// under the terms of the MIT License; see LICENSE file for more details.

// "Run after" in the job form: the jobs a job starts after, picked by title,
// the statuses of their ends that count, any or all of them, and a delay.

import PropTypes from "prop-types";
import React, { useEffect, useState } from "react";
import { Form, Header, Segment } from "semantic-ui-react";

import { i18next } from "../../i18next";
import { describeError } from "../api";
import { STATUS } from "./format";

export const DEFAULT_AFTER_STATUSES = ["SUCCESS", "PARTIAL_SUCCESS"];
const FINISHED = ["SUCCESS", "PARTIAL_SUCCESS", "FAILED", "CANCELLED", "WARNING"];

// The editor's state of a job's stored ``run_after``.
export function runAfterToState(runAfter) {
  const links = (runAfter && runAfter.jobs) || [];
  return {
    ids: links.map((link) => link.id),
    statuses: links.length ? links[0].statuses : DEFAULT_AFTER_STATUSES,
    mode: (runAfter && runAfter.mode) || "any",
    delay: String((runAfter && runAfter.delay_seconds) || 0),
  };
}

// The ``run_after`` to save: null when the job runs after no job.
export function stateToRunAfter(state) {
  if (!state.ids.length) return null;
  return {
    jobs: state.ids.map((id) => ({ id, statuses: state.statuses })),
    mode: state.mode,
    delay_seconds: state.delay === "" ? 0 : Number(state.delay),
  };
}

export function RunAfterEditor({ api, jobId, value, errors, onChange }) {
  const [jobs, setJobs] = useState([]);
  const [problem, setProblem] = useState(null);
  useEffect(() => {
    api
      .listJobs({ size: 100 })
      .then((result) => setJobs(result.hits.hits.filter((each) => each.id !== jobId)))
      .catch((error) => setProblem(describeError(error).message));
  }, [api, jobId]);

  const errorText = Object.entries(errors)
    .filter(([field]) => field.startsWith("run_after"))
    .map(([, text]) => text)
    .join(" ");
  const set = (changes) => onChange({ ...value, ...changes });
  return (
    <Segment className="jobs-run-after-segment">
      <Header as="h4" dividing>
        {i18next.t("Run after")}
      </Header>
      <Form.Dropdown
        multiple
        selection
        search
        closeOnChange
        name="run_after_jobs"
        id="job-run-after"
        aria-label={i18next.t("Run after these jobs")}
        searchInput={{ "aria-label": i18next.t("Run after these jobs") }}
        label={i18next.t("Run after these jobs")}
        placeholder={i18next.t("Search jobs by title")}
        noResultsMessage={problem || i18next.t("No job has this title")}
        value={value.ids}
        error={errorText ? { content: errorText, pointing: "above" } : undefined}
        options={jobs.map((each) => ({ key: each.id, value: each.id, text: each.title }))}
        onChange={(e, { value: ids }) => set({ ids })}
      />
      <Form.Group widths="equal">
        <Form.Dropdown
          multiple
          selection
          name="run_after_statuses"
          id="job-run-after-statuses"
          aria-label={i18next.t("When they end with")}
          label={i18next.t("When they end with")}
          value={value.statuses}
          disabled={!value.ids.length}
          options={FINISHED.map((status) => ({
            key: status,
            value: status,
            text: STATUS[status].text(),
          }))}
          onChange={(e, { value: statuses }) => set({ statuses })}
        />
        <Form.Dropdown
          selection
          name="run_after_mode"
          id="job-run-after-mode"
          aria-label={i18next.t("Start")}
          label={i18next.t("Start")}
          value={value.mode}
          disabled={!value.ids.length}
          options={[
            { key: "any", value: "any", text: i18next.t("After any of them ends") },
            {
              key: "all",
              value: "all",
              text: i18next.t("After all of them have ended since its last run"),
            },
          ]}
          onChange={(e, { value: mode }) => set({ mode })}
        />
        <Form.Input
          type="number"
          min={0}
          name="run_after_delay"
          id="job-run-after-delay"
          label={i18next.t("Delay (seconds)")}
          value={value.delay}
          disabled={!value.ids.length}
          onChange={(e, { value: delay }) => set({ delay })}
        />
      </Form.Group>
    </Segment>
  );
}

RunAfterEditor.propTypes = {
  api: PropTypes.object.isRequired,
  jobId: PropTypes.string,
  value: PropTypes.object.isRequired,
  errors: PropTypes.object.isRequired,
  onChange: PropTypes.func.isRequired,
};
RunAfterEditor.defaultProps = { jobId: null };
