/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// Stop a queued or running run; the run ends CANCELLED.

import React, { useState } from "react";
import PropTypes from "prop-types";
import { Button } from "semantic-ui-react";
import { i18next } from "../../i18next";
import { describeError } from "../api";

export function StopButton({ run, api, onStopped, onError, ...buttonProps }) {
  const [busy, setBusy] = useState(false);
  const stop = async () => {
    setBusy(true);
    try {
      onStopped(await api.stopRun(run.job_id, run.id));
    } catch (error) {
      onError(describeError(error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button
      size="tiny"
      color="red"
      basic
      icon="stop"
      labelPosition="left"
      loading={busy}
      disabled={busy || run.status === "CANCELLING"}
      onClick={stop}
      className="jobs-stop"
      content={i18next.t("Stop")}
      {...buttonProps}
    />
  );
}

StopButton.propTypes = {
  run: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  onStopped: PropTypes.func.isRequired,
  onError: PropTypes.func.isRequired,
};
