/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// The jobs list: search, filter, sort and page through jobs; see each one's
// schedule, last and next run; run, edit, (de)activate or delete it.

import React, { useCallback, useEffect, useState } from "react";
import PropTypes from "prop-types";
import {
  Button,
  Dropdown,
  Grid,
  Header,
  Input,
  Label,
  Message,
  Table,
} from "semantic-ui-react";
import { i18next } from "../i18next";
import { describeError } from "./api";
import { DeleteJobButton, RunNowButton, ToggleActiveButton } from "./components/actions";
import { CloneJobButton } from "./components/CloneButton";
import {
  PageLinks,
  PoolWait,
  StatusLabel,
  TaskUnavailableLabel,
  Time,
  cronZone,
  exactTime,
  fillPath,
  runNote,
} from "./components/format";
import { HealthPanel } from "./components/HealthPanel";
import { MaintenanceWindows } from "./components/MaintenanceWindows";
import { PauseBanner } from "./components/PauseBanner";
import { mountPage } from "./components/mount";
import { usePolling } from "./components/usePolling";

const PAGE_SIZE = 20;
const DEFAULT_QUERY = { q: "", active: "all", sort: "title", page: 1 };

const sortOptions = () => [
  { key: "title", value: "title", text: i18next.t("Title (A-Z)") },
  { key: "-title", value: "-title", text: i18next.t("Title (Z-A)") },
  { key: "next_run", value: "next_run", text: i18next.t("Next run, soonest first") },
  {
    key: "-last_run_start_time",
    value: "-last_run_start_time",
    text: i18next.t("Last run, newest first"),
  },
  { key: "-created", value: "-created", text: i18next.t("Newest jobs first") },
];

const activeOptions = () => [
  { key: "all", value: "all", text: i18next.t("All jobs") },
  { key: "true", value: "true", text: i18next.t("Active") },
  { key: "false", value: "false", text: i18next.t("Inactive") },
];

function LastRun({ run }) {
  if (!run) return <span className="jobs-muted">{i18next.t("Never run")}</span>;
  return (
    <div className="jobs-last-run">
      <StatusLabel status={run.status} />{" "}
      <Time value={run.started_at || run.created} />
      <div className="jobs-muted jobs-last-run-note">{runNote(run)}</div>
      {run.pool_wait && (
        <div className="jobs-last-run-note">
          <PoolWait wait={run.pool_wait} />
        </div>
      )}
    </div>
  );
}

LastRun.propTypes = { run: PropTypes.object };
LastRun.defaultProps = { run: null };

function NextRun({ job }) {
  if (!job.active) return <span className="jobs-muted">{i18next.t("Inactive")}</span>;
  if (!job.next_run) return <span className="jobs-muted">{i18next.t("Not scheduled")}</span>;
  return (
    <div className="jobs-next-run">
      <Time value={job.next_run} />
      <div className="jobs-muted">{exactTime(job.next_run, cronZone(job))}</div>
      {job.held_since && (
        <div className="jobs-muted jobs-job-held">{i18next.t("Held by a maintenance window")}</div>
      )}
    </div>
  );
}

NextRun.propTypes = { job: PropTypes.object.isRequired };

function JobRow({ job, taskTitles, config, api, pause, onChanged, onError, onNotice }) {
  const page = fillPath(config.pages.job, { id: job.id });
  // Long titles and descriptions are cut to their cell; the whole text is
  // their title (on hover) and on the job page.
  return (
    <Table.Row className="jobs-row" data-job-id={job.id}>
      <Table.Cell className="jobs-title-cell">
        <a href={page} className="jobs-title" title={job.title}>
          {job.title}
        </a>
        {job.description && (
          <div className="jobs-muted jobs-description" title={job.description}>
            {job.description}
          </div>
        )}
      </Table.Cell>
      <Table.Cell collapsing>
        {job.active ? (
          <Label color="green" basic size="small" content={i18next.t("Active")} />
        ) : (
          <Label basic size="small" content={i18next.t("Inactive")} />
        )}
      </Table.Cell>
      <Table.Cell>
        {taskTitles[job.task] || job.task}
        <TaskUnavailableLabel job={job} />
      </Table.Cell>
      <Table.Cell className="jobs-schedule">
        {job.schedule ? job.schedule_description : (
          <span className="jobs-muted">{i18next.t("Manual only")}</span>
        )}
      </Table.Cell>
      <Table.Cell>
        <LastRun run={job.last_run} />
      </Table.Cell>
      <Table.Cell>
        <NextRun job={job} />
      </Table.Cell>
      <Table.Cell collapsing textAlign="right">
        <Button.Group size="tiny" basic>
          <RunNowButton
            job={job}
            api={api}
            config={config}
            paused={pause}
            onStarted={() => onChanged()}
          />
          <Button
            as="a"
            icon="pencil"
            href={fillPath(config.pages.edit, { id: job.id })}
            title={i18next.t("Edit")}
            aria-label={i18next.t("Edit")}
            className="jobs-edit"
          />
          <CloneJobButton job={job} api={api} config={config} onError={onError} />
          <ToggleActiveButton
            job={job}
            api={api}
            onChanged={(changed, error, notice) => {
              if (error) onError(error);
              else {
                onNotice(notice);
                onChanged();
              }
            }}
          />
          <DeleteJobButton job={job} api={api} onDeleted={() => onChanged()} />
        </Button.Group>
      </Table.Cell>
    </Table.Row>
  );
}

JobRow.propTypes = {
  job: PropTypes.object.isRequired,
  taskTitles: PropTypes.object.isRequired,
  config: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  pause: PropTypes.object,
  onChanged: PropTypes.func.isRequired,
  onError: PropTypes.func.isRequired,
  onNotice: PropTypes.func.isRequired,
};

JobRow.defaultProps = { pause: null };

function JobsList({ config, api }) {
  const params = new URLSearchParams(window.location.search);
  const [query, setQuery] = useState({
    q: params.get("q") || "",
    active: params.get("active") || "all",
    sort: params.get("sort") || "title",
    page: Number(params.get("page")) || 1,
  });
  const [typed, setTyped] = useState(query.q);
  const [result, setResult] = useState(null);
  const [taskTitles, setTaskTitles] = useState({});
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [pause, setPause] = useState(null);

  const loadPause = useCallback(async () => {
    try {
      setPause(await api.getPause());
    } catch (err) {
      setPause(null);
    }
  }, [api]);

  useEffect(() => {
    loadPause();
  }, [loadPause]);

  const load = useCallback(async () => {
    const request = { q: query.q, sort: query.sort, page: query.page, size: PAGE_SIZE };
    if (query.active !== "all") request.active = query.active;
    try {
      setResult(await api.listJobs(request));
      setError(null);
    } catch (err) {
      setError(describeError(err).message);
    }
  }, [api, query]);

  useEffect(() => {
    load();
    // The address keeps the search, to share or reload; defaults stay out.
    const url = new URL(window.location.href);
    Object.entries(query).forEach(([key, value]) => {
      if (value === DEFAULT_QUERY[key]) url.searchParams.delete(key);
      else url.searchParams.set(key, value);
    });
    window.history.replaceState(null, "", url.toString());
  }, [load, query]);

  useEffect(() => {
    api
      .listTasks()
      .then((tasks) => {
        const titles = {};
        tasks.hits.hits.forEach((task) => {
          titles[task.id] = task.title;
        });
        setTaskTitles(titles);
      })
      .catch(() => setTaskTitles({}));
  }, [api]);

  usePolling(load, config.refresh_ms * 2);
  usePolling(loadPause, config.refresh_ms * 5);

  const update = (changes) => setQuery({ ...query, page: 1, ...changes });
  const total = result ? result.hits.total : 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));

  return (
    <div className="jobs-list-page">
      <Grid columns={2} verticalAlign="middle">
        <Grid.Column>
          <Header as="h1">{i18next.t("Jobs")}</Header>
        </Grid.Column>
        <Grid.Column textAlign="right">
          {pause && !pause.paused && (
            <PauseBanner pause={pause} api={api} onChanged={setPause} />
          )}
          <Button
            as="a"
            href={config.pages.logs}
            basic
            icon="search"
            labelPosition="left"
            className="jobs-logs-link"
            content={i18next.t("Search all logs")}
          />
          <Button
            as="a"
            href={config.pages.pools}
            basic
            icon="th"
            labelPosition="left"
            className="jobs-pools-link"
            content={i18next.t("Pools")}
          />
          <Button
            as="a"
            href={config.pages.create}
            positive
            icon="plus"
            labelPosition="left"
            className="jobs-create"
            content={i18next.t("Create job")}
          />
        </Grid.Column>
      </Grid>
      {pause && pause.paused && <PauseBanner pause={pause} api={api} onChanged={setPause} />}
      <HealthPanel api={api} config={config} />
      <form
        className="ui form jobs-toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          update({ q: typed });
        }}
      >
        <div className="fields">
          <div className="eight wide field">
            <Input
              fluid
              icon="search"
              iconPosition="left"
              name="q"
              aria-label={i18next.t("Search by title")}
              placeholder={i18next.t("Search by title")}
              value={typed}
              onChange={(e, { value }) => setTyped(value)}
              action={{ type: "submit", content: i18next.t("Search") }}
            />
          </div>
          <div className="four wide field">
            <Dropdown
              selection
              fluid
              name="active"
              id="jobs-filter-active"
              aria-label={i18next.t("Filter")}
              value={query.active}
              options={activeOptions()}
              onChange={(e, { value }) => update({ active: value })}
            />
          </div>
          <div className="four wide field">
            <Dropdown
              selection
              fluid
              name="sort"
              id="jobs-sort"
              aria-label={i18next.t("Sort")}
              value={query.sort}
              options={sortOptions()}
              onChange={(e, { value }) => update({ sort: value })}
            />
          </div>
        </div>
      </form>
      {error && <Message negative content={error} />}
      <div role="status" aria-live="polite">
        {notice && (
          <Message
            positive
            size="small"
            className="jobs-notice"
            content={notice}
            onDismiss={() => setNotice(null)}
          />
        )}
      </div>
      {result && result.hits.hits.length === 0 && (
        <Message info className="jobs-empty">
          {query.q || query.active !== "all"
            ? i18next.t("No job matches.")
            : i18next.t("There are no jobs yet. Create one to run or schedule a task.")}
        </Message>
      )}
      {result && result.hits.hits.length > 0 && (
        <div className="jobs-table-scroll">
        <Table celled striped compact className="jobs-table">
          <Table.Header>
            <Table.Row>
              <Table.HeaderCell>{i18next.t("Title")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Status")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Job type")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Schedule")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Last run")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Next run")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Actions")}</Table.HeaderCell>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {result.hits.hits.map((job) => (
              <JobRow
                key={job.id}
                job={job}
                taskTitles={taskTitles}
                config={config}
                api={api}
                pause={pause}
                onChanged={load}
                onError={setError}
                onNotice={setNotice}
              />
            ))}
          </Table.Body>
        </Table>
        </div>
      )}
      {result && (
        <Grid columns={2} verticalAlign="middle">
          <Grid.Column className="jobs-muted">
            {i18next.t("{{count}} jobs", { count: total })}
          </Grid.Column>
          <Grid.Column textAlign="right">
            {pages > 1 && (
              <PageLinks
                label={i18next.t("Pages of jobs")}
                activePage={query.page}
                totalPages={pages}
                onPageChange={(e, { activePage }) => setQuery({ ...query, page: activePage })}
              />
            )}
          </Grid.Column>
        </Grid>
      )}
      <MaintenanceWindows api={api} config={config} />
    </div>
  );
}

JobsList.propTypes = {
  config: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
};

mountPage(JobsList);
