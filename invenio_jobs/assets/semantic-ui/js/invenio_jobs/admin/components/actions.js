/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// Actions shared by the list and the job page: run now, (de)activate, delete.

import React, { useState } from "react";
import PropTypes from "prop-types";
import { Button, Form, Message, Modal } from "semantic-ui-react";
import { i18next } from "../../i18next";
import { describeError } from "../api";
import { ArgumentsForm, argumentDefaults } from "./ArgumentsForm";
import { queueOptions } from "./format";

export function DeleteJobButton({ job, api, onDeleted, ...buttonProps }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    try {
      await api.deleteJob(job.id);
      setOpen(false);
      onDeleted(job);
    } catch (err) {
      setError(describeError(err).message);
    } finally {
      setBusy(false);
    }
  };
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
      <Modal open={open} size="tiny" onClose={() => setOpen(false)} className="jobs-delete-modal">
        <Modal.Header>{i18next.t("Delete job")}</Modal.Header>
        <Modal.Content>
          <p>
            {i18next.t("Delete the job \"{{title}}\" with all its runs and their logs?", {
              title: job.title,
            })}
          </p>
          {error && <Message negative content={error} />}
        </Modal.Content>
        <Modal.Actions>
          <Button onClick={() => setOpen(false)} content={i18next.t("Cancel")} />
          <Button
            negative
            loading={busy}
            onClick={remove}
            className="jobs-delete-confirm"
            content={i18next.t("Delete")}
          />
        </Modal.Actions>
      </Modal>
    </>
  );
}

DeleteJobButton.propTypes = {
  job: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  onDeleted: PropTypes.func.isRequired,
};

export function ToggleActiveButton({ job, api, onChanged, ...buttonProps }) {
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    setBusy(true);
    try {
      onChanged(await api.updateJob(job.id, { active: !job.active }));
    } catch (err) {
      onChanged(job, describeError(err).message);
    } finally {
      setBusy(false);
    }
  };
  const label = job.active ? i18next.t("Deactivate") : i18next.t("Activate");
  return (
    <Button
      icon={job.active ? "pause" : "play circle outline"}
      basic
      loading={busy}
      title={label}
      aria-label={label}
      onClick={toggle}
      className="jobs-toggle"
      {...buttonProps}
    />
  );
}

ToggleActiveButton.propTypes = {
  job: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  onChanged: PropTypes.func.isRequired,
};

// "Run now": the job's arguments prefilled and editable, and a queue choice.
export function RunNowButton({ job, api, config, onStarted, ...buttonProps }) {
  const [open, setOpen] = useState(false);
  const [description, setDescription] = useState(null);
  const [args, setArgs] = useState({});
  const [argsProblem, setArgsProblem] = useState(null);
  const [queue, setQueue] = useState(job.default_queue || config.default_queue);
  const [title, setTitle] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const show = async () => {
    setError(null);
    setOpen(true);
    setQueue(job.default_queue || config.default_queue);
    setTitle("");
    setArgsProblem(null);
    try {
      const described = await api.taskArguments(job.task);
      setDescription(described);
      setArgs({ ...argumentDefaults(described.fields), ...(job.run_args || {}) });
    } catch (err) {
      setError(describeError(err));
    }
  };
  const start = async () => {
    if (argsProblem) {
      setError({ message: argsProblem, fields: {} });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const run = await api.startRun(job.id, { args, queue, title: title || undefined });
      setOpen(false);
      onStarted(run);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
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
        onClick={show}
        className="jobs-run-now"
        {...buttonProps}
      />
      <Modal open={open} onClose={() => setOpen(false)} className="jobs-run-modal">
        <Modal.Header>
          {i18next.t("Run \"{{title}}\" now", { title: job.title })}
        </Modal.Header>
        <Modal.Content>
          <Form error={!!error}>
            <Form.Input
              label={i18next.t("Title of this run")}
              placeholder={i18next.t("Manual run")}
              value={title}
              onChange={(e, { value }) => setTitle(value)}
            />
            <Form.Dropdown
              selection
              label={i18next.t("Queue")}
              name="queue"
              value={queue}
              options={queueOptions(config)}
              onChange={(e, { value }) => setQueue(value)}
            />
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
            content={i18next.t("Run")}
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
};
