/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// The schedule of a job: none, every N units, or a cron expression in a
// time zone. As the administrator types, the server checks the schedule and
// returns it in words with its next five fire times; an invalid field shows
// the server's reason under it.

import React, { useEffect, useState } from "react";
import PropTypes from "prop-types";
import { Form, List, Message, Segment } from "semantic-ui-react";
import { i18next } from "../../i18next";
import { describeError } from "../api";
import { exactTime, relativeTime } from "./format";

export const CRON_FIELDS = ["minute", "hour", "day_of_month", "month_of_year", "day_of_week"];
const UNITS = ["weeks", "days", "hours", "minutes", "seconds"];
const SECONDS = { weeks: 604800, days: 86400, hours: 3600, minutes: 60, seconds: 1 };

const cronLabels = () => ({
  minute: i18next.t("Minute"),
  hour: i18next.t("Hour"),
  day_of_month: i18next.t("Day of month"),
  month_of_year: i18next.t("Month"),
  day_of_week: i18next.t("Day of week"),
});

const unitOptions = () => [
  { key: "weeks", value: "weeks", text: i18next.t("weeks") },
  { key: "days", value: "days", text: i18next.t("days") },
  { key: "hours", value: "hours", text: i18next.t("hours") },
  { key: "minutes", value: "minutes", text: i18next.t("minutes") },
  { key: "seconds", value: "seconds", text: i18next.t("seconds") },
];

function timeZones(current) {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch (error) {
    zones = ["UTC"];
  }
  if (!zones.includes("UTC")) zones = ["UTC", ...zones];
  if (current && !zones.includes(current)) zones = [current, ...zones];
  return zones.map((zone) => ({ key: zone, value: zone, text: zone }));
}

// The editor's state from a stored schedule, and back.
export function scheduleToState(schedule, defaultTimezone) {
  const state = {
    kind: "none",
    every: 1,
    unit: "hours",
    cron: { minute: "0", hour: "2", day_of_month: "*", month_of_year: "*", day_of_week: "*" },
    timezone: defaultTimezone || "UTC",
  };
  if (!schedule) return state;
  if (schedule.type === "interval") {
    const units = UNITS.filter((unit) => schedule[unit]);
    if (units.length === 1) {
      state.every = schedule[units[0]];
      state.unit = units[0];
    } else {
      state.every = units.reduce((sum, unit) => sum + schedule[unit] * SECONDS[unit], 0);
      state.unit = "seconds";
    }
    state.kind = "interval";
  } else {
    state.kind = "crontab";
    CRON_FIELDS.forEach((field) => {
      if (schedule[field] !== undefined) state.cron[field] = String(schedule[field]);
    });
    state.timezone = schedule.timezone || state.timezone;
  }
  return state;
}

export function stateToSchedule(state) {
  if (state.kind === "interval") {
    const every = Number(state.every);
    return { type: "interval", [state.unit]: Number.isNaN(every) ? state.every : every };
  }
  if (state.kind === "crontab") {
    return { type: "crontab", ...state.cron, timezone: state.timezone };
  }
  return null;
}

export function ScheduleEditor({ api, value, onChange, errors, ignoreWindows }) {
  const [preview, setPreview] = useState(null);
  const [previewErrors, setPreviewErrors] = useState({});
  const schedule = stateToSchedule(value);
  const key = JSON.stringify([schedule, ignoreWindows]);

  useEffect(() => {
    if (!schedule) {
      setPreview(null);
      setPreviewErrors({});
      return undefined;
    }
    let current = true;
    const timer = setTimeout(async () => {
      try {
        const result = await api.previewSchedule(schedule, ignoreWindows);
        if (!current) return;
        setPreview(result);
        setPreviewErrors({});
      } catch (error) {
        if (!current) return;
        const described = describeError(error);
        setPreview(null);
        setPreviewErrors(
          Object.keys(described.fields).length ? described.fields : { schedule: described.message }
        );
      }
    }, 300);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  const allErrors = { ...errors, ...previewErrors };
  const errorOf = (...fields) => {
    const texts = fields.map((field) => allErrors[`schedule.${field}`]).filter(Boolean);
    return texts.length ? { content: texts.join(" "), pointing: "above" } : undefined;
  };
  // Errors of the schedule that no input shows go in the message below.
  const shownHere =
    value.kind === "interval"
      ? [value.unit, "interval"]
      : value.kind === "crontab"
      ? [...CRON_FIELDS, "timezone"]
      : [];
  const otherErrors = Object.entries(allErrors)
    .filter(
      ([field]) =>
        field === "schedule" ||
        (field.startsWith("schedule.") && !shownHere.includes(field.slice(9)))
    )
    .map(([, text]) => text);
  const set = (changes) => onChange({ ...value, ...changes });
  const labels = cronLabels();

  return (
    <Segment className="jobs-schedule-editor">
      <Form.Group inline role="radiogroup" aria-labelledby="schedule-kind-label">
        <label id="schedule-kind-label">{i18next.t("Schedule")}</label>
        <Form.Radio
          id="schedule-kind-none"
          label={i18next.t("None (run by hand)")}
          name="schedule-kind"
          value="none"
          checked={value.kind === "none"}
          onChange={() => set({ kind: "none" })}
        />
        <Form.Radio
          id="schedule-kind-interval"
          label={i18next.t("Interval")}
          name="schedule-kind"
          value="interval"
          checked={value.kind === "interval"}
          onChange={() => set({ kind: "interval" })}
        />
        <Form.Radio
          id="schedule-kind-crontab"
          label={i18next.t("Cron")}
          name="schedule-kind"
          value="crontab"
          checked={value.kind === "crontab"}
          onChange={() => set({ kind: "crontab" })}
        />
      </Form.Group>

      {value.kind === "interval" && (
        <Form.Group widths="equal">
          <Form.Input
            type="number"
            min={1}
            name="schedule.every"
            id="schedule-every"
            label={i18next.t("Every")}
            value={value.every}
            error={errorOf(value.unit, "interval")}
            onChange={(e, { value: every }) => set({ every })}
          />
          <Form.Dropdown
            selection
            name="schedule.unit"
            id="schedule-unit"
            aria-label={i18next.t("Unit")}
            label={i18next.t("Unit")}
            value={value.unit}
            options={unitOptions()}
            onChange={(e, { value: unit }) => set({ unit })}
          />
        </Form.Group>
      )}

      {value.kind === "crontab" && (
        <>
          <Form.Group widths="equal" className="jobs-cron-fields">
            {CRON_FIELDS.map((field) => (
              <Form.Input
                key={field}
                name={`schedule.${field}`}
                id={`schedule-${field}`}
                label={labels[field]}
                value={value.cron[field]}
                error={errorOf(field)}
                onChange={(e, { value: text }) => set({ cron: { ...value.cron, [field]: text } })}
              />
            ))}
          </Form.Group>
          <Form.Dropdown
            search
            selection
            name="schedule.timezone"
            id="schedule-timezone"
            aria-label={i18next.t("Time zone")}
            searchInput={{ "aria-label": i18next.t("Time zone") }}
            label={i18next.t("Time zone")}
            value={value.timezone}
            options={timeZones(value.timezone)}
            error={errorOf("timezone")}
            onChange={(e, { value: timezone }) => set({ timezone })}
          />
          <p className="jobs-field-help">
            {i18next.t(
              "Cron fields as in crontab: numbers, ranges (1-5), lists (1,15), steps (*/10) and names (mon-fri, jan)."
            )}
          </p>
        </>
      )}

      {otherErrors.length > 0 && (
        <Message negative size="small" className="jobs-schedule-error" content={otherErrors.join(" ")} />
      )}
      {schedule && preview && (
        <Message info size="small" className="jobs-schedule-preview">
          <Message.Header>{preview.description}</Message.Header>
          <p>{i18next.t("Next runs:")}</p>
          <List bulleted>
            {preview.next_runs.map((time, index) => {
              const zone = value.kind === "crontab" ? value.timezone : null;
              const heldUntil = (preview.held_until || [])[index];
              return (
                <List.Item key={time} className="jobs-fire-time">
                  {exactTime(time, zone)}{" "}
                  <span className="jobs-muted">({relativeTime(time)})</span>
                  {heldUntil && (
                    <span className="jobs-fire-held">
                      {" "}
                      {i18next.t("held by a maintenance window until {{time}}", {
                        time: exactTime(heldUntil, zone),
                      })}
                    </span>
                  )}
                </List.Item>
              );
            })}
          </List>
        </Message>
      )}
    </Segment>
  );
}

ScheduleEditor.propTypes = {
  api: PropTypes.object.isRequired,
  value: PropTypes.object.isRequired,
  onChange: PropTypes.func.isRequired,
  errors: PropTypes.object,
  ignoreWindows: PropTypes.bool,
};
ScheduleEditor.defaultProps = { errors: {}, ignoreWindows: false };
