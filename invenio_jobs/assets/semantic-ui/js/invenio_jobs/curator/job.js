/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */

// A job's page for a curator (outside the admin UI): what the job does and
// when, its runs with links to their pages and live logs, and, for those
// who may, Run now (with the job's own arguments) and Stop. Built from the
// admin pages' components; the permissions are the REST API's.

import React, { useCallback, useEffect, useState } from "react";
import PropTypes from "prop-types";
import { Button, Header, Label, Loader, Message, Table } from "semantic-ui-react";
import { i18next } from "../i18next";
import { describeError } from "../admin/api";
import { ConfirmDialog, useAction } from "../admin/components/actions";
import {
  Breadcrumb,
  SettingRow,
  Time,
  fillPath,
  isActive,
} from "../admin/components/format";
import { mountPage } from "../admin/components/mount";
import { RunsTable } from "../admin/components/RunsTable";
import { usePolling } from "../admin/components/usePolling";

const PAGE_SIZE = 20;

function RunNowButton({ job, api, config, onError }) {
  const [asking, setAsking] = useState(false);
  const [busy, start] = useAction(async () => {
    const run = await api.startRun(job.id, {});
    window.location.assign(fillPath(config.pages.run, { id: job.id, run_id: run.id }));
  }, (described) => {
    setAsking(false);
    onError(described.message);
  });
  return (
    <>
      <Button
        primary
        icon="play"
        labelPosition="left"
        className="jobs-run-now"
        content={i18next.t("Run now")}
        onClick={() => setAsking(true)}
      />
      <ConfirmDialog
        name="jobs-run-now"
        open={asking}
        header={i18next.t("Run now?")}
        question={i18next.t("The job runs now with its own arguments.")}
        action={i18next.t("Run now")}
        busy={busy}
        onConfirm={start}
        onCancel={() => setAsking(false)}
      />
    </>
  );
}

RunNowButton.propTypes = {
  job: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  config: PropTypes.object.isRequired,
  onError: PropTypes.func.isRequired,
};

function CuratorJobPage({ config, api, jobId }) {
  const [job, setJob] = useState(null);
  const [runs, setRuns] = useState(null);
  const [page, setPage] = useState(1);
  const [error, setError] = useState(null);
  const [notFound, setNotFound] = useState(false);

  const loadJob = useCallback(async () => {
    try {
      setJob(await api.getJob(jobId));
    } catch (err) {
      const described = describeError(err);
      if (described.status === 404) setNotFound(true);
      else setError(described.message);
    }
  }, [api, jobId]);

  const loadRuns = useCallback(async () => {
    try {
      setRuns(await api.listRuns(jobId, { page, size: PAGE_SIZE }));
    } catch (err) {
      setError(describeError(err).message);
    }
  }, [api, jobId, page]);

  useEffect(() => {
    loadJob();
  }, [loadJob]);
  useEffect(() => {
    loadRuns();
  }, [loadRuns]);
  const anyActive = !!runs && runs.hits.hits.some(isActive);
  usePolling(loadRuns, anyActive ? config.refresh_ms : config.refresh_ms * 3);

  if (notFound) {
    return (
      <Message negative>
        <Message.Header>{i18next.t("This job does not exist.")}</Message.Header>
        <a href={config.pages.list}>{i18next.t("Back to the jobs")}</a>
      </Message>
    );
  }
  if (!job) return error ? <Message negative content={error} /> : <Loader active inline="centered" />;

  const total = runs ? runs.hits.total : 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <div className="jobs-job-page jobs-curator-job">
      <Breadcrumb
        links={[{ href: config.pages.list, text: i18next.t("Jobs") }]}
        current={job.title}
        currentClass="jobs-job-crumb"
      />
      <Header as="h1" className="jobs-job-title">
        <span className="jobs-job-title-text">{job.title}</span>{" "}
        {job.active ? (
          <Label color="green" basic content={i18next.t("Active")} />
        ) : (
          <Label basic content={i18next.t("Inactive")} />
        )}
      </Header>
      {config.can_run && <RunNowButton job={job} api={api} config={config} onError={setError} />}
      {error && <Message negative role="alert" content={error} onDismiss={() => setError(null)} />}
      <Table definition className="jobs-settings">
        <Table.Body>
          {job.description && <SettingRow label={i18next.t("Description")}>{job.description}</SettingRow>}
          <SettingRow label={i18next.t("Schedule")}>{job.schedule_description || i18next.t("None")}</SettingRow>
          <SettingRow label={i18next.t("Next run")}>
            <Time value={job.next_run} placeholder={i18next.t("None")} />
          </SettingRow>
        </Table.Body>
      </Table>
      <Header as="h2" className="jobs-runs-header">
        {i18next.t("Runs")}
      </Header>
      {runs && runs.hits.hits.length === 0 && (
        <Message info className="jobs-no-runs" content={i18next.t("This job has not run yet.")} />
      )}
      {runs && runs.hits.hits.length > 0 && (
        <RunsTable
          runs={runs.hits.hits}
          job={job}
          config={config}
          api={api}
          canStop={!!config.can_run}
          page={page}
          pages={pages}
          onPageChange={setPage}
          onChanged={loadRuns}
          onError={setError}
        />
      )}
    </div>
  );
}

CuratorJobPage.propTypes = {
  config: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
  jobId: PropTypes.string.isRequired,
};

mountPage(CuratorJobPage);
