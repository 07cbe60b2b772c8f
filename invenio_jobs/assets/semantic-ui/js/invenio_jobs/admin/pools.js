/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// The concurrency pools: how many runs of their jobs may run at once, how
// many slots are busy and how many runs wait; create, change and delete them.

import React, { useCallback, useEffect, useState } from "react";
import PropTypes from "prop-types";
import { Button, Form, Header, Message, Segment, Table } from "semantic-ui-react";
import { i18next } from "../i18next";
import { describeError } from "./api";
import { ConfirmDialog } from "./components/actions";
import { Breadcrumb } from "./components/format";
import { mountPage } from "./components/mount";
import { usePolling } from "./components/usePolling";

const fieldError = (errors, field) =>
  errors[field] ? { content: errors[field], pointing: "above" } : undefined;

function NewPoolForm({ api, onCreated }) {
  const [pool, setPool] = useState({ name: "", slots: "1", description: "" });
  const [errors, setErrors] = useState({});
  const [message, setMessage] = useState(null);
  const [saving, setSaving] = useState(false);

  const save = async (event) => {
    event.preventDefault();
    setSaving(true);
    setMessage(null);
    try {
      const created = await api.createPool({
        name: pool.name.trim(),
        slots: pool.slots === "" ? null : Number(pool.slots),
        description: pool.description.trim() || null,
      });
      setPool({ name: "", slots: "1", description: "" });
      setErrors({});
      onCreated(created);
    } catch (error) {
      const described = describeError(error);
      setErrors(described.fields);
      setMessage(described.message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Segment className="jobs-new-pool">
      <Header as="h2" size="small">
        {i18next.t("New pool")}
      </Header>
      <Form onSubmit={save} error={Boolean(message)}>
        <Form.Group widths="equal">
          <Form.Input
            name="name"
            id="pool-name"
            label={i18next.t("Name")}
            required
            value={pool.name}
            error={fieldError(errors, "name")}
            onChange={(e, { value }) => setPool({ ...pool, name: value })}
          />
          <Form.Input
            type="number"
            min={1}
            max={1000}
            name="slots"
            id="pool-slots"
            label={i18next.t("Runs at once")}
            required
            value={pool.slots}
            error={fieldError(errors, "slots")}
            onChange={(e, { value }) => setPool({ ...pool, slots: value })}
          />
          <Form.Input
            name="description"
            id="pool-description"
            label={i18next.t("Description")}
            value={pool.description}
            error={fieldError(errors, "description")}
            onChange={(e, { value }) => setPool({ ...pool, description: value })}
          />
        </Form.Group>
        {message && <Message error content={message} />}
        <Button type="submit" positive loading={saving} className="jobs-create-pool">
          {i18next.t("Create pool")}
        </Button>
      </Form>
    </Segment>
  );
}

NewPoolForm.propTypes = {
  api: PropTypes.object.isRequired,
  onCreated: PropTypes.func.isRequired,
};

function PoolRow({ pool, api, onChanged, onNotice }) {
  const [editing, setEditing] = useState(false);
  const [slots, setSlots] = useState(String(pool.slots));
  const [description, setDescription] = useState(pool.description || "");
  const [error, setError] = useState(null);
  const [deleting, setDeleting] = useState(false);
  const [busy, setBusy] = useState(false);

  const save = async (event) => {
    event.preventDefault();
    setBusy(true);
    try {
      await api.updatePool(pool.name, {
        slots: slots === "" ? null : Number(slots),
        description: description.trim() || null,
      });
      setEditing(false);
      setError(null);
      onNotice(i18next.t("Pool {{name}} saved.", { name: pool.name }));
      onChanged();
    } catch (failure) {
      const described = describeError(failure);
      setError(Object.values(described.fields).join(" ") || described.message);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    try {
      await api.deletePool(pool.name);
      setDeleting(false);
      onNotice(i18next.t("Pool {{name}} deleted.", { name: pool.name }));
      onChanged();
    } catch (failure) {
      setError(describeError(failure).message);
    } finally {
      setBusy(false);
    }
  };

  const full = pool.busy >= pool.slots;
  return (
    <Table.Row className="jobs-pool-row" data-pool={pool.name}>
      <Table.Cell className="jobs-pool-name">{pool.name}</Table.Cell>
      <Table.Cell>
        {editing ? (
          <Form onSubmit={save} className="jobs-pool-edit">
            <Form.Input
              type="number"
              min={1}
              max={1000}
              name="slots"
              id={`pool-${pool.name}-slots`}
              label={i18next.t("Runs at once")}
              value={slots}
              onChange={(e, { value }) => setSlots(value)}
            />
            <Form.Input
              name="description"
              id={`pool-${pool.name}-description`}
              label={i18next.t("Description")}
              value={description}
              onChange={(e, { value }) => setDescription(value)}
            />
            <Button type="submit" primary size="small" loading={busy}>
              {i18next.t("Save")}
            </Button>
            <Button type="button" size="small" onClick={() => setEditing(false)}>
              {i18next.t("Cancel")}
            </Button>
          </Form>
        ) : (
          <>
            <div className="jobs-pool-use">
              {i18next.t("{{busy}} of {{slots}} busy", { busy: pool.busy, slots: pool.slots })}
              {full && pool.waiting > 0 && ` · ${i18next.t("full")}`}
            </div>
            {pool.description && <div className="jobs-muted">{pool.description}</div>}
          </>
        )}
        {error && <Message negative size="small" content={error} />}
      </Table.Cell>
      <Table.Cell>{String(pool.jobs)}</Table.Cell>
      <Table.Cell>{String(pool.waiting)}</Table.Cell>
      <Table.Cell collapsing>
        {!editing && (
          <Button
            size="small"
            className="jobs-edit-pool"
            aria-label={i18next.t("Edit pool {{name}}", { name: pool.name })}
            onClick={() => setEditing(true)}
            content={i18next.t("Edit")}
          />
        )}
        <Button
          size="small"
          negative
          basic
          className="jobs-delete-pool"
          aria-label={i18next.t("Delete pool {{name}}", { name: pool.name })}
          onClick={() => setDeleting(true)}
          content={i18next.t("Delete")}
        />
        <ConfirmDialog
          name="jobs-delete-pool"
          open={deleting}
          header={i18next.t("Delete pool {{name}}", { name: pool.name })}
          question={i18next.t(
            "The pool is deleted; a pool that jobs still belong to cannot be."
          )}
          error={deleting ? error : null}
          action={i18next.t("Delete")}
          danger
          busy={busy}
          onConfirm={remove}
          onCancel={() => {
            setDeleting(false);
            setError(null);
          }}
        />
      </Table.Cell>
    </Table.Row>
  );
}

PoolRow.propTypes = {
  pool: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  onChanged: PropTypes.func.isRequired,
  onNotice: PropTypes.func.isRequired,
};

function PoolsPage({ config, api }) {
  const [pools, setPools] = useState(null);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);

  const load = useCallback(
    () =>
      api
        .listPools()
        .then((result) => {
          setPools(result.hits.hits);
          setError(null);
        })
        .catch((failure) => setError(describeError(failure).message)),
    [api]
  );

  useEffect(() => {
    load();
  }, [load]);
  usePolling(load, config.refresh_ms * 2);

  return (
    <div className="jobs-pools-page">
      <Breadcrumb
        links={[{ href: config.pages.list, text: i18next.t("Jobs") }]}
        current={i18next.t("Pools")}
        currentClass="jobs-pools-crumb"
      />
      <Header as="h1">{i18next.t("Pools")}</Header>
      <p className="jobs-muted">
        {i18next.t(
          "A pool lets at most a number of runs of its jobs run at once; the others wait, in the order they came, until a run ends."
        )}
      </p>
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
      {pools && pools.length === 0 && (
        <Message info className="jobs-empty">
          {i18next.t("There are no pools yet.")}
        </Message>
      )}
      {pools && pools.length > 0 && (
        <div className="jobs-table-scroll">
          <Table celled striped compact className="jobs-pools-table">
            <Table.Header>
              <Table.Row>
                <Table.HeaderCell>{i18next.t("Pool")}</Table.HeaderCell>
                <Table.HeaderCell>{i18next.t("Slots")}</Table.HeaderCell>
                <Table.HeaderCell>{i18next.t("Jobs")}</Table.HeaderCell>
                <Table.HeaderCell>{i18next.t("Waiting runs")}</Table.HeaderCell>
                <Table.HeaderCell>{i18next.t("Actions")}</Table.HeaderCell>
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {pools.map((pool) => (
                <PoolRow
                  key={pool.name}
                  pool={pool}
                  api={api}
                  onChanged={load}
                  onNotice={setNotice}
                />
              ))}
            </Table.Body>
          </Table>
        </div>
      )}
      <NewPoolForm
        api={api}
        onCreated={(created) => {
          setNotice(i18next.t("Pool {{name}} created.", { name: created.name }));
          load();
        }}
      />
    </div>
  );
}

PoolsPage.propTypes = {
  config: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
};

mountPage(PoolsPage);
