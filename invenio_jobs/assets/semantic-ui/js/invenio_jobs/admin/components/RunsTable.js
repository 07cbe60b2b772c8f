/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// A job's runs as a table, with pages: one component for the admin job page
// and the curator's, so that both show a run the same way. The admin page
// shows more of each run (how it was triggered, its pool wait, the run it
// ran after, its end); Stop is offered to those who may stop runs.

import React from "react";
import PropTypes from "prop-types";
import { Label, Segment, Table } from "semantic-ui-react";
import { i18next } from "../../i18next";
import {
  AfterRunLink,
  PageLinks,
  PoolWait,
  RunProgress,
  StatusLabel,
  Time,
  exactTime,
  fillPath,
  firstLine,
  formatDuration,
  isActive,
  runSeconds,
  startedBy,
  triggerText,
} from "./format";
import { StopButton } from "./StopButton";

// What a run's row calls it: its title; a manual run without one is a
// "Manual run", any other the job's title.
function runName(run, job) {
  if (run.title) return run.title;
  if (run.trigger === "manual") return i18next.t("Manual run");
  return job.title;
}

// How the run came and what it waits for: the admin page's detail.
function RunNotes({ run, config }) {
  return (
    <>
      {run.trigger && run.trigger !== "manual" && (
        <Label size="mini" basic className="jobs-trigger" content={triggerText(run.trigger)} />
      )}
      {run.pool_wait && (
        <div>
          <PoolWait wait={run.pool_wait} />
        </div>
      )}
      <AfterRunLink run={run} config={config} />
      {run.status === "QUEUED" && run.trigger === "manual" && run.scheduled_at && (
        <div className="jobs-run-waits">
          {i18next.t("Scheduled for {{time}}", { time: exactTime(run.scheduled_at) })}
        </div>
      )}
    </>
  );
}

RunNotes.propTypes = { run: PropTypes.object.isRequired, config: PropTypes.object.isRequired };

function RunRow({ run, job, config, api, detailed, canStop, onChanged, onError }) {
  const page = fillPath(config.pages.run, { id: run.job_id, run_id: run.id });
  return (
    <Table.Row className="jobs-run-row" data-run-id={run.id} data-status={run.status}>
      <Table.Cell collapsing className="jobs-run-number">
        {run.number ? `#${run.number}` : ""}
      </Table.Cell>
      <Table.Cell collapsing>
        <StatusLabel status={run.status} />
      </Table.Cell>
      <Table.Cell>
        <a href={page} className="jobs-run-link">
          {runName(run, job)}
        </a>
        {detailed && <RunNotes run={run} config={config} />}
        {isActive(run) && <RunProgress run={run} />}
      </Table.Cell>
      <Table.Cell>{startedBy(run)}</Table.Cell>
      <Table.Cell>
        <Time value={run.started_at} />
      </Table.Cell>
      {detailed && (
        <Table.Cell>
          <Time value={run.finished_at} />
        </Table.Cell>
      )}
      <Table.Cell>{formatDuration(runSeconds(run))}</Table.Cell>
      <Table.Cell className="jobs-message">{firstLine(run.message)}</Table.Cell>
      <Table.Cell collapsing>
        {canStop && isActive(run) && (
          <StopButton run={run} api={api} onStopped={onChanged} onError={onError} />
        )}
      </Table.Cell>
    </Table.Row>
  );
}

RunRow.propTypes = {
  run: PropTypes.object.isRequired,
  job: PropTypes.object.isRequired,
  config: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  detailed: PropTypes.bool.isRequired,
  canStop: PropTypes.bool.isRequired,
  onChanged: PropTypes.func.isRequired,
  onError: PropTypes.func.isRequired,
};

export function RunsTable({
  runs,
  job,
  config,
  api,
  detailed,
  canStop,
  page,
  pages,
  onPageChange,
  onChanged,
  onError,
}) {
  return (
    <Segment basic className="jobs-runs">
      <Table compact celled className="jobs-runs-table">
        <Table.Header>
          <Table.Row>
            <Table.HeaderCell>
              <abbr title={i18next.t("Number of the run within its job")}>#</abbr>
            </Table.HeaderCell>
            <Table.HeaderCell>{i18next.t("Status")}</Table.HeaderCell>
            <Table.HeaderCell>{i18next.t("Title")}</Table.HeaderCell>
            <Table.HeaderCell>{i18next.t("Started by")}</Table.HeaderCell>
            <Table.HeaderCell>{i18next.t("Started")}</Table.HeaderCell>
            {detailed && <Table.HeaderCell>{i18next.t("Finished")}</Table.HeaderCell>}
            <Table.HeaderCell>{i18next.t("Duration")}</Table.HeaderCell>
            <Table.HeaderCell>{i18next.t("Message")}</Table.HeaderCell>
            <Table.HeaderCell>
              <span className="jobs-sr-only">{i18next.t("Actions")}</span>
            </Table.HeaderCell>
          </Table.Row>
        </Table.Header>
        <Table.Body>
          {runs.map((run) => (
            <RunRow
              key={run.id}
              run={run}
              job={job}
              config={config}
              api={api}
              detailed={detailed}
              canStop={canStop}
              onChanged={onChanged}
              onError={onError}
            />
          ))}
        </Table.Body>
      </Table>
      {pages > 1 && (
        <PageLinks
          label={i18next.t("Pages of runs")}
          activePage={page}
          totalPages={pages}
          onPageChange={(e, { activePage }) => onPageChange(activePage)}
        />
      )}
    </Segment>
  );
}

RunsTable.propTypes = {
  runs: PropTypes.arrayOf(PropTypes.object).isRequired,
  job: PropTypes.object.isRequired,
  config: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  // The admin page's detail of each run: trigger, waits, end.
  detailed: PropTypes.bool,
  canStop: PropTypes.bool,
  page: PropTypes.number.isRequired,
  pages: PropTypes.number.isRequired,
  onPageChange: PropTypes.func.isRequired,
  onChanged: PropTypes.func.isRequired,
  onError: PropTypes.func.isRequired,
};

RunsTable.defaultProps = { detailed: false, canStop: false };
