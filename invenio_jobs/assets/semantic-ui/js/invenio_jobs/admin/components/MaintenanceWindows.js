/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// The maintenance windows editor: recurring times (a cron expression, a
// duration, a time zone) when scheduled runs are held until the window ends.

import React, { useCallback, useEffect, useState } from "react";
import PropTypes from "prop-types";
import { Button, Form, Header, Message, Table } from "semantic-ui-react";
import { i18next } from "../../i18next";
import { describeError } from "../api";
import { ConfirmDialog, useAction } from "./actions";
import { exactTime } from "./format";

const EMPTY = { title: "", cron: "", timezone: "", duration: "" };

function WindowRow({ entry, api, onChanged }) {
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState(null);
  const [busy, remove] = useAction(
    async () => {
      await api.deleteWindow(entry.id);
      setDeleting(false);
      onChanged();
    },
    (described) => setError(described.message)
  );
  const [toggling, toggle] = useAction(
    async () => {
      await api.updateWindow(entry.id, { active: !entry.active });
      onChanged();
    },
    (described) => setError(described.message)
  );
  return (
    <Table.Row className="jobs-window-row">
      <Table.Cell>{entry.title}</Table.Cell>
      <Table.Cell>
        {entry.description}
        <div className="jobs-muted">
          <span className="jobs-window-cron">{entry.cron}</span> {entry.timezone}
        </div>
      </Table.Cell>
      <Table.Cell>{i18next.t("{{count}} minutes", { count: entry.duration })}</Table.Cell>
      <Table.Cell>
        {!entry.active && <span className="jobs-muted">{i18next.t("Inactive")}</span>}
        {entry.active && entry.in_force_until && (
          <strong>
            {i18next.t("In force until {{time}}", { time: exactTime(entry.in_force_until) })}
          </strong>
        )}
        {entry.active && !entry.in_force_until && exactTime(entry.next_start)}
        {error && <div role="alert" className="jobs-window-error">{error}</div>}
      </Table.Cell>
      <Table.Cell collapsing textAlign="right">
        <Button.Group size="tiny" basic>
          <Button
            loading={toggling}
            onClick={toggle}
            className="jobs-window-toggle"
            content={entry.active ? i18next.t("Deactivate") : i18next.t("Activate")}
          />
          <Button
            icon="trash"
            title={i18next.t("Delete")}
            aria-label={i18next.t("Delete window \"{{title}}\"", { title: entry.title })}
            className="jobs-window-delete"
            onClick={() => setDeleting(true)}
          />
        </Button.Group>
        <ConfirmDialog
          name="jobs-window-delete"
          open={deleting}
          danger
          header={i18next.t("Delete window \"{{title}}\"", { title: entry.title })}
          question={i18next.t(
            "The runs this window holds now follow each job's misfire policy at once."
          )}
          action={i18next.t("Delete")}
          busy={busy}
          error={error}
          onConfirm={remove}
          onCancel={() => setDeleting(false)}
        />
      </Table.Cell>
    </Table.Row>
  );
}

WindowRow.propTypes = {
  entry: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  onChanged: PropTypes.func.isRequired,
};

export function MaintenanceWindows({ api, config }) {
  const [entries, setEntries] = useState(null);
  const [draft, setDraft] = useState(EMPTY);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);

  const load = useCallback(async () => {
    try {
      setEntries((await api.listWindows()).hits.hits);
    } catch (err) {
      setError(describeError(err));
    }
  }, [api]);
  useEffect(() => {
    load();
  }, [load]);

  const [busy, add] = useAction(async () => {
    const duration = Number(draft.duration);
    const created = await api.createWindow({
      title: draft.title,
      cron: draft.cron,
      timezone: draft.timezone || null,
      duration: draft.duration === "" || Number.isNaN(duration) ? draft.duration : duration,
    });
    setDraft(EMPTY);
    setError(null);
    setNotice(i18next.t("Window \"{{title}}\" added.", { title: created.title }));
    load();
  }, setError);
  const fieldError = (name) =>
    error && error.fields[name] ? { content: error.fields[name], pointing: "above" } : null;
  const set = (name) => (e, { value }) => setDraft({ ...draft, [name]: value });

  return (
    <section className="jobs-windows" aria-labelledby="jobs-windows-header">
      <Header as="h2" id="jobs-windows-header" size="medium">
        {i18next.t("Maintenance windows")}
      </Header>
      <p className="jobs-muted">
        {i18next.t(
          "Scheduled runs that fall inside a window wait for its end, then follow their job's misfire policy. Jobs can opt out."
        )}
      </p>
      {entries && entries.length === 0 && (
        <p className="jobs-windows-empty">{i18next.t("No maintenance windows.")}</p>
      )}
      {entries && entries.length > 0 && (
        <Table compact className="jobs-windows-table">
          <Table.Header>
            <Table.Row>
              <Table.HeaderCell>{i18next.t("Title")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Starts")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Duration")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Next start")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Actions")}</Table.HeaderCell>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {entries.map((entry) => (
              <WindowRow key={entry.id} entry={entry} api={api} onChanged={load} />
            ))}
          </Table.Body>
        </Table>
      )}
      <Form
        className="jobs-window-form"
        error={!!error}
        onSubmit={(event) => {
          event.preventDefault();
          add();
        }}
      >
        <Form.Group className="jobs-wrapping-fields">
          <Form.Input
            id="window-title"
            label={i18next.t("Title")}
            required
            value={draft.title}
            error={fieldError("title")}
            onChange={set("title")}
          />
          <Form.Input
            id="window-cron"
            label={i18next.t("Starts (cron expression)")}
            placeholder="0 1 * * 0"
            required
            value={draft.cron}
            error={fieldError("cron")}
            onChange={set("cron")}
          />
          <Form.Input
            id="window-timezone"
            label={i18next.t("Time zone")}
            placeholder={config.default_timezone || "UTC"}
            value={draft.timezone}
            error={fieldError("timezone")}
            onChange={set("timezone")}
          />
          <Form.Input
            id="window-duration"
            type="number"
            min={1}
            label={i18next.t("Duration in minutes")}
            required
            value={draft.duration}
            error={fieldError("duration")}
            onChange={set("duration")}
          />
        </Form.Group>
        {error && !Object.keys(error.fields).length && (
          <Message error content={error.message} />
        )}
        <Button
          type="submit"
          primary
          loading={busy}
          icon="plus"
          labelPosition="left"
          className="jobs-window-add"
          content={i18next.t("Add window")}
        />
      </Form>
      <div role="status" aria-live="polite">
        {notice && <Message positive size="small" content={notice} />}
      </div>
    </section>
  );
}

MaintenanceWindows.propTypes = {
  api: PropTypes.object.isRequired,
  config: PropTypes.object.isRequired,
};
