/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */

// A job's alert settings in its form, and its alerts and deliveries on its page.

import React from "react";
import PropTypes from "prop-types";
import { Form, Header, Label, Message, Segment, Table } from "semantic-ui-react";
import { i18next } from "../../i18next";
import { Time, exactTime } from "./format";

// The thresholds, each off while empty: [field, label, step].
const THRESHOLDS = () => [
  ["late_minutes", i18next.t("Late after (minutes)"), 1],
  ["no_success_hours", i18next.t("No success within (hours)"), 1],
  ["too_long_minutes", i18next.t("Run longer than (minutes)"), 1],
  ["too_long_factor", i18next.t("Run longer than the usual duration times"), 0.5],
  ["failures_in_row", i18next.t("Failures in a row"), 1],
];

export const ALERT_KINDS = () => ({
  late: i18next.t("Late"),
  no_success: i18next.t("No success"),
  too_long: i18next.t("Too long"),
  failures: i18next.t("Failures in a row"),
});

// The form's state of stored settings (null: none).
export function alertsToState(alerts) {
  const stored = alerts || {};
  const state = { recovered: stored.recovered !== false, slack: false };
  THRESHOLDS().forEach(([field]) => {
    state[field] = stored[field] === undefined || stored[field] === null ? "" : String(stored[field]);
  });
  state.emails = (stored.emails || []).join(", ");
  const hooks = stored.webhooks || [];
  state.webhooks = hooks.map((hook) => hook.url).join("\n");
  state.slack = hooks.some((hook) => hook.format === "slack");
  return state;
}

// The settings the API takes, from the form's state.
export function stateToAlerts(state) {
  const alerts = { recovered: state.recovered };
  THRESHOLDS().forEach(([field]) => {
    const value = String(state[field] || "").trim();
    if (value) alerts[field] = Number(value);
  });
  alerts.emails = state.emails
    .split(/[\s,;]+/)
    .map((email) => email.trim())
    .filter(Boolean);
  alerts.webhooks = state.webhooks
    .split(/\s+/)
    .map((url) => url.trim())
    .filter(Boolean)
    .map((url) => ({ url, format: state.slack ? "slack" : "json" }));
  return alerts;
}

// The messages of the alert fields, joined per field ("alerts.emails.0" under emails).
function errorsOf(errors, field) {
  const texts = Object.entries(errors)
    .filter(([name]) => name === `alerts.${field}` || name.startsWith(`alerts.${field}.`))
    .map(([, text]) => text);
  return texts.length ? { content: Array.from(new Set(texts)).join(" "), pointing: "above" } : undefined;
}

export function AlertSettings({ value, errors, onChange }) {
  const set = (changes) => onChange({ ...value, ...changes });
  return (
    <Segment className="jobs-alert-settings">
      <Header as="h4" dividing>
        {i18next.t("Alerts")}
      </Header>
      <p id="job-alerts-help">
        {i18next.t(
          "Told once when a condition starts and once when it ends; leave a field empty to not watch it."
        )}
      </p>
      <Form.Group className="jobs-wrapping-fields">
        {THRESHOLDS().map(([field, label, step]) => (
          <Form.Input
            key={field}
            type="number"
            min={step === 1 ? 1 : 1.5}
            step={step}
            name={`alerts-${field}`}
            id={`job-alerts-${field.replace(/_/g, "-")}`}
            label={label}
            value={value[field]}
            error={errorsOf(errors, field)}
            onChange={(e, { value: changed }) => set({ [field]: changed })}
          />
        ))}
      </Form.Group>
      <Form.Checkbox
        toggle
        name="alerts-recovered"
        id="job-alerts-recovered"
        label={i18next.t("Tell when the condition has ended (all clear)")}
        checked={value.recovered}
        onChange={(e, { checked }) => set({ recovered: checked })}
      />
      <Form.Input
        name="alerts-emails"
        id="job-alerts-emails"
        label={i18next.t("Alert email addresses")}
        placeholder="ops@example.org"
        value={value.emails}
        error={errorsOf(errors, "emails")}
        onChange={(e, { value: changed }) => set({ emails: changed })}
      />
      <Form.TextArea
        name="alerts-webhooks"
        id="job-alerts-webhooks"
        rows={2}
        label={i18next.t("Webhook URLs, one per line")}
        placeholder="https://hooks.example.org/jobs"
        value={value.webhooks}
        error={errorsOf(errors, "webhooks")}
        onChange={(e, { value: changed }) => set({ webhooks: changed })}
      />
      <Form.Checkbox
        name="alerts-slack"
        id="job-alerts-slack"
        label={i18next.t("Send the webhooks Slack's message body")}
        checked={value.slack}
        onChange={(e, { checked }) => set({ slack: checked })}
      />
    </Segment>
  );
}

AlertSettings.propTypes = {
  value: PropTypes.object.isRequired,
  errors: PropTypes.object.isRequired,
  onChange: PropTypes.func.isRequired,
};

const DELIVERY_STATUS = () => ({
  pending: { text: i18next.t("Waiting to be tried"), color: "grey" },
  delivered: { text: i18next.t("Delivered"), color: "green" },
  failed: { text: i18next.t("Given up"), color: "red" },
});

const EVENTS = () => ({ started: i18next.t("Started"), recovered: i18next.t("Ended") });

export function JobAlerts({ alerts }) {
  if (!alerts) return null;
  const kinds = ALERT_KINDS();
  const open = alerts.alerts.filter((alert) => !alert.ended_at);
  const statuses = DELIVERY_STATUS();
  const events = EVENTS();
  return (
    <Segment className="jobs-alerts">
      <Header as="h2" className="jobs-alerts-header">
        {i18next.t("Alerts")}
      </Header>
      {open.length ? (
        <Message warning className="jobs-open-alerts">
          {open.map((alert) => (
            <p key={alert.kind}>
              {i18next.t("{{kind}} since {{time}}", {
                kind: kinds[alert.kind] || alert.kind,
                time: exactTime(alert.started_at),
              })}
            </p>
          ))}
        </Message>
      ) : (
        <p className="jobs-no-open-alerts">{i18next.t("No alert holds now.")}</p>
      )}
      {alerts.deliveries.length ? (
        <Table compact celled className="jobs-deliveries-table">
          <Table.Header>
            <Table.Row>
              <Table.HeaderCell>{i18next.t("Alert")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Event")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Sent to")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Delivery")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Tries")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Last error")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Created")}</Table.HeaderCell>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {alerts.deliveries.map((delivery) => {
              const status = statuses[delivery.status] || { text: delivery.status, color: "grey" };
              return (
                <Table.Row key={delivery.id} className="jobs-delivery-row" data-status={delivery.status}>
                  <Table.Cell>{kinds[delivery.kind] || delivery.kind}</Table.Cell>
                  <Table.Cell>{events[delivery.event] || delivery.event}</Table.Cell>
                  <Table.Cell className="jobs-delivery-target">{delivery.target}</Table.Cell>
                  <Table.Cell>
                    <Label color={status.color} size="small" content={status.text} />
                  </Table.Cell>
                  <Table.Cell>{delivery.tries}</Table.Cell>
                  <Table.Cell>{delivery.last_error || ""}</Table.Cell>
                  <Table.Cell>
                    <Time value={delivery.created} />
                  </Table.Cell>
                </Table.Row>
              );
            })}
          </Table.Body>
        </Table>
      ) : (
        <p className="jobs-no-deliveries">{i18next.t("No alert has been sent.")}</p>
      )}
    </Segment>
  );
}

JobAlerts.propTypes = { alerts: PropTypes.object };
JobAlerts.defaultProps = { alerts: null };
