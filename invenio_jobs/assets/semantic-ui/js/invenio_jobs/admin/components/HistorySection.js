/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */

// The "History" section of a job's page: every change to the job and every
// action on its runs, newest first, with who did it, when and through what.
// A table with a caption and column headers, paged with real links, so that
// screen readers and the keyboard reach all of it.

import React, { useCallback, useEffect, useState } from "react";
import PropTypes from "prop-types";
import { Header, Message, Table } from "semantic-ui-react";
import { i18next } from "../../i18next";
import { describeError } from "../api";
import { PageLinks, Time } from "./format";

const HISTORY_PAGE_SIZE = 10;

const ACTIONS = {
  created: () => i18next.t("Created the job"),
  updated: () => i18next.t("Changed the job"),
  activated: () => i18next.t("Activated the job"),
  deactivated: () => i18next.t("Deactivated the job"),
  run_as_changed: () => i18next.t("Changed whom the runs execute as"),
  deleted: () => i18next.t("Deleted the job"),
  granted: () => i18next.t("Granted access"),
  revoked: () => i18next.t("Revoked access"),
  run_started: () => i18next.t("Started a run"),
  run_again: () => i18next.t("Ran a run again"),
  run_stopped: () => i18next.t("Stopped a run"),
};

const SOURCES = {
  ui: () => i18next.t("admin pages"),
  api: () => i18next.t("REST API"),
  cli: () => i18next.t("command line"),
  import: () => i18next.t("import"),
  system: () => i18next.t("system"),
};

// A value of a changed field, short enough for a table cell.
function shown(value) {
  if (value === null || value === undefined || value === "") return "-";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function userText(user) {
  if (!user) return i18next.t("System");
  return user.email || `#${user.id}`;
}

function ChangeDetails({ event }) {
  const details = event.details || {};
  if (event.action === "updated") {
    return (
      <ul className="jobs-history-changes">
        {Object.entries(details).map(([field, change]) => (
          <li key={field}>
            <code>{field}</code>: {shown(change.old)} → {shown(change.new)}
          </li>
        ))}
      </ul>
    );
  }
  if (event.action === "run_as_changed") {
    const change = details.run_as || {};
    return (
      <span>
        {change.old ? userText(change.old) : i18next.t("nobody")} →{" "}
        {change.new ? userText(change.new) : i18next.t("nobody")}
      </span>
    );
  }
  if (["run_started", "run_again", "run_stopped"].includes(event.action)) {
    return (
      <span>
        {details.run_number ? `#${details.run_number}` : ""}
        {details.source_run_number && (
          <span className="jobs-history-again-of">
            {" "}
            {i18next.t("(a repeat of #{{number}})", { number: details.source_run_number })}
          </span>
        )}
        {details.args && (
          <>
            {" "}
            <code className="jobs-history-args">{JSON.stringify(details.args)}</code>
          </>
        )}
      </span>
    );
  }
  if (event.action === "granted" || event.action === "revoked") {
    const subject = details.subject || {};
    return (
      <span>
        {subject.type} {subject.id}: {details.permission}
      </span>
    );
  }
  return null;
}

ChangeDetails.propTypes = { event: PropTypes.object.isRequired };

export function HistorySection({ api, jobId, refreshKey }) {
  const [history, setHistory] = useState(null);
  const [page, setPage] = useState(1);
  const [error, setError] = useState(null);

  const load = useCallback(async () => {
    try {
      setHistory(await api.getHistory(jobId, { page, size: HISTORY_PAGE_SIZE }));
      setError(null);
    } catch (err) {
      setError(describeError(err).message);
    }
  }, [api, jobId, page]);

  useEffect(() => {
    load();
  }, [load, refreshKey]);

  const total = history ? history.hits.total : 0;
  const pages = Math.max(1, Math.ceil(total / HISTORY_PAGE_SIZE));
  return (
    <section className="jobs-history" aria-labelledby="jobs-history-header">
      <Header as="h2" id="jobs-history-header">
        {i18next.t("History")}
      </Header>
      {error && <Message negative size="small" content={error} />}
      {history && history.hits.hits.length === 0 && (
        <Message info content={i18next.t("Nothing has happened to this job yet.")} />
      )}
      {history && history.hits.hits.length > 0 && (
        <>
          <Table compact celled className="jobs-history-table">
            <Table.Header>
              <Table.Row>
                <Table.HeaderCell>{i18next.t("When")}</Table.HeaderCell>
                <Table.HeaderCell>{i18next.t("Who")}</Table.HeaderCell>
                <Table.HeaderCell>{i18next.t("Through")}</Table.HeaderCell>
                <Table.HeaderCell>{i18next.t("What")}</Table.HeaderCell>
                <Table.HeaderCell>{i18next.t("Details")}</Table.HeaderCell>
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {history.hits.hits.map((event) => (
                <Table.Row key={event.id} className="jobs-history-row" data-action={event.action}>
                  <Table.Cell>
                    <Time value={event.created} />
                  </Table.Cell>
                  <Table.Cell>{userText(event.user)}</Table.Cell>
                  <Table.Cell>
                    {SOURCES[event.source] ? SOURCES[event.source]() : event.source}
                  </Table.Cell>
                  <Table.Cell>
                    {ACTIONS[event.action] ? ACTIONS[event.action]() : event.action}
                  </Table.Cell>
                  <Table.Cell>
                    <ChangeDetails event={event} />
                  </Table.Cell>
                </Table.Row>
              ))}
            </Table.Body>
          </Table>
          {pages > 1 && (
            <PageLinks
              label={i18next.t("Pages of the history")}
              activePage={page}
              totalPages={pages}
              onPageChange={(e, { activePage }) => setPage(activePage)}
            />
          )}
        </>
      )}
    </section>
  );
}

HistorySection.propTypes = {
  api: PropTypes.object.isRequired,
  jobId: PropTypes.string.isRequired,
  refreshKey: PropTypes.any,
};

HistorySection.defaultProps = { refreshKey: null };
