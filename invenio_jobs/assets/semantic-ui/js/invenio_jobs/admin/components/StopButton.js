/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// Stop a queued or running run, once the administrator confirms it: a
// queued run ends CANCELLED at once, a running one at its next check.

import React, { useState } from "react";
import PropTypes from "prop-types";
import { Button, Confirm } from "semantic-ui-react";
import { i18next } from "../../i18next";
import { useAction } from "./actions";

export function StopButton({ run, api, onStopped, onError, ...buttonProps }) {
  const [asking, setAsking] = useState(false);
  const stopping = run.status === "CANCELLING";
  const [busy, send] = useAction(
    async () => onStopped(await api.stopRun(run.job_id, run.id)),
    (described) => onError(described.message)
  );
  const stop = () => {
    setAsking(false);
    send();
  };
  const name = run.number ? `#${run.number}` : run.title || i18next.t("this run");
  return (
    <>
      <Button
        size="tiny"
        color="red"
        basic
        icon="stop"
        labelPosition="left"
        loading={busy}
        disabled={busy || stopping}
        onClick={() => setAsking(true)}
        className="jobs-stop"
        content={stopping ? i18next.t("Stopping…") : i18next.t("Stop")}
        {...buttonProps}
      />
      <Confirm
        open={asking}
        size="tiny"
        className="jobs-stop-dialog"
        header={i18next.t("Stop run {{name}}?", { name })}
        content={
          run.status === "QUEUED"
            ? i18next.t("It has not started: it is cancelled at once.")
            : i18next.t(
                "It stops at its next progress report, usually within seconds; what it has done so far is kept. The log will say who stopped it."
              )
        }
        cancelButton={{ content: i18next.t("Keep it running"), className: "jobs-stop-cancel" }}
        confirmButton={{
          content: i18next.t("Stop"),
          primary: false,
          negative: true,
          className: "jobs-stop-confirm",
        }}
        onCancel={() => setAsking(false)}
        onConfirm={stop}
      />
    </>
  );
}

StopButton.propTypes = {
  run: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  onStopped: PropTypes.func.isRequired,
  onError: PropTypes.func.isRequired,
};
