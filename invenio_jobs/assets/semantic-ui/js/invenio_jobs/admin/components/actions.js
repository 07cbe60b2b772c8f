/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// Actions shared by the list and the job page: run now, (de)activate, delete.
// Each dialog takes the focus when it opens, keeps Tab inside it, and gives
// the focus back to the button that opened it when it closes.

import React, { useEffect, useRef, useState } from "react";
import PropTypes from "prop-types";
import { Button, Form, Message, Modal } from "semantic-ui-react";
import { i18next } from "../../i18next";
import { describeError } from "../api";
import { ArgumentsForm, argumentDefaults } from "./ArgumentsForm";
import { queueOptions } from "./format";

const FOCUSABLE = [
  "a[href]",
  "button:not([disabled])",
  "input:not([disabled]):not([type=hidden])",
  "textarea:not([disabled])",
  "select:not([disabled])",
  "[tabindex]:not([tabindex='-1'])",
].join(",");

function focusables(element) {
  return Array.from(element.querySelectorAll(FOCUSABLE)).filter(
    (item) => item.getClientRects().length > 0
  );
}

// Focus handling of a dialog marked with ``className``: ``open`` remembers
// what had the focus; the returned props go on the Modal.
export function useDialogFocus(open, className) {
  const returnTo = useRef(null);
  const wasOpen = useRef(false);
  // Read while rendering the opening: the dialog takes the focus as soon as
  // it mounts, before any effect of this component runs.
  if (open && !wasOpen.current) returnTo.current = document.activeElement;
  wasOpen.current = open;
  useEffect(() => {
    if (!open) return undefined;
    const keepInside = (event) => {
      if (event.key !== "Tab") return;
      const dialog = document.querySelector(`.${className}`);
      if (!dialog) return;
      const items = focusables(dialog);
      if (!items.length) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (!dialog.contains(document.activeElement)) {
        event.preventDefault();
        first.focus();
      } else if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    };
    document.addEventListener("keydown", keepInside, true);
    return () => document.removeEventListener("keydown", keepInside, true);
  }, [open, className]);
  return {
    role: "dialog",
    "aria-modal": true,
    onMount: () => {
      const dialog = document.querySelector(`.${className}`);
      if (!dialog) return;
      const target =
        dialog.querySelector("[data-autofocus] input, [data-autofocus]") ||
        focusables(dialog)[0];
      if (target) target.focus();
    },
    onUnmount: () => {
      const previous = returnTo.current;
      if (previous && document.body.contains(previous)) previous.focus();
    },
  };
}

// A question before an action that cannot be taken back at once. ``name``
// marks the dialog (``<name>-modal``) and its button (``<name>-confirm``),
// which has the focus when the dialog opens; ``danger`` colours it red.
// ``children`` show under the question (what the action will use).
export function ConfirmDialog({
  name,
  open,
  header,
  question,
  children,
  error,
  action,
  danger,
  busy,
  onConfirm,
  onCancel,
}) {
  const dialog = `${name}-modal`;
  const focus = useDialogFocus(open, dialog);
  return (
    <Modal
      open={open}
      size="tiny"
      onClose={onCancel}
      className={dialog}
      aria-labelledby={`${dialog}-header`}
      {...focus}
    >
      <Modal.Header id={`${dialog}-header`}>{header}</Modal.Header>
      <Modal.Content>
        <p>{question}</p>
        {children}
        {error && <Message negative content={error} />}
      </Modal.Content>
      <Modal.Actions>
        <Button onClick={onCancel} content={i18next.t("Cancel")} />
        <Button
          data-autofocus
          negative={danger}
          primary={!danger}
          loading={busy}
          onClick={onConfirm}
          className={`${name}-confirm`}
          content={action}
        />
      </Modal.Actions>
    </Modal>
  );
}

ConfirmDialog.propTypes = {
  name: PropTypes.string.isRequired,
  open: PropTypes.bool.isRequired,
  header: PropTypes.string.isRequired,
  question: PropTypes.string.isRequired,
  children: PropTypes.node,
  error: PropTypes.string,
  action: PropTypes.string.isRequired,
  danger: PropTypes.bool,
  busy: PropTypes.bool,
  onConfirm: PropTypes.func.isRequired,
  onCancel: PropTypes.func.isRequired,
};
ConfirmDialog.defaultProps = { children: null, error: null, danger: false, busy: false };

// A button's action: ``busy`` while it runs (a second call meanwhile does
// nothing), and its failure described (see ``describeError``) to ``onError``.
export function useAction(action, onError) {
  const [busy, setBusy] = useState(false);
  const run = async () => {
    if (busy) return;
    setBusy(true);
    try {
      await action();
    } catch (err) {
      onError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return [busy, run];
}

export function DeleteJobButton({ job, api, onDeleted, ...buttonProps }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState(null);
  const [busy, remove] = useAction(
    async () => {
      await api.deleteJob(job.id);
      setOpen(false);
      onDeleted(job);
    },
    (described) => setError(described.message)
  );
  return (
    <>
      <Button
        icon="trash alternate"
        color="red"
        basic
        title={i18next.t("Delete")}
        aria-label={i18next.t("Delete")}
        onClick={() => setOpen(true)}
        className="jobs-delete"
        {...buttonProps}
      />
      <ConfirmDialog
        name="jobs-delete"
        open={open}
        danger
        header={i18next.t("Delete job")}
        question={i18next.t("Delete the job \"{{title}}\" with all its runs and their logs?", {
          title: job.title,
        })}
        action={i18next.t("Delete")}
        error={error}
        busy={busy}
        onConfirm={remove}
        onCancel={() => setOpen(false)}
      />
    </>
  );
}

DeleteJobButton.propTypes = {
  job: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  onDeleted: PropTypes.func.isRequired,
};

// Activate at once; deactivate after a confirmation, since it stops the
// schedule. ``onChanged(job, error, notice)``: ``notice`` says what was done.
export function ToggleActiveButton({ job, api, onChanged, ...buttonProps }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, toggle] = useAction(
    async () => {
      const changed = await api.updateJob(job.id, { active: !job.active });
      setConfirming(false);
      onChanged(
        changed,
        null,
        changed.active
          ? i18next.t("\"{{title}}\" is active: it runs on its schedule again.", {
              title: job.title,
            })
          : i18next.t(
              "\"{{title}}\" is deactivated: it does not run on its schedule until it is activated.",
              { title: job.title }
            )
      );
    },
    (described) => {
      setConfirming(false);
      onChanged(job, described.message);
    }
  );
  const label = job.active ? i18next.t("Deactivate") : i18next.t("Activate");
  return (
    <>
      <Button
        className="jobs-toggle"
        basic
        loading={busy}
        // Not the play icon of Run now: this one switches the schedule.
        icon={job.active ? "pause" : "toggle on"}
        aria-label={label}
        title={label}
        onClick={() => (job.active ? setConfirming(true) : toggle())}
        {...buttonProps}
      />
      <ConfirmDialog
        question={i18next.t(
          "Deactivate \"{{title}}\"? It stops running on its schedule; runs already started go on, and you can still run it by hand.",
          { title: job.title }
        )}
        header={i18next.t("Deactivate job")}
        action={i18next.t("Deactivate")}
        name="jobs-deactivate"
        onCancel={() => setConfirming(false)}
        onConfirm={toggle}
        open={confirming}
        busy={busy}
      />
    </>
  );
}

ToggleActiveButton.propTypes = {
  job: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  onChanged: PropTypes.func.isRequired,
};

// A ``datetime-local`` value (the reader's wall clock) as an ISO time with
// its zone, as the API takes it; null when empty or not a time.
export function localTimeToIso(value) {
  if (!value) return null;
  const moment = new Date(value);
  return Number.isNaN(moment.getTime()) ? null : moment.toISOString();
}

// "Run now": the job's arguments prefilled and editable, a queue choice, and
// "Run later at ...": a run once at a chosen time, which waits until then.
export function RunNowButton({ job, api, config, onStarted, paused, ...buttonProps }) {
  const [open, setOpen] = useState(false);
  const [description, setDescription] = useState(null);
  const [args, setArgs] = useState({});
  const [argsProblem, setArgsProblem] = useState(null);
  const [queue, setQueue] = useState(job.default_queue || config.default_queue);
  const [title, setTitle] = useState("");
  const [later, setLater] = useState(false);
  const [at, setAt] = useState("");
  const [error, setError] = useState(null);
  const focus = useDialogFocus(open, "jobs-run-modal");

  const [loading, setLoading] = useState(false);
  // The dialog opens once the arguments are known, at its full size: a form
  // that grows under the pointer would catch a click meant for "Run".
  const show = async () => {
    setError(null);
    setQueue(job.default_queue || config.default_queue);
    setTitle("");
    setLater(false);
    setAt("");
    setArgsProblem(null);
    setLoading(true);
    try {
      const described = await api.taskArguments(job.task);
      setDescription(described);
      setArgs({ ...argumentDefaults(described.fields), ...(job.run_args || {}) });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setLoading(false);
      setOpen(true);
    }
  };
  const [busy, send] = useAction(async () => {
    const body = { args, queue, title: title || undefined };
    if (later) body.at = localTimeToIso(at);
    const run = await api.startRun(job.id, body);
    setOpen(false);
    onStarted(run);
  }, setError);
  const start = () => {
    if (argsProblem) {
      setError({ message: argsProblem, fields: {} });
      return;
    }
    if (later && !localTimeToIso(at)) {
      const message = i18next.t("Choose the date and time of the run.");
      setError({ message, fields: { at: message } });
      return;
    }
    setError(null);
    send();
  };
  const argErrors = {};
  if (error) {
    Object.entries(error.fields).forEach(([field, text]) => {
      argErrors[field.replace(/^args\./, "")] = text;
    });
  }
  return (
    <>
      <Button
        icon="play"
        color="green"
        basic
        title={i18next.t("Run now")}
        aria-label={i18next.t("Run now")}
        loading={loading}
        onClick={show}
        className="jobs-run-now"
        {...buttonProps}
      />
      <Modal
        open={open}
        onClose={() => setOpen(false)}
        className="jobs-run-modal"
        aria-labelledby="jobs-run-header"
        {...focus}
      >
        <Modal.Header id="jobs-run-header">
          {later
            ? i18next.t("Run \"{{title}}\" later", { title: job.title })
            : i18next.t("Run \"{{title}}\" now", { title: job.title })}
        </Modal.Header>
        <Modal.Content>
          {paused && paused.paused && (
            <Message warning className="jobs-run-paused" role="alert">
              <Message.Header>{i18next.t("Everything is paused")}</Message.Header>
              <p>
                {i18next.t(
                  "All scheduled runs are paused: {{reason}}. This manual run starts anyway when you confirm.",
                  { reason: paused.reason }
                )}
              </p>
            </Message>
          )}
          <Form error={!!error}>
            <Form.Input
              id="run-title"
              label={i18next.t("Title of this run")}
              placeholder={i18next.t("Manual run")}
              value={title}
              onChange={(e, { value }) => setTitle(value)}
            />
            <Form.Dropdown
              selection
              id="run-queue"
              label={i18next.t("Queue")}
              aria-label={i18next.t("Queue")}
              name="queue"
              value={queue}
              options={queueOptions(config)}
              onChange={(e, { value }) => setQueue(value)}
            />
            <Form.Checkbox
              toggle
              id="run-later"
              className="jobs-run-later"
              label={i18next.t("Run later, once, at a chosen time")}
              checked={later}
              onChange={(e, { checked }) => setLater(checked)}
            />
            {later && (
              <Form.Input
                id="run-at"
                type="datetime-local"
                className="jobs-run-at"
                label={i18next.t("Run later at")}
                value={at}
                required
                error={error && error.fields.at ? error.fields.at : undefined}
                onChange={(e, { value }) => setAt(value)}
              />
            )}
            {description && (
              <ArgumentsForm
                fields={description.fields}
                values={args}
                errors={argErrors}
                onChange={(next, problem) => {
                  setArgs(next);
                  if (!problem && error && error.message === argsProblem) setError(null);
                  setArgsProblem(problem);
                }}
              />
            )}
            {error && <Message error content={error.message} />}
          </Form>
        </Modal.Content>
        <Modal.Actions>
          <Button onClick={() => setOpen(false)} content={i18next.t("Cancel")} />
          <Button
            positive
            loading={busy}
            disabled={!description}
            icon="play"
            labelPosition="left"
            onClick={start}
            className="jobs-run-confirm"
            content={
              later
                ? i18next.t("Schedule run")
                : paused && paused.paused
                ? i18next.t("Run anyway")
                : i18next.t("Run", { context: "verb" })
            }
          />
        </Modal.Actions>
      </Modal>
    </>
  );
}

RunNowButton.propTypes = {
  job: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  config: PropTypes.object.isRequired,
  onStarted: PropTypes.func.isRequired,
  paused: PropTypes.object,
};

RunNowButton.defaultProps = { paused: null };
