/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// One run: its status, times, who started it, arguments, counters and
// progress, its message (a failure's error line: the traceback is in the
// log), and its live log.

import React, { useCallback, useEffect, useState } from "react";
import PropTypes from "prop-types";
import {
  Button,
  Grid,
  Header,
  Loader,
  Message,
  Segment,
  Table,
} from "semantic-ui-react";
import { i18next } from "../i18next";
import { describeError } from "./api";
import { ConfirmDialog, useAction } from "./components/actions";
import {
  AfterRunLink,
  Breadcrumb,
  RunProgress,
  SettingRow,
  PoolWait,
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
} from "./components/format";
import { mountPage } from "./components/mount";
import { RunLog } from "./components/RunLog";
import { StopButton } from "./components/StopButton";
import { usePolling } from "./components/usePolling";


const WhenCell = ({ value }) =>
  value ? (
    <>
      {exactTime(value)} (<Time value={value} />)
    </>
  ) : (
    "-"
  );

WhenCell.propTypes = { value: PropTypes.string };
WhenCell.defaultProps = { value: null };

// What a run is called: its title; a manual run without one is a "Manual run"
// (what the run form's placeholder promises), any other the job's title.
function runName(run, job) {
  if (run.title) return run.title;
  if (run.trigger === "manual") return i18next.t("Manual run");
  return job ? job.title : i18next.t("Run");
}

// A queue as the job's page names it: its title from JOBS_QUEUES.
function queueTitle(config, name) {
  const queue = (config.queues || []).find((q) => q.name === name);
  return queue ? queue.title : name;
}

const TRACEBACK = "Traceback (most recent call last)";

// The log line the page is opened at: #line-<id>, where a log search links.
function lineOfAddress() {
  const match = /^#line-(\d+)$/.exec(window.location.hash);
  return match ? Number(match[1]) : null;
}

// A failure's message is "Error: text" then its traceback, which the log
// holds too: show the error alone, and say where the traceback is.
function RunMessage({ run }) {
  if (!run.message) return null;
  const traced = run.message.includes(TRACEBACK);
  return (
    <Segment className="jobs-run-message">
      <Header as="h4">{i18next.t("Message")}</Header>
      <pre className="jobs-code">{traced ? firstLine(run.message) : run.message}</pre>
      {traced && (
        <div className="jobs-muted jobs-traceback-note">
          {i18next.t("The traceback is in the log below.")}
        </div>
      )}
    </Segment>
  );
}

RunMessage.propTypes = { run: PropTypes.object.isRequired };

// What the colours of the progress bar mean, with the figures behind them.
function ProgressLegend({ run }) {
  const done = (run.inserted_entries || 0) + (run.updated_entries || 0);
  const errored = run.errored_entries || 0;
  if (!run.total_entries && !done && !errored) return null;
  return (
    <div className="jobs-progress-legend jobs-muted">
      {errored
        ? i18next.t(
            "The bar counts entries processed: {{done}} written and {{errored}} with errors (orange when any entry has one), of {{total}}.",
            { done, errored, total: run.total_entries ?? "?" }
          )
        : i18next.t("The bar counts entries processed: {{done}} written, of {{total}}.", {
            done,
            total: run.total_entries ?? "?",
          })}
    </div>
  );
}

ProgressLegend.propTypes = { run: PropTypes.object.isRequired };

// Run the job again with this run's arguments, title and queue (the server
// copies them, and the history records which run was run again); confirm
// first, then open the new run.
function RunAgainButton({ run, api, config }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState(null);
  const [busy, send] = useAction(
    async () => {
      const started = await api.runAgain(run.job_id, run.id);
      window.location.assign(fillPath(config.pages.run, { id: run.job_id, run_id: started.id }));
    },
    (described) => setError(described.message)
  );
  const start = () => {
    setError(null);
    send();
  };
  return (
    <>
      <Button
        size="small"
        icon="redo"
        labelPosition="left"
        className="jobs-run-again"
        content={i18next.t("Run again")}
        onClick={() => setOpen(true)}
      />
      <ConfirmDialog
        name="jobs-run-again"
        open={open}
        header={i18next.t("Run again with the same arguments?")}
        question={i18next.t("A new run starts now on the queue {{queue}}, with these arguments:", {
          queue: queueTitle(config, run.queue),
        })}
        action={i18next.t("Run again")}
        error={error}
        busy={busy}
        onConfirm={start}
        onCancel={() => {
          setOpen(false);
          setError(null);
        }}
      >
        <pre className="jobs-code">{JSON.stringify(run.args || {}, null, 2)}</pre>
      </ConfirmDialog>
    </>
  );
}

RunAgainButton.propTypes = {
  run: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  config: PropTypes.object.isRequired,
};

function RunPage({ config, api, jobId, runId }) {
  const [run, setRun] = useState(null);
  const [job, setJob] = useState(null);
  const [error, setError] = useState(null);
  const [notFound, setNotFound] = useState(false);
  const [targetLine, setTargetLine] = useState(lineOfAddress);

  useEffect(() => {
    const onHash = () => setTargetLine(lineOfAddress());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  const loadRun = useCallback(async () => {
    try {
      setRun(await api.getRun(jobId, runId));
    } catch (err) {
      const described = describeError(err);
      if (described.status === 404) setNotFound(true);
      else setError(described.message);
    }
  }, [api, jobId, runId]);

  useEffect(() => {
    loadRun();
    api.getJob(jobId).then(setJob).catch(() => setJob(null));
  }, [api, jobId, loadRun]);

  usePolling(loadRun, config.refresh_ms, isActive(run));

  // The log's tail reports the status too: reload the run when it changes.
  const onStatus = useCallback(
    (status) => {
      if (run && status !== run.status) loadRun();
    },
    [run, loadRun]
  );

  if (notFound) {
    return (
      <Message negative>
        <Message.Header>{i18next.t("This run does not exist.")}</Message.Header>
        <a href={fillPath(config.pages.job, { id: jobId })}>{i18next.t("Back to the job")}</a>
      </Message>
    );
  }
  if (!run) return error ? <Message negative content={error} /> : <Loader active inline="centered" />;

  const jobPage = fillPath(config.pages.job, { id: jobId });
  // A curator's page says whether they may start and stop runs; the admin pages may.
  const mayRun = config.can_run !== false;
  const counters = [
    [i18next.t("Total"), run.total_entries],
    [i18next.t("Inserted"), run.inserted_entries],
    [i18next.t("Updated"), run.updated_entries],
    [i18next.t("Errored"), run.errored_entries],
  ];
  const number = run.number ? `#${run.number}` : null;
  return (
    <div className="jobs-run-page">
      <Breadcrumb
        links={[
          { href: config.pages.list, text: i18next.t("Jobs") },
          { href: jobPage, text: job ? job.title : i18next.t("Job"), className: "jobs-job-link" },
        ]}
        current={number || i18next.t("Subtask")}
        currentClass="jobs-run-crumb"
      />
      <Grid columns={2} verticalAlign="middle">
        <Grid.Column width={11}>
          <Header as="h1" className="jobs-run-title">
            {number && <span className="jobs-run-number">{number}</span>} {runName(run, job)}{" "}
            <StatusLabel status={run.status} size="medium" />
          </Header>
        </Grid.Column>
        <Grid.Column width={5} textAlign="right">
          {mayRun && isActive(run) && (
            <StopButton run={run} api={api} onStopped={setRun} onError={setError} size="small" />
          )}
          {mayRun && !isActive(run) && !run.parent_run_id && (
            <RunAgainButton run={run} api={api} config={config} />
          )}
        </Grid.Column>
      </Grid>
      {error && <Message negative content={error} onDismiss={() => setError(null)} />}
      {run.status === "CANCELLING" && (
        <Message warning className="jobs-stopping" role="status">
          <Message.Header>{i18next.t("Stopping…")}</Message.Header>
          {i18next.t("The run stops at its next progress report.")}
        </Message>
      )}
      <Grid stackable columns={2}>
        <Grid.Column width={9}>
          <Table definition compact className="jobs-run-details">
            <Table.Body>
              <SettingRow label={i18next.t("Status")}>
                <StatusLabel status={run.status} />{" "}
                <PoolWait wait={run.pool_wait} />
              </SettingRow>
              {run.run_as && (
                <SettingRow label={i18next.t("Ran as")}>
                  <span className="jobs-run-as">
                    {i18next.t("ran as {{user}}, started by {{starter}}", {
                      user: run.run_as.email,
                      starter: startedBy(run),
                    })}
                  </span>
                </SettingRow>
              )}
              <SettingRow label={i18next.t("Started by")}>
                {startedBy(run)}
                {run.trigger ? ` (${triggerText(run.trigger)})` : ""}
                <AfterRunLink run={run} config={config} />
              </SettingRow>
              <SettingRow label={i18next.t("Queued")}>
                <WhenCell value={run.created} />
              </SettingRow>
              {run.scheduled_at && (
                <SettingRow label={i18next.t("Scheduled for")}>
                  <WhenCell value={run.scheduled_at} />
                </SettingRow>
              )}
              <SettingRow label={i18next.t("Started")}>
                <WhenCell value={run.started_at} />
              </SettingRow>
              <SettingRow label={i18next.t("Finished")}>
                <WhenCell value={run.finished_at} />
              </SettingRow>
              <SettingRow label={i18next.t("Duration")}>{formatDuration(runSeconds(run))}</SettingRow>
              <SettingRow label={i18next.t("Queue")}>{queueTitle(config, run.queue)}</SettingRow>
              {run.attempt > 1 && <SettingRow label={i18next.t("Attempt")}>{String(run.attempt)}</SettingRow>}
            </Table.Body>
          </Table>
        </Grid.Column>
        <Grid.Column width={7}>
          <Segment className="jobs-run-counters">
            <Header as="h4">{i18next.t("Progress")}</Header>
            <RunProgress run={run} />
            <ProgressLegend run={run} />
            <Table basic="very" compact collapsing>
              <Table.Body>
                {counters.map(([label, value]) => (
                  <Table.Row key={label}>
                    <Table.Cell>{label}</Table.Cell>
                    <Table.Cell>{value === null || value === undefined ? "-" : value}</Table.Cell>
                  </Table.Row>
                ))}
                {run.total_subtasks > 0 && (
                  <Table.Row>
                    <Table.Cell>{i18next.t("Subtasks")}</Table.Cell>
                    <Table.Cell>
                      {i18next.t("{{done}} of {{total}} ended, {{errored}} failed", {
                        done: run.completed_subtasks,
                        total: run.total_subtasks,
                        errored: run.failed_subtasks,
                      })}
                    </Table.Cell>
                  </Table.Row>
                )}
              </Table.Body>
            </Table>
          </Segment>
          <Segment>
            <Header as="h4">{i18next.t("Arguments")}</Header>
            <pre className="jobs-code jobs-run-args">{JSON.stringify(run.args || {}, null, 2)}</pre>
          </Segment>
        </Grid.Column>
      </Grid>
      <RunMessage run={run} />
      <Header as="h2">{i18next.t("Log")}</Header>
      <RunLog
        api={api}
        jobId={jobId}
        runId={runId}
        refreshMs={Math.max(500, Math.round(config.refresh_ms / 2))}
        onStatus={onStatus}
        targetLine={targetLine}
      />
    </div>
  );
}

RunPage.propTypes = {
  config: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  jobId: PropTypes.string.isRequired,
  runId: PropTypes.string.isRequired,
};

mountPage(RunPage);
