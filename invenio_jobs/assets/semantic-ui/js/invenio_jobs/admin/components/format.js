/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// Small pieces every page shows: statuses, times, durations, progress.

import React from "react";
import PropTypes from "prop-types";
import { DateTime, Duration } from "luxon";
import { Label, Pagination, Progress, Table } from "semantic-ui-react";
import { i18next } from "../../i18next";

export const ACTIVE_STATUSES = ["QUEUED", "RUNNING", "CANCELLING"];

export const STATUS = {
  QUEUED: { color: "grey", icon: "hourglass half", text: () => i18next.t("Queued") },
  RUNNING: { color: "blue", icon: "spinner", text: () => i18next.t("Running") },
  SUCCESS: { color: "green", icon: "check", text: () => i18next.t("Success") },
  FAILED: { color: "red", icon: "times", text: () => i18next.t("Failed") },
  WARNING: { color: "orange", icon: "warning sign", text: () => i18next.t("Warning") },
  PARTIAL_SUCCESS: {
    color: "orange",
    icon: "adjust",
    text: () => i18next.t("Partial success"),
  },
  CANCELLING: { color: "yellow", icon: "stop", text: () => i18next.t("Cancelling") },
  CANCELLED: { color: "brown", icon: "ban", text: () => i18next.t("Cancelled") },
};

export const isActive = (run) => !!run && ACTIVE_STATUSES.includes(run.status);

export function StatusLabel({ status, size }) {
  const known = STATUS[status] || { color: "grey", icon: "question", text: () => status };
  return (
    <Label
      color={known.color}
      size={size}
      className="jobs-status"
      data-status={status}
      icon={known.icon}
      content={known.text()}
    />
  );
}

StatusLabel.propTypes = { status: PropTypes.string.isRequired, size: PropTypes.string };
StatusLabel.defaultProps = { size: "small" };

const parse = (iso) => (iso ? DateTime.fromISO(iso, { setZone: false }) : null);

// The time zone of a job's cron schedule, to show its times in; else null.
export function cronZone(job) {
  return job.schedule && job.schedule.type === "crontab" ? job.schedule.timezone || null : null;
}

// The page's language, for Intl's formats of dates, times and numbers.
export const pageLocale = () => i18next.language || "en";

const WITH_ZONE = { ...DateTime.DATETIME_MED_WITH_SECONDS, timeZoneName: "short" };

// A time in the page's locale, always with its zone: the zone given (a
// cron's zone, named as the job names it), else the browser's.
export function exactTime(iso, zone) {
  const time = parse(iso);
  if (!time || !time.isValid) return "";
  if (zone) {
    const zoned = time.setZone(zone).setLocale(pageLocale());
    if (zoned.isValid) {
      return `${zoned.toLocaleString(DateTime.DATETIME_MED_WITH_SECONDS)} ${zone}`;
    }
  }
  return time.setLocale(pageLocale()).toLocaleString(WITH_ZONE);
}

// A log line's time: date, time to the millisecond, and zone.
export function logTime(iso) {
  const time = parse(iso);
  if (!time || !time.isValid) return iso || "";
  const local = time.setLocale(pageLocale());
  return `${local.toLocaleString(DateTime.DATE_SHORT)} ${local.toFormat("HH:mm:ss.SSS")} ${
    local.offsetNameShort
  }`;
}

export function relativeTime(iso) {
  const time = parse(iso);
  return time && time.isValid ? time.toRelative({ locale: pageLocale() }) : "";
}

// What made a run, in words: "scheduled", "coalesce", "catch up", ...
export function triggerText(trigger) {
  const words = {
    manual: () => i18next.t("manual"),
    scheduled: () => i18next.t("scheduled"),
    coalesce: () => i18next.t("coalesced"),
    catch_up: () => i18next.t("catch-up"),
    subtask: () => i18next.t("subtask"),
    after: () => i18next.t("after another job"),
  };
  return words[trigger] ? words[trigger]() : trigger || "";
}

// "3 minutes ago", with the exact local time on hover.
export function Time({ value, placeholder }) {
  if (!value) return <span className="jobs-time">{placeholder}</span>;
  return (
    <time className="jobs-time" dateTime={value} title={exactTime(value)}>
      {relativeTime(value)}
    </time>
  );
}

Time.propTypes = { value: PropTypes.string, placeholder: PropTypes.node };
Time.defaultProps = { value: null, placeholder: "-" };

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "-";
  if (seconds < 1) return i18next.t("{{count}} ms", { count: Math.round(seconds * 1000) });
  if (seconds < 60) return i18next.t("{{count}} s", { count: Math.round(seconds) });
  const duration = Duration.fromMillis(Math.round(seconds) * 1000).shiftTo(
    "days",
    "hours",
    "minutes",
    "seconds"
  );
  const parts = [];
  if (duration.days) parts.push(i18next.t("{{count}} d", { count: duration.days }));
  if (duration.hours) parts.push(i18next.t("{{count}} h", { count: duration.hours }));
  if (duration.minutes) parts.push(i18next.t("{{count}} min", { count: duration.minutes }));
  if (duration.seconds && !duration.days)
    parts.push(i18next.t("{{count}} s", { count: duration.seconds }));
  return parts.join(" ");
}

// Seconds a run took, or has taken so far while it runs.
export function runSeconds(run) {
  if (run.duration !== null && run.duration !== undefined) return run.duration;
  if (!run.started_at) return null;
  const end = run.finished_at ? parse(run.finished_at) : DateTime.utc();
  return Math.max(0, end.diff(parse(run.started_at), "seconds").seconds);
}

export function startedBy(run) {
  if (!run.started_by) return i18next.t("System");
  return run.started_by.username || run.started_by.email || `#${run.started_by.id}`;
}

// Under a run's status: how long it took (or has run so far) and who started
// it, or what did (a schedule); a queued run has no time yet, and shows none.
export function runNote(run) {
  const parts = [];
  const seconds = runSeconds(run);
  if (seconds !== null) parts.push(formatDuration(seconds));
  if (run.started_by_id) parts.push(i18next.t("by {{name}}", { name: startedBy(run) }));
  else if (run.trigger) parts.push(triggerText(run.trigger));
  return parts.join(" · ");
}

// What a queued run waits for when its job's pool has no free slot: "waiting
// for pool harvest (2 of 2 busy)". Nothing for any other run.
export function PoolWait({ wait }) {
  if (!wait) return null;
  return (
    <span className="jobs-pool-wait" data-pool={wait.pool}>
      {i18next.t("waiting for pool {{pool}} ({{busy}} of {{slots}} busy)", {
        pool: wait.pool,
        busy: wait.busy,
        slots: wait.slots,
      })}
    </span>
  );
}

PoolWait.propTypes = { wait: PropTypes.object };
PoolWait.defaultProps = { wait: null };

// Where a page sits: links to the pages above it, then its own name (cut to
// one line when long; the whole of it on hover).
export function Breadcrumb({ links, current, currentClass }) {
  return (
    <nav className="jobs-breadcrumb" aria-label={i18next.t("Breadcrumb")}>
      {links.map((link) => (
        <React.Fragment key={link.href}>
          <a href={link.href} className={link.className} title={link.text}>
            {link.text}
          </a>{" "}
          /{" "}
        </React.Fragment>
      ))}
      <span className={`jobs-crumb-current ${currentClass}`} aria-current="page" title={current}>
        {current}
      </span>
    </nav>
  );
}

Breadcrumb.propTypes = {
  links: PropTypes.arrayOf(
    PropTypes.shape({ href: PropTypes.string, text: PropTypes.string, className: PropTypes.string })
  ).isRequired,
  current: PropTypes.string.isRequired,
  currentClass: PropTypes.string,
};
Breadcrumb.defaultProps = { currentClass: "" };

export function firstLine(text) {
  return text ? String(text).split("\n")[0] : "";
}

// Entries done of the total, and subtasks ended of all of them.
export function RunProgress({ run }) {
  const done =
    (run.inserted_entries || 0) + (run.updated_entries || 0) + (run.errored_entries || 0);
  const parts = [];
  if (run.total_entries) {
    parts.push(
      <Progress
        key="entries"
        size="small"
        value={Math.min(done, run.total_entries)}
        total={run.total_entries}
        color={run.errored_entries ? "orange" : "blue"}
        active={isActive(run)}
        className="jobs-progress"
        label={i18next.t("{{done}} of {{total}} entries", {
          done: Math.min(done, run.total_entries),
          total: run.total_entries,
        })}
      />
    );
  } else if (done) {
    parts.push(
      <span key="entries">{i18next.t("{{count}} entries done", { count: done })}</span>
    );
  }
  if (run.total_subtasks) {
    parts.push(
      <Progress
        key="subtasks"
        size="small"
        value={run.completed_subtasks}
        total={run.total_subtasks}
        color={run.failed_subtasks ? "orange" : "teal"}
        label={i18next.t("{{done}} of {{total}} subtasks", {
          done: run.completed_subtasks,
          total: run.total_subtasks,
        })}
      />
    );
  }
  return parts.length ? <div className="jobs-run-progress">{parts}</div> : null;
}

RunProgress.propTypes = { run: PropTypes.object.isRequired };

export function fillPath(template, values) {
  return Object.entries(values).reduce(
    (path, [key, value]) => path.replace(`{${key}}`, encodeURIComponent(value)),
    template
  );
}

// The queues of JOBS_QUEUES as dropdown options.
export function queueOptions(config) {
  return config.queues.map((queue) => ({
    key: queue.name,
    value: queue.name,
    text: queue.title,
    description: queue.description,
  }));
}

// One row of a two-column table of settings: the name, then the value.
export function SettingRow({ label, children }) {
  return (
    <Table.Row>
      <Table.Cell width={4}>
        <strong>{label}</strong>
      </Table.Cell>
      <Table.Cell>{children}</Table.Cell>
    </Table.Row>
  );
}

SettingRow.propTypes = { label: PropTypes.string.isRequired, children: PropTypes.node };
SettingRow.defaultProps = { children: null };

// Marks a job whose type is not registered or failed to load: it creates no
// runs until the type is back; the reason shows on hover, or below it.
export function TaskUnavailableLabel({ job, detailed }) {
  if (job.task_available !== false) return null;
  return (
    <div className="jobs-task-unavailable">
      <Label color="red" basic size="small" title={job.task_error || ""}>
        {i18next.t("Job type not available")}
      </Label>
      {detailed && job.task_error && <div className="jobs-muted">{job.task_error}</div>}
    </div>
  );
}

TaskUnavailableLabel.propTypes = {
  job: PropTypes.object.isRequired,
  detailed: PropTypes.bool,
};
TaskUnavailableLabel.defaultProps = { detailed: false };

// Page links whose names a screen reader can read ("Next page", "Page 3").
export function PageLinks({ label, activePage, totalPages, onPageChange }) {
  return (
    <Pagination
      aria-label={label}
      activePage={activePage}
      totalPages={totalPages}
      onPageChange={onPageChange}
      firstItem={{ "aria-label": i18next.t("First page"), content: "«" }}
      lastItem={{ "aria-label": i18next.t("Last page"), content: "»" }}
      prevItem={{ "aria-label": i18next.t("Previous page"), content: "‹" }}
      nextItem={{ "aria-label": i18next.t("Next page"), content: "›" }}
      ellipsisItem={{ "aria-hidden": true, content: "…", disabled: true }}
      pageItem={(Item, props) => (
        <Item {...props} aria-label={i18next.t("Page {{page}}", { page: props.value })} />
      )}
    />
  );
}

PageLinks.propTypes = {
  label: PropTypes.string.isRequired,
  activePage: PropTypes.number.isRequired,
  totalPages: PropTypes.number.isRequired,
  onPageChange: PropTypes.func.isRequired,
};

// "after #42 of Import ROR": the run whose end started this one, linked.
export function AfterRunLink({ run, config }) {
  if (!run.after) return null;
  const page = fillPath(config.pages.run, { id: run.after.job_id, run_id: run.after.run_id });
  return (
    <div className="jobs-run-after">
      {i18next.t("after")}{" "}
      <a href={page} className="jobs-run-after-link">
        {i18next.t("#{{number}} of {{title}}", {
          number: run.after.number,
          title: run.after.job_title,
        })}
      </a>
    </div>
  );
}

AfterRunLink.propTypes = {
  run: PropTypes.object.isRequired,
  config: PropTypes.object.isRequired,
};
