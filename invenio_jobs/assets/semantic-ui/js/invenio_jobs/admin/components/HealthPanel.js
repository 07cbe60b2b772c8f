/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// Is the background work healthy? Above the jobs list: the runs of the last
// 24 hours (or 7 days) stacked by status, the failed runs with links, the
// jobs whose last run failed, and how late scheduled runs start (p50, p95).
// One call to /api/jobs/stats, refreshed now and then.

import React, { useCallback, useEffect, useState } from "react";
import PropTypes from "prop-types";
import { DateTime } from "luxon";
import { Button, Grid, Header, List, Segment, Statistic } from "semantic-ui-react";
import { i18next } from "../../i18next";
import { ChartCanvas, STATUS_ORDER, statusColor, useChart } from "./charts";
import { STATUS, exactTime, fillPath, formatDuration, pageLocale } from "./format";
import { usePolling } from "./usePolling";

const WINDOWS = () => [
  { key: "24h", text: i18next.t("24 hours") },
  { key: "7d", text: i18next.t("7 days") },
];

const SHOWN = 5;

function bucketLabel(iso, window) {
  const time = DateTime.fromISO(iso).setLocale(pageLocale());
  return window === "24h"
    ? time.toLocaleString(DateTime.TIME_SIMPLE)
    : time.toLocaleString({ weekday: "short", hour: "2-digit", minute: "2-digit" });
}

function RunsPerBucket({ stats }) {
  const statuses = STATUS_ORDER.filter((status) => stats.totals[status]);
  const { canvas } = useChart(
    () => ({
      type: "bar",
      data: {
        labels: stats.buckets.map((bucket) => bucketLabel(bucket.start, stats.window)),
        datasets: statuses.map((status) => ({
          label: STATUS[status] ? STATUS[status].text() : status,
          data: stats.buckets.map((bucket) => bucket.counts[status] || 0),
          backgroundColor: statusColor(status),
          stack: "runs",
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        responsive: true,
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: {
            mode: "index",
            callbacks: {
              title: (items) => exactTime(stats.buckets[items[0].dataIndex].start),
            },
          },
        },
        scales: {
          x: { stacked: true, ticks: { maxTicksLimit: 12, maxRotation: 0 }, grid: { display: false } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0, maxTicksLimit: 5 } },
        },
      },
    }),
    [stats]
  );
  return (
    <ChartCanvas
      canvas={canvas}
      className="jobs-health-canvas"
      label={i18next.t("Runs per hour by status; {{count}} runs in all", {
        count: stats.total,
      })}
    />
  );
}

RunsPerBucket.propTypes = { stats: PropTypes.object.isRequired };

// A red count when not zero, its label, and links to the first few items.
function CountWithLinks({ name, count, label, items }) {
  return (
    <div className={`jobs-health-${name}`}>
      <Statistic size="mini" color={count ? "red" : undefined}>
        <Statistic.Value className={`jobs-health-${name}-count`} data-value={count}>
          {count}
        </Statistic.Value>
        <Statistic.Label>{label}</Statistic.Label>
      </Statistic>
      {items.length > 0 && (
        <List size="small" className={`jobs-health-${name}-items`}>
          {items.slice(0, SHOWN).map((item) => (
            <List.Item key={item.key} {...item.data}>
              <a href={item.href}>{item.title}</a>{" "}
              <span className="jobs-muted" title={item.hint}>
                {item.note}
              </span>
            </List.Item>
          ))}
        </List>
      )}
    </div>
  );
}

CountWithLinks.propTypes = {
  name: PropTypes.string.isRequired,
  count: PropTypes.number.isRequired,
  label: PropTypes.string.isRequired,
  items: PropTypes.array.isRequired,
};

// The window's failed runs, the latest first, each linked to its page.
const failedRuns = (stats, config) =>
  stats.failed.runs.map((run) => ({
    key: run.id,
    data: { "data-run-id": run.id },
    href: fillPath(config.pages.run, { id: run.job_id, run_id: run.id }),
    title: run.job_title,
    note: exactTime(run.created),
    hint: run.message,
  }));

// The jobs whose last run failed, each linked to its page, with the reason.
const failingJobs = (stats, config) =>
  stats.failing_jobs.map((job) => ({
    key: job.id,
    data: { "data-job-id": job.id },
    href: fillPath(config.pages.job, { id: job.id }),
    title: job.title,
    note: job.last_run.message,
    hint: exactTime(job.last_run.created),
  }));

function Lag({ lag }) {
  const shown = (value) => (value === null ? "-" : formatDuration(value));
  return (
    <div className="jobs-health-lag">
      <Statistic.Group size="mini">
        {[
          ["p50", i18next.t("Lag p50")],
          ["p95", i18next.t("Lag p95")],
        ].map(([key, label]) => (
          <Statistic key={key}>
            <Statistic.Value
              className={`jobs-health-lag-${key}`}
              data-value={lag[key] === null ? "" : lag[key]}
            >
              {shown(lag[key])}
            </Statistic.Value>
            <Statistic.Label>{label}</Statistic.Label>
          </Statistic>
        ))}
      </Statistic.Group>
      <div className="jobs-muted">
        {i18next.t("From fire time to start, {{count}} scheduled runs", { count: lag.count })}
      </div>
    </div>
  );
}

Lag.propTypes = { lag: PropTypes.object.isRequired };

// "3 jobs late · 1 job failing": the kinds of alert that hold for a job now.
function AlertCounts({ alerts }) {
  if (!alerts) return null;
  const words = {
    late: (count) => i18next.t("{{count}} jobs late", { count }),
    no_success: (count) => i18next.t("{{count}} jobs without success", { count }),
    too_long: (count) => i18next.t("{{count}} jobs running too long", { count }),
    failures: (count) => i18next.t("{{count}} jobs failing in a row", { count }),
  };
  return Object.entries(words)
    .filter(([kind]) => alerts[kind])
    .map(([kind, text]) => (
      <React.Fragment key={kind}>
        {" · "}
        <span className={`jobs-health-alerts-${kind}`} data-value={alerts[kind]}>
          {text(alerts[kind])}
        </span>
      </React.Fragment>
    ));
}

AlertCounts.propTypes = { alerts: PropTypes.object };
AlertCounts.defaultProps = { alerts: null };

export function HealthPanel({ api, config }) {
  const [span, setSpan] = useState("24h");
  const [stats, setStats] = useState(null);
  const [error, setError] = useState(null);

  const load = useCallback(async () => {
    try {
      setStats(await api.getStats(span));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [api, span]);

  useEffect(() => {
    load();
  }, [load]);
  usePolling(load, config.refresh_ms * 15);

  if (error && !stats) return null; // the list itself shows what went wrong
  return (
    <Segment className="jobs-health" aria-labelledby="jobs-health-title">
      <Grid columns={2} verticalAlign="middle">
        <Grid.Column width={10}>
          <Header as="h2" size="small" id="jobs-health-title">
            {i18next.t("Health")}
            {stats && (
              <Header.Subheader>
                <span className="jobs-health-total" data-value={stats.total}>
                  {i18next.t("{{count}} runs", { count: stats.total })}
                </span>
                {" · "}
                <span className="jobs-health-now" data-queued={stats.now.queued} data-running={stats.now.running}>
                  {i18next.t("{{queued}} queued and {{running}} running now", stats.now)}
                </span>
                <AlertCounts alerts={stats.alerts} />
              </Header.Subheader>
            )}
          </Header>
        </Grid.Column>
        <Grid.Column width={6} textAlign="right">
          <Button.Group size="mini" basic className="jobs-health-window">
            {WINDOWS().map((option) => (
              <Button
                key={option.key}
                active={span === option.key}
                aria-pressed={span === option.key}
                data-window={option.key}
                onClick={() => setSpan(option.key)}
                content={option.text}
              />
            ))}
          </Button.Group>
        </Grid.Column>
      </Grid>
      {stats && (
        <Grid stackable columns={4} className="jobs-health-body">
          <Grid.Column width={7}>
            <RunsPerBucket stats={stats} />
          </Grid.Column>
          {[
            ["failed", stats.failed.count, i18next.t("Failed runs"), failedRuns],
            [
              "failing",
              stats.failing_jobs.length,
              i18next.t("Jobs whose last run failed"),
              failingJobs,
            ],
          ].map(([name, count, label, items]) => (
            <Grid.Column width={3} key={name}>
              <CountWithLinks
                name={name}
                count={count}
                label={label}
                items={items(stats, config)}
              />
            </Grid.Column>
          ))}
          <Grid.Column width={3}>
            <Lag lag={stats.lag} />
          </Grid.Column>
        </Grid>
      )}
    </Segment>
  );
}

HealthPanel.propTypes = {
  api: PropTypes.object.isRequired,
  config: PropTypes.object.isRequired,
};
