/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// A job's recent history as a picture: one bar per run of the last 50,
// oldest on the left; height is the duration, colour the status. Hovering
// a bar tells its start, duration and message; clicking opens the run. A
// run still running grows every second; the bars are loaded again whenever
// the page reloads its runs (``refreshKey``). The same bars are listed in a
// table for screen readers, since a canvas says nothing to them.

import React, { useCallback, useEffect, useState } from "react";
import PropTypes from "prop-types";
import { DateTime } from "luxon";
import { Header, Segment, Statistic } from "semantic-ui-react";
import { i18next } from "../../i18next";
import { ChartCanvas, statusColor, useChart } from "./charts";
import {
  STATUS,
  exactTime,
  fillPath,
  firstLine,
  formatDuration,
  isActive,
  pageLocale,
  runSeconds,
} from "./format";

export const CHART_RUNS = 50;

const statusText = (status) => (STATUS[status] ? STATUS[status].text() : status);

// Seconds of a run at ``now``: a running run counts up to this second.
function secondsAt(run, now) {
  if (isActive(run) && run.started_at) {
    const started = DateTime.fromISO(run.started_at).toMillis();
    return Math.max(0, (now - started) / 1000);
  }
  return runSeconds(run) || 0;
}

// Median duration of the finished runs, and the share of them that succeeded.
export function runFigures(runs) {
  const finished = runs.filter((run) => !isActive(run));
  const durations = finished
    .map((run) => runSeconds(run))
    .filter((seconds) => seconds !== null && seconds !== undefined)
    .sort((a, b) => a - b);
  let median = null;
  if (durations.length) {
    const middle = Math.floor(durations.length / 2);
    median =
      durations.length % 2 ? durations[middle] : (durations[middle - 1] + durations[middle]) / 2;
  }
  const succeeded = finished.filter((run) => run.status === "SUCCESS").length;
  const rate = finished.length ? Math.round((100 * succeeded) / finished.length) : null;
  return { median, rate, finished: finished.length };
}

// Writes where each bar is drawn onto its row of the screen reader table,
// so that the bars can be found on the canvas (tests, assistive tools).
const barPositions = {
  id: "jobsBarPositions",
  afterRender(chart) {
    const rows = chart.canvas.closest(".jobs-runs-chart").querySelectorAll("tr[data-run-id]");
    chart.getDatasetMeta(0).data.forEach((bar, index) => {
      if (!rows[index]) return;
      rows[index].dataset.x = String(Math.round(bar.x));
      rows[index].dataset.y = String(Math.round((bar.y + bar.base) / 2));
    });
  },
};

export function RunsChart({ api, config, jobId, refreshKey }) {
  const [runs, setRuns] = useState(null);
  const [now, setNow] = useState(Date.now());

  const load = useCallback(async () => {
    const result = await api.listRuns(jobId, { page: 1, size: CHART_RUNS });
    setRuns(result.hits.hits.slice().reverse());
  }, [api, jobId]);

  useEffect(() => {
    load().catch(() => setRuns([]));
  }, [load, refreshKey]);
  const anyActive = !!runs && runs.some(isActive);
  useEffect(() => {
    if (!anyActive) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [anyActive]);

  const bars = (runs || []).map((run) => ({
    run,
    seconds: secondsAt(run, now),
    color: statusColor(run.status),
  }));
  const openRun = (run) =>
    window.location.assign(fillPath(config.pages.run, { id: run.job_id, run_id: run.id }));

  const { canvas } = useChart(() => {
    if (!bars.length) return null;
    return {
      type: "bar",
      data: {
        labels: bars.map(({ run }) =>
          DateTime.fromISO(run.started_at || run.created)
            .setLocale(pageLocale())
            .toLocaleString(DateTime.DATETIME_SHORT)
        ),
        datasets: [
          {
            label: i18next.t("Duration"),
            data: bars.map((bar) => bar.seconds),
            backgroundColor: bars.map((bar) => bar.color),
            minBarLength: 3,
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        responsive: true,
        onClick: (event, elements) => {
          if (elements.length) openRun(bars[elements[0].index].run);
        },
        onHover: (event, elements) => {
          event.native.target.style.cursor = elements.length ? "pointer" : "default";
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items) => {
                const { run } = bars[items[0].dataIndex];
                return exactTime(run.started_at || run.created);
              },
              label: (item) => {
                const { run, seconds } = bars[item.dataIndex];
                const lines = [
                  `${statusText(run.status)} · ${formatDuration(seconds)}`,
                ];
                if (run.message) lines.push(firstLine(run.message).slice(0, 120));
                return lines;
              },
            },
          },
        },
        scales: {
          x: { ticks: { maxTicksLimit: 8, maxRotation: 0 }, grid: { display: false } },
          y: {
            beginAtZero: true,
            ticks: {
              maxTicksLimit: 5,
              callback: (value) => (value ? formatDuration(value) : "0"),
            },
          },
        },
      },
      plugins: [barPositions],
    };
  }, [runs, now, config.pages.run]);

  if (!runs || runs.length === 0) return null;
  const figures = runFigures(runs);
  return (
    <Segment className="jobs-runs-chart">
      <Header as="h3" size="small" className="jobs-chart-header">
        {i18next.t("Last {{count}} runs", { count: runs.length })}
      </Header>
      <Statistic.Group size="mini" className="jobs-chart-figures">
        <Statistic className="jobs-chart-median" data-value={figures.median === null ? "" : figures.median}>
          <Statistic.Value>{formatDuration(figures.median)}</Statistic.Value>
          <Statistic.Label>{i18next.t("Median duration")}</Statistic.Label>
        </Statistic>
        <Statistic className="jobs-chart-success" data-value={figures.rate === null ? "" : figures.rate}>
          <Statistic.Value>{figures.rate === null ? "-" : `${figures.rate} %`}</Statistic.Value>
          <Statistic.Label>{i18next.t("Success rate")}</Statistic.Label>
        </Statistic>
      </Statistic.Group>
      <ChartCanvas
        canvas={canvas}
        label={i18next.t("Duration and status of the last {{count}} runs", {
          count: runs.length,
        })}
      />
      <table className="jobs-sr-only jobs-chart-table">
        <caption>{i18next.t("Runs in the chart, oldest first")}</caption>
        <thead>
          <tr>
            <th scope="col">{i18next.t("Started")}</th>
            <th scope="col">{i18next.t("Status")}</th>
            <th scope="col">{i18next.t("Duration")}</th>
            <th scope="col">{i18next.t("Message")}</th>
          </tr>
        </thead>
        <tbody>
          {bars.map(({ run, seconds, color }) => (
            <tr key={run.id} data-run-id={run.id} data-status={run.status} data-color={color}>
              <td>
                <a href={fillPath(config.pages.run, { id: run.job_id, run_id: run.id })}>
                  {exactTime(run.started_at || run.created)}
                </a>
              </td>
              <td>{statusText(run.status)}</td>
              <td data-seconds={Math.round(seconds)}>{formatDuration(seconds)}</td>
              <td>{firstLine(run.message)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Segment>
  );
}

RunsChart.propTypes = {
  api: PropTypes.object.isRequired,
  config: PropTypes.object.isRequired,
  jobId: PropTypes.string.isRequired,
  refreshKey: PropTypes.any,
};
RunsChart.defaultProps = { refreshKey: null };
