/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// A job's page: its settings, then its runs, newest first, refreshed by
// themselves while any of them is queued or running.

import React, { useCallback, useEffect, useState } from "react";
import PropTypes from "prop-types";
import {
  Button,
  Grid,
  Header,
  Label,
  Loader,
  Message,
  Pagination,
  Segment,
  Table,
} from "semantic-ui-react";
import { i18next } from "../i18next";
import { describeError } from "./api";
import { DeleteJobButton, RunNowButton, ToggleActiveButton } from "./components/actions";
import {
  RunProgress,
  SettingRow,
  StatusLabel,
  TaskUnavailableLabel,
  Time,
  cronZone,
  exactTime,
  fillPath,
  firstLine,
  formatDuration,
  isActive,
  runSeconds,
  startedBy,
} from "./components/format";
import { mountPage } from "./components/mount";
import { StopButton } from "./components/StopButton";
import { usePolling } from "./components/usePolling";

const PAGE_SIZE = 20;


function JobSettings({ job, taskTitle, config }) {
  const queueName = job.default_queue || config.default_queue;
  const queue = config.queues.find((q) => q.name === queueName);
  const notifications =
    job.notification_emails && job.notification_emails.length
      ? `${job.notification_emails.join(", ")} (${
          job.notification_statuses.length
            ? job.notification_statuses.join(", ")
            : i18next.t("any status")
        })`
      : i18next.t("None");
  return (
    <Grid stackable columns={2} className="jobs-settings">
      <Grid.Column>
        <Table definition compact>
          <Table.Body>
            {job.description && (
              <SettingRow label={i18next.t("Description")}>{job.description}</SettingRow>
            )}
            <SettingRow label={i18next.t("Job type")}>
              {taskTitle} <code className="jobs-muted">{job.task}</code>
              <TaskUnavailableLabel job={job} detailed />
            </SettingRow>
            <SettingRow label={i18next.t("Schedule")}>
              {job.schedule ? job.schedule_description : i18next.t("Manual only")}
            </SettingRow>
            <SettingRow label={i18next.t("Next run")}>
              {job.active && job.next_run ? (
                <>
                  <Time value={job.next_run} /> ({exactTime(job.next_run, cronZone(job))})
                </>
              ) : (
                "-"
              )}
            </SettingRow>
            <SettingRow label={i18next.t("Queue")}>{queue ? queue.title : queueName}</SettingRow>
            <SettingRow label={i18next.t("Created")}>
              <Time value={job.created} /> · {i18next.t("updated")} <Time value={job.updated} />
            </SettingRow>
          </Table.Body>
        </Table>
      </Grid.Column>
      <Grid.Column>
        <Table definition compact>
          <Table.Body>
            <SettingRow label={i18next.t("Arguments")}>
              <pre className="jobs-code">{JSON.stringify(job.run_args || {}, null, 2)}</pre>
            </SettingRow>
            <SettingRow label={i18next.t("Missed runs")}>{job.misfire_policy}</SettingRow>
            <SettingRow label={i18next.t("Overlapping runs")}>
              {job.allow_overlap ? i18next.t("Allowed") : i18next.t("Not allowed")}
            </SettingRow>
            <SettingRow label={i18next.t("Timeout")}>
              {job.timeout ? formatDuration(job.timeout) : i18next.t("No limit")}
            </SettingRow>
            <SettingRow label={i18next.t("Retries")}>{String(job.max_retries)}</SettingRow>
            <SettingRow label={i18next.t("Notifications")}>{notifications}</SettingRow>
          </Table.Body>
        </Table>
      </Grid.Column>
    </Grid>
  );
}

JobSettings.propTypes = {
  job: PropTypes.object.isRequired,
  taskTitle: PropTypes.string.isRequired,
  config: PropTypes.object.isRequired,
};

function RunRow({ run, config, api, onChanged, onError }) {
  const page = fillPath(config.pages.run, { id: run.job_id, run_id: run.id });
  return (
    <Table.Row className="jobs-run-row" data-run-id={run.id} data-status={run.status}>
      <Table.Cell collapsing>
        <StatusLabel status={run.status} />
      </Table.Cell>
      <Table.Cell>
        <a href={page} className="jobs-run-link">
          {run.title || i18next.t("Run")}
        </a>
        {run.trigger && run.trigger !== "manual" && (
          <Label size="mini" basic className="jobs-trigger" content={run.trigger} />
        )}
        {isActive(run) && <RunProgress run={run} />}
      </Table.Cell>
      <Table.Cell>{startedBy(run)}</Table.Cell>
      <Table.Cell>
        <Time value={run.started_at} />
      </Table.Cell>
      <Table.Cell>
        <Time value={run.finished_at} />
      </Table.Cell>
      <Table.Cell>{formatDuration(runSeconds(run))}</Table.Cell>
      <Table.Cell className="jobs-message">{firstLine(run.message)}</Table.Cell>
      <Table.Cell collapsing>
        {isActive(run) && (
          <StopButton run={run} api={api} onStopped={onChanged} onError={onError} />
        )}
      </Table.Cell>
    </Table.Row>
  );
}

RunRow.propTypes = {
  run: PropTypes.object.isRequired,
  config: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  onChanged: PropTypes.func.isRequired,
  onError: PropTypes.func.isRequired,
};

function JobPage({ config, api, jobId }) {
  const [job, setJob] = useState(null);
  const [taskTitle, setTaskTitle] = useState("");
  const [runs, setRuns] = useState(null);
  const [page, setPage] = useState(1);
  const [error, setError] = useState(null);
  const [notFound, setNotFound] = useState(false);

  const loadJob = useCallback(async () => {
    try {
      setJob(await api.getJob(jobId));
    } catch (err) {
      const described = describeError(err);
      if (described.status === 404) setNotFound(true);
      else setError(described.message);
    }
  }, [api, jobId]);

  const loadRuns = useCallback(async () => {
    try {
      setRuns(await api.listRuns(jobId, { page, size: PAGE_SIZE }));
    } catch (err) {
      setError(describeError(err).message);
    }
  }, [api, jobId, page]);

  useEffect(() => {
    loadJob();
  }, [loadJob]);
  useEffect(() => {
    loadRuns();
  }, [loadRuns]);
  useEffect(() => {
    if (!job) return;
    api
      .taskArguments(job.task)
      .then((described) => setTaskTitle(described.title))
      .catch(() => setTaskTitle(job.task));
  }, [api, job && job.task]); // eslint-disable-line react-hooks/exhaustive-deps

  const anyActive = !!runs && runs.hits.hits.some(isActive);
  // Fast while something runs; slower otherwise, to see scheduled runs come.
  usePolling(
    async () => {
      await loadRuns();
      if (!anyActive) await loadJob();
    },
    anyActive ? config.refresh_ms : config.refresh_ms * 3
  );

  if (notFound) {
    return (
      <Message negative>
        <Message.Header>{i18next.t("This job does not exist.")}</Message.Header>
        <a href={config.pages.list}>{i18next.t("Back to the jobs")}</a>
      </Message>
    );
  }
  if (!job) return error ? <Message negative content={error} /> : <Loader active inline="centered" />;

  const refresh = () => {
    loadRuns();
    loadJob();
  };
  const total = runs ? runs.hits.total : 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <div className="jobs-job-page">
      <div className="jobs-breadcrumb">
        <a href={config.pages.list}>{i18next.t("Jobs")}</a> /
      </div>
      <Grid columns={2} verticalAlign="middle" stackable>
        <Grid.Column width={7}>
          <Header as="h1" className="jobs-job-title">
            {job.title}{" "}
            {job.active ? (
              <Label color="green" basic content={i18next.t("Active")} />
            ) : (
              <Label basic content={i18next.t("Inactive")} />
            )}
          </Header>
        </Grid.Column>
        <Grid.Column width={9} textAlign="right" className="jobs-page-actions">
          <RunNowButton
            job={job}
            api={api}
            config={config}
            onStarted={refresh}
            basic={false}
            icon="play"
            labelPosition="left"
            content={i18next.t("Run now")}
          />
          <Button
            as="a"
            href={fillPath(config.pages.edit, { id: job.id })}
            icon="pencil"
            labelPosition="left"
            className="jobs-edit"
            content={i18next.t("Edit")}
          />
          <ToggleActiveButton
            job={job}
            api={api}
            onChanged={(changed, err) => (err ? setError(err) : setJob(changed))}
            labelPosition="left"
            content={job.active ? i18next.t("Deactivate") : i18next.t("Activate")}
          />
          <DeleteJobButton
            job={job}
            api={api}
            onDeleted={() => window.location.assign(config.pages.list)}
          />
        </Grid.Column>
      </Grid>
      {error && <Message negative content={error} onDismiss={() => setError(null)} />}
      <JobSettings job={job} taskTitle={taskTitle || job.task} config={config} />

      <Header as="h2" className="jobs-runs-header">
        {i18next.t("Runs")}
      </Header>
      {runs && runs.hits.hits.length === 0 && (
        <Message info className="jobs-no-runs" content={i18next.t("This job has not run yet.")} />
      )}
      {runs && runs.hits.hits.length > 0 && (
        <Segment basic className="jobs-runs">
          <Table compact celled className="jobs-runs-table">
            <Table.Header>
              <Table.Row>
                <Table.HeaderCell>{i18next.t("Status")}</Table.HeaderCell>
                <Table.HeaderCell>{i18next.t("Title")}</Table.HeaderCell>
                <Table.HeaderCell>{i18next.t("Started by")}</Table.HeaderCell>
                <Table.HeaderCell>{i18next.t("Started")}</Table.HeaderCell>
                <Table.HeaderCell>{i18next.t("Finished")}</Table.HeaderCell>
                <Table.HeaderCell>{i18next.t("Duration")}</Table.HeaderCell>
                <Table.HeaderCell>{i18next.t("Message")}</Table.HeaderCell>
                <Table.HeaderCell />
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {runs.hits.hits.map((run) => (
                <RunRow
                  key={run.id}
                  run={run}
                  config={config}
                  api={api}
                  onChanged={loadRuns}
                  onError={setError}
                />
              ))}
            </Table.Body>
          </Table>
          {pages > 1 && (
            <Pagination
              activePage={page}
              totalPages={pages}
              onPageChange={(e, { activePage }) => setPage(activePage)}
            />
          )}
        </Segment>
      )}
    </div>
  );
}

JobPage.propTypes = {
  config: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  jobId: PropTypes.string.isRequired,
};

mountPage(JobPage);
