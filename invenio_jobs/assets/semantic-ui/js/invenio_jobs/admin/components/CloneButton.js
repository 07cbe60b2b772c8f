/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// "Clone": an inactive copy of a job ("Copy of ..."), opened for editing.
// The copy fires nothing until it is activated, so no confirmation is asked.

import React from "react";
import PropTypes from "prop-types";
import { Button } from "semantic-ui-react";
import { i18next } from "../../i18next";
import { useAction } from "./actions";
import { fillPath } from "./format";

export function CloneJobButton({ job, api, config, onError, ...buttonProps }) {
  const [busy, clone] = useAction(async () => {
    const copy = await api.cloneJob(job.id);
    window.location.assign(fillPath(config.pages.edit, { id: copy.id }));
  }, (described) => onError(described.message));
  return (
    <Button
      basic
      icon="copy"
      loading={busy}
      title={i18next.t("Clone")}
      aria-label={i18next.t("Clone: an inactive copy to edit")}
      onClick={clone}
      className="jobs-clone"
      {...buttonProps}
    />
  );
}

CloneJobButton.propTypes = {
  job: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  config: PropTypes.object.isRequired,
  onError: PropTypes.func.isRequired,
};
