/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// One run: its status, times, who started it, arguments, counters and
// progress, the whole message or traceback, and its live log.

import React, { useCallback, useEffect, useState } from "react";
import PropTypes from "prop-types";
import { Grid, Header, Loader, Message, Segment, Table } from "semantic-ui-react";
import { i18next } from "../i18next";
import { describeError } from "./api";
import {
  RunProgress,
  SettingRow,
  StatusLabel,
  Time,
  exactTime,
  fillPath,
  formatDuration,
  isActive,
  runSeconds,
  startedBy,
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

function RunPage({ config, api, jobId, runId }) {
  const [run, setRun] = useState(null);
  const [job, setJob] = useState(null);
  const [error, setError] = useState(null);
  const [notFound, setNotFound] = useState(false);

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
  const counters = [
    [i18next.t("Total"), run.total_entries],
    [i18next.t("Inserted"), run.inserted_entries],
    [i18next.t("Updated"), run.updated_entries],
    [i18next.t("Errored"), run.errored_entries],
  ];
  return (
    <div className="jobs-run-page">
      <div className="jobs-breadcrumb">
        <a href={config.pages.list}>{i18next.t("Jobs")}</a> /{" "}
        <a href={jobPage} className="jobs-job-link">
          {job ? job.title : i18next.t("Job")}
        </a>{" "}
        /
      </div>
      <Grid columns={2} verticalAlign="middle">
        <Grid.Column width={12}>
          <Header as="h1" className="jobs-run-title">
            {run.title || i18next.t("Run")} <StatusLabel status={run.status} size="medium" />
          </Header>
        </Grid.Column>
        <Grid.Column width={4} textAlign="right">
          {isActive(run) && (
            <StopButton run={run} api={api} onStopped={setRun} onError={setError} size="small" />
          )}
        </Grid.Column>
      </Grid>
      {error && <Message negative content={error} onDismiss={() => setError(null)} />}
      <Grid stackable columns={2}>
        <Grid.Column width={9}>
          <Table definition compact className="jobs-run-details">
            <Table.Body>
              <SettingRow label={i18next.t("Status")}>
                <StatusLabel status={run.status} />
              </SettingRow>
              <SettingRow label={i18next.t("Started by")}>
                {startedBy(run)}
                {run.trigger ? ` (${run.trigger})` : ""}
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
              <SettingRow label={i18next.t("Queue")}>{run.queue}</SettingRow>
              {run.attempt > 1 && <SettingRow label={i18next.t("Attempt")}>{String(run.attempt)}</SettingRow>}
            </Table.Body>
          </Table>
        </Grid.Column>
        <Grid.Column width={7}>
          <Segment className="jobs-run-counters">
            <Header as="h4">{i18next.t("Progress")}</Header>
            <RunProgress run={run} />
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
      {run.message && (
        <Segment className="jobs-run-message">
          <Header as="h4">{i18next.t("Message")}</Header>
          <pre className="jobs-code">{run.message}</pre>
        </Segment>
      )}
      <Header as="h2">{i18next.t("Log")}</Header>
      <RunLog
        api={api}
        jobId={jobId}
        runId={runId}
        refreshMs={Math.max(500, Math.round(config.refresh_ms / 2))}
        onStatus={onStatus}
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
