/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */

// The "Access" section of a job's admin page: who may read, run or manage
// the job besides the administrators, and a form to grant or revoke. Every
// change sends the whole list (PUT /api/jobs/<id>/access); the answer is
// the list as it now is. Native controls with labels, so that the keyboard
// and screen readers work as everywhere; outcomes are announced.

import React, { useCallback, useEffect, useState } from "react";
import PropTypes from "prop-types";
import { Button, Form, Header, Message, Segment, Table } from "semantic-ui-react";
import { i18next } from "../../i18next";
import { describeError } from "../api";

const PERMISSION_WORDS = () => ({
  read: i18next.t("Read: the job, its runs and their logs"),
  run: i18next.t("Run: read, and start and stop runs"),
  manage: i18next.t("Manage: run, and edit the job and its access"),
});

const permissionAction = (permission) =>
  ({
    read: i18next.t("read the job"),
    run: i18next.t("run the job"),
    manage: i18next.t("manage the job"),
  }[permission] || permission);

const subjectName = (subject) => subject.email || subject.name || subject.id;

const asRequest = (grants) =>
  grants.map(({ subject, permission }) => ({
    subject: { type: subject.type, id: subject.id },
    permission,
  }));

export function AccessSection({ api, jobId }) {
  const [grants, setGrants] = useState(null);
  const [kind, setKind] = useState("user");
  const [who, setWho] = useState("");
  const [permission, setPermission] = useState("read");
  const [error, setError] = useState(null);
  const [fieldError, setFieldError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setGrants((await api.getAccess(jobId)).grants);
    } catch (err) {
      setError(describeError(err).message);
    }
  }, [api, jobId]);

  useEffect(() => {
    load();
  }, [load]);

  const save = async (wanted, done) => {
    setBusy(true);
    setError(null);
    setFieldError(null);
    try {
      const answer = await api.putAccess(jobId, wanted);
      setGrants(answer.grants);
      setNotice(done);
      return true;
    } catch (err) {
      const described = describeError(err);
      const named = Object.keys(described.fields || {}).find((f) => f.endsWith(".subject.id"));
      if (named) setFieldError(described.fields[named]);
      else setError(described.message);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const add = async (event) => {
    event.preventDefault();
    if (!who.trim()) {
      setFieldError(
        kind === "user" ? i18next.t("Give the user's e-mail address.") : i18next.t("Give the role's name.")
      );
      return;
    }
    const wanted = [
      ...asRequest(grants || []),
      { subject: { type: kind, id: who.trim() }, permission },
    ];
    const added = await save(
      wanted,
      i18next.t("{{who}} may now {{action}}.", {
        who: who.trim(),
        action: permissionAction(permission),
      })
    );
    if (added) setWho("");
  };

  const remove = (grant) =>
    save(
      asRequest(grants.filter((other) => other !== grant)),
      i18next.t("{{who}} may no longer {{action}}.", {
        who: subjectName(grant.subject),
        action: permissionAction(grant.permission),
      })
    );

  const words = PERMISSION_WORDS();
  return (
    <Segment basic className="jobs-access" aria-labelledby="jobs-access-header">
      <Header as="h2" id="jobs-access-header">
        {i18next.t("Access")}
      </Header>
      <p>{i18next.t("Besides the administrators, these users and roles may follow this job on its own page.")}</p>
      <div role="status" aria-live="polite">
        {notice && (
          <Message positive size="small" className="jobs-access-notice" content={notice} onDismiss={() => setNotice(null)} />
        )}
      </div>
      {error && <Message negative role="alert" className="jobs-access-error" content={error} />}
      {grants && grants.length === 0 && (
        <p className="jobs-access-none">{i18next.t("No one but the administrators has access.")}</p>
      )}
      {grants && grants.length > 0 && (
        <Table compact className="jobs-access-table">
          <Table.Header>
            <Table.Row>
              <Table.HeaderCell>{i18next.t("User or role")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Permission")}</Table.HeaderCell>
              <Table.HeaderCell>
                <span className="jobs-sr-only">{i18next.t("Actions")}</span>
              </Table.HeaderCell>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {grants.map((grant) => (
              <Table.Row
                key={`${grant.subject.type}:${grant.subject.id}:${grant.permission}`}
                className="jobs-access-row"
              >
                <Table.Cell>
                  {grant.subject.type === "role" ? i18next.t("Role") : i18next.t("User")}
                  {": "}
                  <span className="jobs-access-who">{subjectName(grant.subject)}</span>
                </Table.Cell>
                <Table.Cell>{words[grant.permission] || grant.permission}</Table.Cell>
                <Table.Cell collapsing>
                  <Button
                    size="tiny"
                    basic
                    type="button"
                    className="jobs-access-remove"
                    disabled={busy}
                    onClick={() => remove(grant)}
                    aria-label={i18next.t("Remove: {{who}} may {{action}}", {
                      who: subjectName(grant.subject),
                      action: permissionAction(grant.permission),
                    })}
                    content={i18next.t("Remove")}
                  />
                </Table.Cell>
              </Table.Row>
            ))}
          </Table.Body>
        </Table>
      )}
      <Form onSubmit={add} className="jobs-access-form" aria-labelledby="jobs-access-add">
        <Header as="h3" size="small" id="jobs-access-add">
          {i18next.t("Give access")}
        </Header>
        <Form.Group widths="equal">
          <Form.Field>
            <label htmlFor="jobs-access-kind">{i18next.t("To")}</label>
            <select
              id="jobs-access-kind"
              className="ui dropdown jobs-access-kind"
              value={kind}
              onChange={(e) => setKind(e.target.value)}
            >
              <option value="user">{i18next.t("A user")}</option>
              <option value="role">{i18next.t("A role")}</option>
            </select>
          </Form.Field>
          <Form.Field error={!!fieldError}>
            <label htmlFor="jobs-access-who">
              {kind === "user" ? i18next.t("E-mail address") : i18next.t("Role name")}
            </label>
            <input
              id="jobs-access-who"
              className="jobs-access-who-input"
              type={kind === "user" ? "email" : "text"}
              autoComplete="off"
              value={who}
              aria-invalid={!!fieldError}
              aria-describedby={fieldError ? "jobs-access-who-error" : undefined}
              onChange={(e) => setWho(e.target.value)}
            />
            {fieldError && (
              <div id="jobs-access-who-error" className="ui pointing basic red label" role="alert">
                {fieldError}
              </div>
            )}
          </Form.Field>
          <Form.Field>
            <label htmlFor="jobs-access-permission">{i18next.t("Permission")}</label>
            <select
              id="jobs-access-permission"
              className="ui dropdown jobs-access-permission"
              value={permission}
              onChange={(e) => setPermission(e.target.value)}
            >
              {Object.entries(words).map(([value, text]) => (
                <option key={value} value={value}>
                  {text}
                </option>
              ))}
            </select>
          </Form.Field>
        </Form.Group>
        <Button type="submit" primary loading={busy} disabled={busy} className="jobs-access-add" content={i18next.t("Give access")} />
      </Form>
    </Segment>
  );
}

AccessSection.propTypes = {
  api: PropTypes.object.isRequired,
  jobId: PropTypes.string.isRequired,
};
