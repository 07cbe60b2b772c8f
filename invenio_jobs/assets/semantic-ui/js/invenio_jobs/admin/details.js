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
  Form,
  Grid,
  Header,
  Label,
  Loader,
  Message,
  Table,
} from "semantic-ui-react";
import { i18next } from "../i18next";
import { describeError } from "./api";
import { DeleteJobButton, RunNowButton, ToggleActiveButton } from "./components/actions";
import { JobAlerts } from "./components/AlertSettings";
import { CloneJobButton } from "./components/CloneButton";
import {
  Breadcrumb,
  STATUS,
  SettingRow,
  TaskUnavailableLabel,
  Time,
  cronZone,
  exactTime,
  fillPath,
  formatDuration,
  isActive,
  triggerText,
} from "./components/format";
import { AccessSection } from "./components/AccessSection";
import { mountPage } from "./components/mount";
import { HistorySection } from "./components/HistorySection";
import { RunsChart } from "./components/RunsChart";
import { RunsTable } from "./components/RunsTable";
import { usePolling } from "./components/usePolling";

const PAGE_SIZE = 20;

const RUN_STATUSES = [
  "QUEUED",
  "RUNNING",
  "CANCELLING",
  "SUCCESS",
  "PARTIAL_SUCCESS",
  "WARNING",
  "FAILED",
  "CANCELLED",
];
const RUN_TRIGGERS = ["manual", "scheduled", "coalesce", "catch_up"];

// The runs table's filters and page, kept in the page's address so that a
// filtered history can be reloaded, shared and gone back to.
function readRunFilters() {
  const params = new URLSearchParams(window.location.search);
  const known = (values, allowed) => values.filter((value) => allowed.includes(value));
  return {
    status: known(params.getAll("status"), RUN_STATUSES),
    trigger: known(params.getAll("trigger"), RUN_TRIGGERS),
    page: Math.max(1, parseInt(params.get("page"), 10) || 1),
  };
}

function writeRunFilters({ status, trigger, page }) {
  const params = new URLSearchParams(window.location.search);
  ["status", "trigger", "page"].forEach((key) => params.delete(key));
  status.forEach((value) => params.append("status", value));
  trigger.forEach((value) => params.append("trigger", value));
  if (page > 1) params.set("page", String(page));
  const query = params.toString();
  window.history.replaceState(null, "", `${window.location.pathname}${query ? `?${query}` : ""}`);
}

function RunFilters({ filters, onChange }) {
  const fields = [
    {
      key: "status",
      label: i18next.t("Status"),
      placeholder: i18next.t("Any status"),
      options: RUN_STATUSES.map((status) => ({
        key: status,
        value: status,
        text: (STATUS[status] || { text: () => status }).text(),
      })),
    },
    {
      key: "trigger",
      label: i18next.t("Started"),
      placeholder: i18next.t("Any way"),
      options: RUN_TRIGGERS.map((trigger) => ({
        key: trigger,
        value: trigger,
        text: triggerText(trigger),
      })),
    },
  ];
  return (
    <Form className="jobs-run-filters" role="search" aria-label={i18next.t("Filter the runs")}>
      <Form.Group widths="equal">
        {fields.map((field) => (
          <Form.Dropdown
            key={field.key}
            id={`runs-${field.key}-filter`}
            aria-label={field.label}
            label={field.label}
            placeholder={field.placeholder}
            multiple
            selection
            clearable
            options={field.options}
            value={filters[field.key]}
            onChange={(e, { value }) => onChange({ ...filters, [field.key]: value, page: 1 })}
          />
        ))}
      </Form.Group>
    </Form>
  );
}

RunFilters.propTypes = {
  filters: PropTypes.object.isRequired,
  onChange: PropTypes.func.isRequired,
};

const MISFIRE_WORDS = {
  coalesce: () => i18next.t("Run once for all the missed times"),
  skip: () => i18next.t("Skip them; wait for the next time"),
  catch_up: () => i18next.t("Run once per missed time"),
};


function statusWord(status) {
  return STATUS[status] ? STATUS[status].text() : status;
}

// Links to the pages of jobs this one runs after or before; "None" when none.
function JobLinks({ jobs, config }) {
  if (!jobs || !jobs.length) return i18next.t("None");
  return (
    <span className="jobs-job-links">
      {jobs.map((each, index) => (
        <React.Fragment key={each.id}>
          {index > 0 && ", "}
          <a href={fillPath(config.pages.job, { id: each.id })}>{each.title}</a>
        </React.Fragment>
      ))}
    </span>
  );
}

JobLinks.propTypes = {
  jobs: PropTypes.array,
  config: PropTypes.object.isRequired,
};
JobLinks.defaultProps = { jobs: [] };

function JobSettings({ job, taskTitle, config }) {
  const queueName = job.default_queue || config.default_queue;
  const queue = config.queues.find((q) => q.name === queueName);
  const notifications =
    job.notification_emails && job.notification_emails.length
      ? `${job.notification_emails.join(", ")} (${
          (job.notification_statuses || []).length
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
                  {job.held_since && (
                    <div className="jobs-muted jobs-job-held">
                      {i18next.t("Held by a maintenance window since {{time}}", {
                        time: exactTime(job.held_since, cronZone(job)),
                      })}
                    </div>
                  )}
                </>
              ) : (
                "-"
              )}
            </SettingRow>
            <SettingRow label={i18next.t("Queue")}>{queue ? queue.title : queueName}</SettingRow>
            <SettingRow label={i18next.t("Runs as")}>
              {job.run_as ? job.run_as.email : i18next.t("Whoever starts the run; the system when scheduled")}
            </SettingRow>
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
            <SettingRow label={i18next.t("Missed runs")}>
              {MISFIRE_WORDS[job.misfire_policy]
                ? MISFIRE_WORDS[job.misfire_policy]()
                : job.misfire_policy}
            </SettingRow>
            <SettingRow label={i18next.t("Maintenance windows")}>
              {job.ignore_maintenance_windows
                ? i18next.t("Runs even inside them")
                : i18next.t("Waits for their end")}
            </SettingRow>
            <SettingRow label={i18next.t("Overlapping runs")}>
              {job.allow_overlap ? i18next.t("Allowed") : i18next.t("Not allowed")}
            </SettingRow>
            <SettingRow label={i18next.t("Timeout")}>
              {job.timeout ? formatDuration(job.timeout) : i18next.t("No limit")}
            </SettingRow>
            <SettingRow label={i18next.t("Retries")}>{String(job.max_retries)}</SettingRow>
            <SettingRow label={i18next.t("Pool")}>
              {job.pool ? (
                <a href={config.pages.pools} className="jobs-pool-link">
                  {job.pool}
                </a>
              ) : (
                <span className="jobs-muted">{i18next.t("No pool")}</span>
              )}
            </SettingRow>
            <SettingRow label={i18next.t("Notifications")}>{notifications}</SettingRow>
            <SettingRow label={i18next.t("Runs after")}>
              <JobLinks jobs={job.predecessors} config={config} />
              {job.predecessors && job.predecessors.length > 0 && (
                <div className="jobs-muted">
                  {job.run_after_mode === "all"
                    ? i18next.t("when all of them have ended since its last run")
                    : i18next.t("when any of them ends")}
                  {" · "}
                  {job.predecessors[0].statuses.map((status) => statusWord(status)).join(", ")}
                  {job.run_after_delay_seconds
                    ? ` · ${i18next.t("after {{delay}}", {
                        delay: formatDuration(job.run_after_delay_seconds),
                      })}`
                    : ""}
                </div>
              )}
            </SettingRow>
            <SettingRow label={i18next.t("Runs before")}>
              <JobLinks jobs={job.successors} config={config} />
            </SettingRow>
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

function JobPage({ config, api, jobId }) {
  const [job, setJob] = useState(null);
  const [taskTitle, setTaskTitle] = useState("");
  const [runs, setRuns] = useState(null);
  const [filters, setFiltersState] = useState(readRunFilters);
  const { page } = filters;
  const setFilters = (changed) => {
    writeRunFilters(changed);
    setFiltersState(changed);
  };
  const setPage = (activePage) => setFilters({ ...filters, page: activePage });
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [notFound, setNotFound] = useState(false);
  const [pause, setPause] = useState(null);
  const [alerts, setAlerts] = useState(null);

  const loadJob = useCallback(async () => {
    try {
      setJob(await api.getJob(jobId));
      setAlerts(await api.getAlerts(jobId));
    } catch (err) {
      const described = describeError(err);
      if (described.status === 404) setNotFound(true);
      else setError(described.message);
    }
  }, [api, jobId]);

  const loadRuns = useCallback(async () => {
    try {
      // Repeated keys (status=FAILED&status=PARTIAL_SUCCESS), as the API reads them.
      const params = new URLSearchParams({ page: String(page), size: String(PAGE_SIZE) });
      filters.status.forEach((value) => params.append("status", value));
      filters.trigger.forEach((value) => params.append("trigger", value));
      setRuns(await api.listRuns(jobId, params));
    } catch (err) {
      setError(describeError(err).message);
    }
  }, [api, jobId, page, filters.status, filters.trigger]);

  useEffect(() => {
    loadJob();
  }, [loadJob]);
  useEffect(() => {
    // Run now warns while everything is paused; without the answer it does not.
    api.getPause().then(setPause).catch(() => setPause(null));
  }, [api]);
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
      <Breadcrumb
        links={[{ href: config.pages.list, text: i18next.t("Jobs") }]}
        current={job.title}
        currentClass="jobs-job-crumb"
      />
      <Grid columns={2} verticalAlign="middle" stackable>
        <Grid.Column width={7}>
          <Header as="h1" className="jobs-job-title" title={job.title}>
            <span className="jobs-job-title-text">{job.title}</span>{" "}
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
            paused={pause}
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
          <CloneJobButton
            job={job}
            api={api}
            config={config}
            onError={setError}
            basic={false}
            labelPosition="left"
            content={i18next.t("Clone")}
          />
          <ToggleActiveButton
            job={job}
            api={api}
            onChanged={(changed, err, notice) => {
              if (err) setError(err);
              else {
                setJob(changed);
                setNotice(notice);
              }
            }}
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
      <div role="status" aria-live="polite">
        {notice && (
          <Message positive size="small" className="jobs-notice" content={notice} onDismiss={() => setNotice(null)} />
        )}
      </div>
      <JobSettings job={job} taskTitle={taskTitle || job.task} config={config} />
      <AccessSection api={api} jobId={jobId} />

      <Header as="h2" className="jobs-runs-header">
        {i18next.t("Runs")}
      </Header>
      <RunsChart api={api} config={config} jobId={jobId} refreshKey={runs} />
      <RunFilters filters={filters} onChange={setFilters} />
      {config.pages.logs && (
        <p className="jobs-job-logs">
          <a
            className="jobs-job-logs-link"
            href={`${config.pages.logs}?${new URLSearchParams({ q: `context.job_id:${job.id}` })}`}
          >
            {i18next.t("Search the logs of this job's runs")}
          </a>
        </p>
      )}
      {runs && runs.hits.hits.length === 0 && (
        <Message
          info
          className="jobs-no-runs"
          content={
            filters.status.length || filters.trigger.length
              ? i18next.t("No run matches these filters.")
              : i18next.t("This job has not run yet.")
          }
        />
      )}
      {runs && runs.hits.hits.length > 0 && (
        <RunsTable
          runs={runs.hits.hits}
          job={job}
          config={config}
          api={api}
          detailed
          canStop
          page={page}
          pages={pages}
          onPageChange={setPage}
          onChanged={loadRuns}
          onError={setError}
        />
      )}
      <JobAlerts alerts={alerts} />
      <HistorySection api={api} jobId={jobId} refreshKey={job} />
    </div>
  );
}

JobPage.propTypes = {
  config: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  jobId: PropTypes.string.isRequired,
};

mountPage(JobPage);
