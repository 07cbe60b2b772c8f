/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// Create or edit a job: its settings, schedule, arguments and notifications.

import React, { useEffect, useState } from "react";
import PropTypes from "prop-types";
import { Button, Form, Header, Loader, Message, Segment } from "semantic-ui-react";
import { i18next } from "../i18next";
import { describeError } from "./api";
import { AlertSettings, alertsToState, stateToAlerts } from "./components/AlertSettings";
import { ArgumentsForm, argumentDefaults } from "./components/ArgumentsForm";
import { STATUS, fillPath, queueOptions } from "./components/format";
import { mountPage } from "./components/mount";
import { ScheduleEditor, scheduleToState, stateToSchedule } from "./components/ScheduleEditor";
import { RunAfterEditor, runAfterToState, stateToRunAfter } from "./components/RunAfterEditor";

const FINISHED = ["SUCCESS", "FAILED", "PARTIAL_SUCCESS", "CANCELLED", "WARNING"];

const misfireOptions = () => [
  {
    key: "coalesce",
    value: "coalesce",
    text: i18next.t("Coalesce: run once for all missed times"),
  },
  { key: "skip", value: "skip", text: i18next.t("Skip: wait for the next time") },
  { key: "catch_up", value: "catch_up", text: i18next.t("Catch up: run once per missed time") },
];

// The fields that show their own errors under them.
const PLACED = [
  "title",
  "description",
  "task",
  "default_queue",
  "schedule",
  "run_args.",
  "timeout",
  "max_retries",
  "pool",
  "misfire_policy",
  "notification_emails",
  "notification_statuses",
  "alerts.",
  "run_as",
  "run_after",
];
const isPlaced = (field) => PLACED.some((name) => field === name || field.startsWith(name));

const emptyJob = (config) => ({
  title: "",
  description: "",
  task: "",
  default_queue: config.default_queue,
  active: true,
  run_args: {},
  misfire_policy: "coalesce",
  allow_overlap: false,
  ignore_maintenance_windows: false,
  timeout: null,
  max_retries: 0,
  pool: null,
  notification_emails: [],
  notification_statuses: [],
});

function JobForm({ config, api, jobId }) {
  const [job, setJob] = useState(jobId ? null : emptyJob(config));
  const [schedule, setSchedule] = useState(scheduleToState(null, config.default_timezone));
  const [tasks, setTasks] = useState([]);
  const [pools, setPools] = useState([]);
  const [argumentFields, setArgumentFields] = useState(null);
  const [argumentsProblem, setArgumentsProblem] = useState(null);
  const [emails, setEmails] = useState("");
  const [alerts, setAlerts] = useState(alertsToState(null));
  const [runAs, setRunAs] = useState("");
  const [runAfter, setRunAfter] = useState(runAfterToState(null));
  const [errors, setErrors] = useState({});
  const [message, setMessage] = useState(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    api
      .listTasks()
      // Job types that failed to load cannot be chosen: they have no form.
      .then((result) =>
        setTasks(result.hits.hits.filter((t) => jobId || t.available !== false))
      )
      .catch((error) => setMessage(describeError(error).message));
    api
      .listPools()
      .then((result) => setPools(result.hits.hits))
      .catch((error) => setMessage(describeError(error).message));
    if (jobId) {
      api
        .getJob(jobId)
        .then((loaded) => {
          setJob({ ...loaded, default_queue: loaded.default_queue || config.default_queue });
          setSchedule(scheduleToState(loaded.schedule, config.default_timezone));
          setEmails((loaded.notification_emails || []).join(", "));
          setAlerts(alertsToState(loaded.alerts));
          setRunAs(loaded.run_as ? loaded.run_as.email : "");
          setRunAfter(runAfterToState(loaded.run_after));
        })
        .catch((error) => setMessage(describeError(error).message));
    }
  }, [api, jobId, config.default_timezone, config.default_queue]);

  const task = job && job.task;
  useEffect(() => {
    if (!task) {
      setArgumentFields(null);
      return;
    }
    api
      .taskArguments(task)
      .then((described) => setArgumentFields(described.fields))
      .catch((error) => setMessage(describeError(error).message));
  }, [api, task]);

  if (!job) {
    return message ? <Message negative content={message} /> : <Loader active inline="centered" />;
  }

  const set = (changes) => setJob({ ...job, ...changes });
  const errorOf = (field) =>
    errors[field] ? { content: errors[field], pointing: "above" } : undefined;
  const argumentErrors = {};
  Object.entries(errors).forEach(([field, text]) => {
    if (field.startsWith("run_args.")) argumentErrors[field.slice(9)] = text;
  });
  const emailErrors = Array.from(
    new Set(
      Object.entries(errors)
        .filter(([field]) => field.startsWith("notification_emails"))
        .map(([, text]) => text)
    )
  ).join(" ");

  const chooseTask = async (taskId) => {
    set({ task: taskId, run_args: {} });
    setArgumentsProblem(null);
    try {
      const described = await api.taskArguments(taskId);
      setJob((current) => ({ ...current, task: taskId, run_args: argumentDefaults(described.fields) }));
    } catch (error) {
      setMessage(describeError(error).message);
    }
  };

  const save = async (event) => {
    event.preventDefault();
    if (argumentsProblem) {
      setMessage(argumentsProblem);
      return;
    }
    setSaving(true);
    setMessage(null);
    const payload = {
      title: job.title,
      description: job.description || null,
      active: job.active,
      default_queue: job.default_queue,
      schedule: stateToSchedule(schedule),
      run_args: job.run_args || {},
      misfire_policy: job.misfire_policy,
      allow_overlap: job.allow_overlap,
      ignore_maintenance_windows: !!job.ignore_maintenance_windows,
      timeout: job.timeout === "" || job.timeout === null ? null : Number(job.timeout),
      max_retries: job.max_retries === "" ? 0 : Number(job.max_retries),
      pool: job.pool || null,
      notification_emails: emails
        .split(/[\s,;]+/)
        .map((email) => email.trim())
        .filter(Boolean),
      notification_statuses: job.notification_statuses || [],
      alerts: stateToAlerts(alerts),
      run_as: runAs.trim() || null,
      run_after: stateToRunAfter(runAfter),
    };
    if (!jobId) payload.task = job.task;
    try {
      const saved = jobId ? await api.updateJob(jobId, payload) : await api.createJob(payload);
      window.location.assign(fillPath(config.pages.job, { id: saved.id }));
    } catch (error) {
      const described = describeError(error);
      setErrors(described.fields);
      // Errors of a field the form has no place for are listed in the banner.
      const unplaced = Object.entries(described.fields)
        .filter(([field]) => !isPlaced(field))
        .map(([field, text]) => `${field}: ${text}`);
      setMessage(
        Object.keys(described.fields).length
          ? [i18next.t("Some fields need a change; see the messages under them."), ...unplaced].join(
              " "
            )
          : described.message
      );
      setSaving(false);
    }
  };

  const back = jobId ? fillPath(config.pages.job, { id: jobId }) : config.pages.list;
  return (
    <div className="jobs-form-page">
      <Header as="h1">{jobId ? i18next.t("Edit job") : i18next.t("New job")}</Header>
      <Form onSubmit={save} error={!!message} className="jobs-form" noValidate>
        <Segment>
          <Form.Input
            required
            name="title"
            id="job-title"
            label={i18next.t("Title")}
            value={job.title}
            error={errorOf("title")}
            onChange={(e, { value }) => set({ title: value })}
          />
          <Form.TextArea
            name="description"
            id="job-description"
            label={i18next.t("Description")}
            rows={2}
            value={job.description || ""}
            error={errorOf("description")}
            onChange={(e, { value }) => set({ description: value })}
          />
          <Form.Group widths="equal">
            <Form.Dropdown
              required
              selection
              search
              name="task"
              id="job-task"
              aria-label={i18next.t("Job type")}
              searchInput={{ "aria-label": i18next.t("Job type") }}
              label={i18next.t("Job type")}
              placeholder={i18next.t("Choose what the job runs")}
              disabled={!!jobId}
              value={job.task}
              error={errorOf("task")}
              options={tasks.map((t) => ({
                key: t.id,
                value: t.id,
                text: t.title,
                description: t.id,
              }))}
              onChange={(e, { value }) => chooseTask(value)}
            />
            <Form.Dropdown
              selection
              name="default_queue"
              id="job-queue"
              aria-label={i18next.t("Queue")}
              label={i18next.t("Queue")}
              value={job.default_queue}
              error={errorOf("default_queue")}
              options={queueOptions(config)}
              onChange={(e, { value }) => set({ default_queue: value })}
            />
          </Form.Group>
          <Form.Checkbox
            toggle
            name="active"
            id="job-active"
            label={i18next.t("Active: run on its schedule")}
            checked={job.active}
            onChange={(e, { checked }) => set({ active: checked })}
          />
        </Segment>

        <ScheduleEditor
          api={api}
          value={schedule}
          ignoreWindows={!!(job && job.ignore_maintenance_windows)}
          errors={errors}
          onChange={(changed) => {
            setSchedule(changed);
            setErrors(
              Object.fromEntries(
                Object.entries(errors).filter(([field]) => !field.startsWith("schedule"))
              )
            );
          }}
        />

        {argumentFields && (
          <Segment className="jobs-arguments-segment">
            <ArgumentsForm
              fields={argumentFields}
              values={job.run_args || {}}
              errors={argumentErrors}
              onChange={(runArgs, problem) => {
                set({ run_args: runArgs });
                if (!problem && message === argumentsProblem) setMessage(null);
                setArgumentsProblem(problem);
              }}
            />
          </Segment>
        )}

        <Segment>
          <Header as="h4" dividing>
            {i18next.t("Execution")}
          </Header>
          <Form.Group widths="equal">
            <Form.Input
              type="number"
              min={1}
              name="timeout"
              id="job-timeout"
              label={i18next.t("Timeout (seconds)")}
              placeholder={i18next.t("No limit")}
              value={job.timeout === null ? "" : job.timeout}
              error={errorOf("timeout")}
              onChange={(e, { value }) => set({ timeout: value })}
            />
            <Form.Input
              type="number"
              min={0}
              max={100}
              name="max_retries"
              id="job-max-retries"
              label={i18next.t("Retries")}
              value={job.max_retries}
              error={errorOf("max_retries")}
              onChange={(e, { value }) => set({ max_retries: value })}
            />
            <Form.Dropdown
              selection
              name="pool"
              id="job-pool"
              aria-label={i18next.t("Pool")}
              label={i18next.t("Pool")}
              value={job.pool || ""}
              error={errorOf("pool")}
              options={[
                { key: "", value: "", text: i18next.t("No pool: start at once") },
                ...pools.map((pool) => ({
                  key: pool.name,
                  value: pool.name,
                  text: i18next.t("{{name}} ({{slots}} at once)", {
                    name: pool.name,
                    slots: pool.slots,
                  }),
                })),
              ]}
              onChange={(e, { value }) => set({ pool: value || null })}
            />
            <Form.Dropdown
              selection
              name="misfire_policy"
              id="job-misfire-policy"
              aria-label={i18next.t("Missed runs")}
              label={i18next.t("Missed runs")}
              value={job.misfire_policy}
              error={errorOf("misfire_policy")}
              options={misfireOptions()}
              onChange={(e, { value }) => set({ misfire_policy: value })}
            />
          </Form.Group>
          <Form.Input
            type="email"
            name="run_as"
            id="job-run-as"
            label={i18next.t("Run as (e-mail of a user)")}
            placeholder={i18next.t("Whoever starts the run; the system when scheduled")}
            value={runAs}
            error={errorOf("run_as")}
            aria-describedby="job-run-as-help"
            onChange={(e, { value }) => setRunAs(value)}
          />
          <p id="job-run-as-help" className="jobs-field-help">
            {i18next.t(
              "Every run of the job, scheduled or manual, executes as this user, with the user's roles: a service account that owns what the job creates."
            )}
          </p>
          <Form.Checkbox
            toggle
            name="allow_overlap"
            id="job-allow-overlap"
            label={i18next.t("Allow a new run while the last one still runs")}
            checked={job.allow_overlap}
            onChange={(e, { checked }) => set({ allow_overlap: checked })}
          />
          <Form.Checkbox
            toggle
            name="ignore_maintenance_windows"
            id="job-ignore-maintenance-windows"
            label={i18next.t("Run even inside maintenance windows")}
            checked={!!job.ignore_maintenance_windows}
            onChange={(e, { checked }) => set({ ignore_maintenance_windows: checked })}
          />
        </Segment>

        <RunAfterEditor
          api={api}
          jobId={jobId}
          value={runAfter}
          errors={errors}
          onChange={setRunAfter}
        />

        <Segment>
          <Header as="h4" dividing>
            {i18next.t("Notifications")}
          </Header>
          <Form.Input
            name="notification_emails"
            id="job-notification-emails"
            label={i18next.t("Email addresses")}
            placeholder="ops@example.org, admin@example.org"
            value={emails}
            error={emailErrors ? { content: emailErrors, pointing: "above" } : undefined}
            onChange={(e, { value }) => setEmails(value)}
          />
          <Form.Dropdown
            multiple
            selection
            name="notification_statuses"
            id="job-notification-statuses"
            aria-label={i18next.t("When a run ends with")}
            label={i18next.t("When a run ends with")}
            placeholder={i18next.t("Any status")}
            value={job.notification_statuses || []}
            error={errorOf("notification_statuses")}
            options={FINISHED.map((status) => ({
              key: status,
              value: status,
              text: STATUS[status].text(),
            }))}
            onChange={(e, { value }) => set({ notification_statuses: value })}
          />
        </Segment>

        <AlertSettings value={alerts} errors={errors} onChange={setAlerts} />

        {message && <Message error content={message} className="jobs-form-error" />}
        <Button
          type="submit"
          primary
          loading={saving}
          icon="save"
          labelPosition="left"
          className="jobs-save"
          content={i18next.t("Save")}
        />
        <Button as="a" href={back} content={i18next.t("Cancel")} />
      </Form>
    </div>
  );
}

JobForm.propTypes = {
  config: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  jobId: PropTypes.string,
};
JobForm.defaultProps = { jobId: null };

mountPage(JobForm);
