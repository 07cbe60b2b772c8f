/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// A run's log: levels coloured, filtered by level and text, and followed
// live through the tail API (each line once, in order) until the run ends.
// Opened at one line (the run page's #line-<id>, where a log search links),
// it starts a little before that line, shows it marked and in view, and
// reads back further on demand: a line deep in a long log is found at once.

import React, { useEffect, useLayoutEffect, useRef, useState } from "react";
import PropTypes from "prop-types";
import { Button, Checkbox, Dropdown, Form, Input, Message, Segment } from "semantic-ui-react";
import { i18next } from "../../i18next";
import { describeError } from "../api";
import { logTime } from "./format";

const LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];
const MAX_SHOWN = 20000;
const CONTEXT_LINES = 200;
const EARLIER_LINES = 1000;

const levelOptions = () => [
  { key: "all", value: "all", text: i18next.t("All levels") },
  ...LEVELS.map((level) => ({ key: level, value: level, text: i18next.t("{{level}} and above", { level }) })),
];

function LogLine({ line, target }) {
  return (
    <div
      className={`jobs-log-line level-${line.level.toLowerCase()}${target ? " jobs-log-line-target" : ""}`}
      data-id={line.id}
      id={`line-${line.id}`}
      // The line the page was opened at takes the focus, so that the
      // keyboard and screen readers start there.
      tabIndex={target ? -1 : undefined}
    >
      {target && <span className="jobs-sr-only">{i18next.t("The line found:")} </span>}
      <span className="jobs-log-time" title={line.timestamp}>
        {logTime(line.timestamp)}
      </span>
      <span className="jobs-log-level">{line.level}</span>
      <span className="jobs-log-message">{line.message}</span>
    </div>
  );
}

LogLine.propTypes = { line: PropTypes.object.isRequired, target: PropTypes.bool };
LogLine.defaultProps = { target: false };

export function RunLog({ api, jobId, runId, refreshMs, onStatus, targetLine }) {
  const [lines, setLines] = useState([]);
  const [level, setLevel] = useState("all");
  const [typed, setTyped] = useState("");
  const [text, setText] = useState("");
  // At one line, the log stays there rather than following the end.
  const [follow, setFollow] = useState(!targetLine);
  const [finished, setFinished] = useState(false);
  const [earlier, setEarlier] = useState(false);
  const [readingBack, setReadingBack] = useState(false);
  const [error, setError] = useState(null);
  const box = useRef(null);
  useEffect(() => {
    if (targetLine) setFollow(false);
  }, [targetLine]);
  const shownTarget = useRef(null);
  // The first line shown, and where it was, before earlier lines are put
  // above it: it stays where it was.
  const anchor = useRef(null);
  // The tail's loop outlives renders; it reports through the latest callback.
  const reportStatus = useRef(onStatus);
  reportStatus.current = onStatus;

  useEffect(() => {
    let stopped = false;
    let timer = null;
    let after;
    setLines([]);
    setFinished(false);
    setEarlier(false);
    shownTarget.current = null;
    const filters = {};
    if (level !== "all") filters.level = level;
    if (text) filters.text = text;
    // Opened at a line: the lines just before it, then on from it.
    const fetchBefore = async () => {
      after = targetLine - 1;
      try {
        const page = await api.tailLog(jobId, runId, {
          ...filters,
          size: CONTEXT_LINES,
          before: targetLine,
        });
        if (stopped) return;
        setLines(page.hits);
        setEarlier(page.earlier);
      } catch (err) {
        // Without them the log still starts at the line.
      }
      fetchMore();
    };
    const fetchMore = async () => {
      if (stopped) return;
      try {
        const params = { size: 1000, ...filters };
        if (after !== undefined && after !== null) params.after = after;
        const page = await api.tailLog(jobId, runId, params);
        if (stopped) return;
        setError(null);
        if (page.hits.length) {
          setLines((current) => current.concat(page.hits).slice(-MAX_SHOWN));
        }
        after = page.next_after;
        reportStatus.current(page.run_status);
        if (page.finished) {
          setFinished(true);
          return;
        }
        timer = setTimeout(fetchMore, page.hits.length === params.size ? 0 : refreshMs);
      } catch (err) {
        if (stopped) return;
        setError(describeError(err).message);
        timer = setTimeout(fetchMore, refreshMs * 2);
      }
    };
    if (targetLine) fetchBefore();
    else fetchMore();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, jobId, runId, level, text, refreshMs, targetLine]);

  useLayoutEffect(() => {
    if (!box.current) return;
    if (anchor.current) {
      // Earlier lines went above: the lines in view stay in view (whether
      // or not the browser anchors the scrolling itself).
      const line = box.current.querySelector(`[data-id="${anchor.current.id}"]`);
      if (line) box.current.scrollTop += line.getBoundingClientRect().top - anchor.current.top;
      anchor.current = null;
    }
    if (targetLine && shownTarget.current !== targetLine) {
      const line = box.current.querySelector(`[data-id="${targetLine}"]`);
      if (line) {
        shownTarget.current = targetLine;
        line.scrollIntoView({ block: "center" });
        line.focus({ preventScroll: true });
      }
    }
    if (follow) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow, targetLine]);

  const readBack = async () => {
    if (!lines.length || readingBack) return;
    setReadingBack(true);
    try {
      const params = { size: EARLIER_LINES, before: lines[0].id };
      if (level !== "all") params.level = level;
      if (text) params.text = text;
      const page = await api.tailLog(jobId, runId, params);
      const first = box.current && box.current.querySelector(`[data-id="${lines[0].id}"]`);
      anchor.current = first ? { id: lines[0].id, top: first.getBoundingClientRect().top } : null;
      setLines((current) => page.hits.concat(current).slice(0, MAX_SHOWN));
      setEarlier(page.earlier);
      setError(null);
    } catch (err) {
      setError(describeError(err).message);
    } finally {
      setReadingBack(false);
    }
  };

  return (
    <div className="jobs-run-log">
      <Form
        onSubmit={(event) => {
          event.preventDefault();
          setText(typed);
        }}
      >
        <Form.Group inline>
          <Form.Field>
            <Dropdown
              selection
              name="level"
              id="log-level"
              aria-label={i18next.t("Level")}
              value={level}
              options={levelOptions()}
              onChange={(e, { value }) => setLevel(value)}
            />
          </Form.Field>
          <Form.Field>
            <Input
              name="text"
              icon="search"
              iconPosition="left"
              aria-label={i18next.t("Search the log")}
              placeholder={i18next.t("Search the log")}
              value={typed}
              onChange={(e, { value }) => setTyped(value)}
              action={{ type: "submit", content: i18next.t("Search") }}
            />
          </Form.Field>
          <Form.Field>
            <Checkbox
              toggle
              id="log-follow"
              name="follow"
              label={i18next.t("Follow new lines")}
              checked={follow}
              onChange={(e, { checked }) => setFollow(checked)}
            />
          </Form.Field>
          <Form.Field>
            <Button
              as="a"
              basic
              size="small"
              icon="download"
              labelPosition="left"
              href={api.logTextUrl(jobId, runId)}
              className="jobs-log-download"
              content={i18next.t("Download")}
            />
          </Form.Field>
        </Form.Group>
      </Form>
      {error && <Message negative size="small" content={error} />}
      {earlier && (
        <Button
          type="button"
          basic
          size="small"
          icon="arrow up"
          labelPosition="left"
          className="jobs-log-earlier"
          loading={readingBack}
          onClick={readBack}
          content={i18next.t("Show earlier lines")}
        />
      )}
      <Segment inverted className="jobs-log-box">
        <div
          ref={box}
          className="jobs-log-lines"
          role="log"
          aria-live="polite"
          aria-label={i18next.t("Log of the run")}
          // A scrolling region must be focusable, so that the keyboard
          // scrolls a log longer than its box (WCAG 2.1.1, axe's
          // scrollable-region-focusable).
          // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex
          tabIndex={0}
        >
          {lines.map((line) => (
            <LogLine key={line.id} line={line} target={line.id === targetLine} />
          ))}
          {!lines.length && (
            <div className="jobs-log-empty">
              {finished ? i18next.t("No log lines.") : i18next.t("Waiting for log lines...")}
            </div>
          )}
        </div>
      </Segment>
      <div className="jobs-muted jobs-log-state">
        {finished
          ? i18next.t("{{count}} lines; the run has ended.", { count: lines.length })
          : i18next.t("{{count}} lines; following the run.", { count: lines.length })}
        {earlier && ` ${i18next.t("Earlier lines are not shown yet.")}`}
      </div>
    </div>
  );
}

RunLog.propTypes = {
  api: PropTypes.object.isRequired,
  jobId: PropTypes.string.isRequired,
  runId: PropTypes.string.isRequired,
  refreshMs: PropTypes.number.isRequired,
  onStatus: PropTypes.func.isRequired,
  targetLine: PropTypes.number,
};

RunLog.defaultProps = { targetLine: null };
