/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// The one switch of all scheduled runs, on the jobs list: a banner while
// everything is paused (who, why, until when) with Resume, and Pause all
// (a reason, an optional end) while it is not.

import React, { useState } from "react";
import PropTypes from "prop-types";
import { DateTime } from "luxon";
import { Button, Form, Message } from "semantic-ui-react";
import { i18next } from "../../i18next";
import { ConfirmDialog, useAction } from "./actions";
import { exactTime } from "./format";

// ``datetime-local`` text (the browser's zone) as an ISO time, or null.
const localToIso = (text) => {
  if (!text) return null;
  const time = DateTime.fromISO(text);
  return time.isValid ? time.toUTC().toISO() : text;
};

export function PauseBanner({ pause, api, onChanged }) {
  const [resuming, setResuming] = useState(false);
  const [pausing, setPausing] = useState(false);
  const [reason, setReason] = useState("");
  const [until, setUntil] = useState("");
  const [error, setError] = useState(null);
  const [resumeBusy, resume] = useAction(
    async () => {
      onChanged(await api.resumeAll());
      setResuming(false);
    },
    (described) => setError(described)
  );
  const [pauseBusy, pauseAll] = useAction(
    async () => {
      onChanged(await api.pauseAll({ reason, until: localToIso(until) }));
      setPausing(false);
    },
    (described) => setError(described)
  );
  const open = (setOpen) => {
    setError(null);
    setOpen(true);
  };
  if (!pause) return null;
  if (pause.paused) {
    const who = pause.paused_by ? pause.paused_by.email : i18next.t("the system");
    return (
      <section aria-labelledby="jobs-pause-header">
        <Message warning icon className="jobs-pause-banner">
          <Message.Content>
            <Message.Header as="h2" id="jobs-pause-header">
              {i18next.t("All scheduled runs are paused")}
            </Message.Header>
            <p className="jobs-pause-details">
              {i18next.t("Paused by {{who}} on {{time}}: {{reason}}", {
                who,
                time: exactTime(pause.paused_at),
                reason: pause.reason,
              })}
            </p>
            <p>
              {pause.until
                ? i18next.t("Until {{time}}; then each job's missed runs follow its misfire policy.", {
                    time: exactTime(pause.until),
                  })
                : i18next.t("Until someone resumes them; then each job's missed runs follow its misfire policy.")}
            </p>
            <Button
              primary
              icon="play"
              labelPosition="left"
              className="jobs-resume"
              content={i18next.t("Resume scheduled runs")}
              onClick={() => open(setResuming)}
            />
          </Message.Content>
        </Message>
        <ConfirmDialog
          name="jobs-resume"
          open={resuming}
          header={i18next.t("Resume scheduled runs")}
          question={i18next.t(
            "Scheduled runs start again; the runs missed while paused follow each job's misfire policy."
          )}
          action={i18next.t("Resume")}
          busy={resumeBusy}
          error={error && error.message}
          onConfirm={resume}
          onCancel={() => setResuming(false)}
        />
      </section>
    );
  }
  return (
    <>
      <Button
        basic
        icon="pause"
        labelPosition="left"
        className="jobs-pause-all"
        content={i18next.t("Pause all")}
        onClick={() => open(setPausing)}
      />
      <ConfirmDialog
        name="jobs-pause"
        open={pausing}
        header={i18next.t("Pause all scheduled runs")}
        question={i18next.t(
          "No scheduled run starts until you resume them, or until the time you give. Manual runs stay possible."
        )}
        action={i18next.t("Pause all")}
        busy={pauseBusy}
        error={error && !Object.keys(error.fields).length ? error.message : null}
        onConfirm={pauseAll}
        onCancel={() => setPausing(false)}
      >
        <Form>
          <Form.TextArea
            data-autofocus
            id="jobs-pause-reason"
            label={i18next.t("Reason")}
            required
            rows={2}
            value={reason}
            error={error && error.fields.reason ? { content: error.fields.reason } : null}
            onChange={(e, { value }) => setReason(value)}
          />
          <Form.Input
            id="jobs-pause-until"
            type="datetime-local"
            label={i18next.t("Until (optional, your time zone)")}
            value={until}
            error={error && error.fields.until ? { content: error.fields.until } : null}
            onChange={(e, { value }) => setUntil(value)}
          />
        </Form>
      </ConfirmDialog>
    </>
  );
}

PauseBanner.propTypes = {
  pause: PropTypes.object,
  api: PropTypes.object.isRequired,
  onChanged: PropTypes.func.isRequired,
};

PauseBanner.defaultProps = { pause: null };
