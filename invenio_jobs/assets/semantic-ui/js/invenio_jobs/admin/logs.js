/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// Search all logs: one query in the log search language of
// /api/logs/jobs over the lines of every run, newest first. The query is
// kept in the address (?q=), so that a search can be shared and reloaded;
// each hit links to its job, and to its run's page at that line.

import React, { useCallback, useEffect, useRef, useState } from "react";
import PropTypes from "prop-types";
import { Button, Form, Header, Loader, Message, Table } from "semantic-ui-react";
import { i18next } from "../i18next";
import { describeError } from "./api";
import { Breadcrumb, exactTime, fillPath, logTime } from "./components/format";
import { mountPage } from "./components/mount";

const PAGE_SIZE = 50;

// What the help offers: a query, and what it finds.
const examples = () => [
  { query: 'message:"DOI 10.1234"', text: i18next.t("lines whose message holds this phrase") },
  {
    query: "level:ERROR AND context.job_id:<id>",
    text: i18next.t("the errors of one job (its id is in the address of its page)"),
  },
  { query: "@timestamp:[2026-01-01 TO 2026-02-01]", text: i18next.t("the lines of a span of time") },
  { query: "level:>=WARNING AND NOT timeout", text: i18next.t("warnings and worse, but not timeouts") },
];

// The query of the page's address.
function addressQuery() {
  return new URLSearchParams(window.location.search).get("q") || "";
}

// Put the query in the address, as a new entry of the history: Back
// returns to the previous search.
function keepInAddress(query) {
  const url = new URL(window.location.href);
  if (query) url.searchParams.set("q", query);
  else url.searchParams.delete("q");
  if (url.href !== window.location.href) window.history.pushState({ q: query }, "", url.href);
}

// What a failed search says: a query the API cannot read is the query's
// fault (said beside the box); the others are the page's.
function failure(err) {
  const described = describeError(err);
  if (described.status === 400) {
    const fields = described.fields;
    return { query: fields.q || Object.values(fields)[0] || described.message };
  }
  if (described.status === 403) return { page: i18next.t("You may not search the logs.") };
  if (described.status === 503) {
    return {
      page: i18next.t(
        "The logs cannot be searched at the moment: the database is not reachable. Try again in a few seconds."
      ),
    };
  }
  return { page: described.message };
}

function QueryHelp({ onPick }) {
  return (
    <div id="jobs-log-query-help" className="jobs-log-query-help jobs-muted">
      <p>
        {i18next.t(
          "Words and quoted phrases are looked for in the messages; field:value asks one field (message, level, logger, context.job_id, context.run_id, context.task_id, @timestamp). Combine with AND, OR, NOT and parentheses."
        )}
      </p>
      <ul className="jobs-log-examples" aria-label={i18next.t("Examples")}>
        {examples().map((example) => (
          <li key={example.query}>
            <button
              type="button"
              className="jobs-log-example"
              onClick={() => onPick(example.query)}
              aria-label={i18next.t("Put {{query}} in the search box", { query: example.query })}
            >
              <code>{example.query}</code>
            </button>{" "}
            {example.text}
          </li>
        ))}
      </ul>
    </div>
  );
}

QueryHelp.propTypes = { onPick: PropTypes.func.isRequired };

function runLabel(run) {
  return run.number ? `#${run.number}` : i18next.t("Subtask");
}

function LogHit({ hit, config }) {
  const level = (hit.level || "").toLowerCase();
  const lines = (hit.message || "").split("\n");
  const jobPage = hit.job && fillPath(config.pages.job, { id: hit.job.id });
  const runPage =
    hit.job && hit.run && `${fillPath(config.pages.run, { id: hit.job.id, run_id: hit.run.id })}#line-${hit.id}`;
  return (
    <Table.Row className="jobs-log-hit" data-line-id={hit.id}>
      <Table.Cell className="jobs-log-hit-time">
        <time dateTime={hit.timestamp} title={exactTime(hit.timestamp)}>
          {logTime(hit.timestamp)}
        </time>
      </Table.Cell>
      <Table.Cell>
        <span className={`jobs-log-hit-level level-${level}`}>{hit.level}</span>
      </Table.Cell>
      <Table.Cell className="jobs-log-hit-job">
        {jobPage ? (
          <a href={jobPage} title={hit.job.title}>
            {hit.job.title}
          </a>
        ) : (
          "-"
        )}
      </Table.Cell>
      <Table.Cell className="jobs-log-hit-run">
        {runPage ? (
          <a href={runPage} title={i18next.t("Open run {{run}} at this line", { run: runLabel(hit.run) })}>
            {runLabel(hit.run)}
            <span className="jobs-sr-only"> {i18next.t("at this line")}</span>
          </a>
        ) : (
          "-"
        )}
      </Table.Cell>
      <Table.Cell className="jobs-log-hit-message">
        {lines[0]}
        {lines.length > 1 && (
          <span className="jobs-muted" title={hit.message}>
            {" "}
            {i18next.t("(and {{count}} more lines)", { count: lines.length - 1 })}
          </span>
        )}
      </Table.Cell>
    </Table.Row>
  );
}

LogHit.propTypes = { hit: PropTypes.object.isRequired, config: PropTypes.object.isRequired };

function summary(total, limit) {
  if (limit && total >= limit) return i18next.t("More than {{count}} lines match, newest first.", { count: limit });
  return i18next.t("{{count}} lines match, newest first.", { count: total });
}

function LogSearchPage({ config, api }) {
  const [typed, setTyped] = useState(addressQuery);
  const [query, setQuery] = useState(addressQuery);
  // Each submit searches again, also for the same words.
  const [asked, setAsked] = useState(0);
  const [hits, setHits] = useState([]);
  const [total, setTotal] = useState(null);
  const [next, setNext] = useState(null);
  const [loading, setLoading] = useState(false);
  const [queryError, setQueryError] = useState(null);
  const [pageError, setPageError] = useState(null);
  const latest = useRef(0);
  const input = useRef(null);
  // After "Load more", the first of the new hits takes the focus: the
  // keyboard goes on reading where the list went on (and the button may be
  // gone, at the end).
  const firstNew = useRef(null);

  const search = useCallback(
    async (after) => {
      const request = ++latest.current;
      setLoading(true);
      try {
        const params = { q: query, size: PAGE_SIZE, sort: "-timestamp" };
        if (after !== null) params.search_after = after;
        const body = await api.searchLogs(params);
        if (request !== latest.current) return;
        const found = body.hits.hits;
        if (after !== null && found.length) firstNew.current = found[0].id;
        setHits((shown) => (after === null ? found : shown.concat(found)));
        setTotal(body.hits.total);
        setNext(body.links && body.links.next && found.length ? body.hits.sort[0] : null);
        setQueryError(null);
        setPageError(null);
      } catch (err) {
        if (request !== latest.current) return;
        const said = failure(err);
        if (after === null) {
          setHits([]);
          setTotal(null);
          setNext(null);
        }
        setQueryError(said.query || null);
        setPageError(said.page || null);
      } finally {
        if (request === latest.current) setLoading(false);
      }
    },
    [api, query]
  );

  useEffect(() => {
    if (query.trim()) {
      search(null);
    } else {
      latest.current += 1;
      setHits([]);
      setTotal(null);
      setNext(null);
      setQueryError(null);
      setPageError(null);
      setLoading(false);
    }
  }, [query, asked, search]);

  useEffect(() => {
    if (firstNew.current === null) return;
    const link = document.querySelector(`.jobs-log-hit[data-line-id="${firstNew.current}"] a`);
    firstNew.current = null;
    if (link) link.focus();
  }, [hits]);

  // Back and Forward go through the searches made on the page.
  useEffect(() => {
    const onPop = () => {
      const q = addressQuery();
      setTyped(q);
      setQuery(q);
    };
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);

  const submit = (event) => {
    event.preventDefault();
    const q = typed.trim();
    keepInAddress(q);
    setQuery(q);
    setAsked((n) => n + 1);
  };

  const pick = (example) => {
    setTyped(example);
    if (input.current) input.current.focus();
  };

  const described = ["jobs-log-query-help", queryError ? "jobs-log-query-error" : null].filter(Boolean).join(" ");
  return (
    <div className="jobs-log-search-page">
      <Breadcrumb links={[{ href: config.pages.list, text: i18next.t("Jobs") }]} current={i18next.t("Search all logs")} />
      <Header as="h1">{i18next.t("Search all logs")}</Header>
      <Form onSubmit={submit} className="jobs-log-search" role="search" error={!!queryError}>
        <Form.Field error={!!queryError}>
          <label htmlFor="jobs-log-query">{i18next.t("Query")}</label>
          <div className="jobs-log-query-row">
            <input
              ref={input}
              id="jobs-log-query"
              name="q"
              type="search"
              autoComplete="off"
              spellCheck={false}
              value={typed}
              onChange={(event) => setTyped(event.target.value)}
              aria-describedby={described}
              aria-invalid={queryError ? "true" : "false"}
            />
            <Button type="submit" primary icon="search" labelPosition="left" className="jobs-log-search-button" content={i18next.t("Search")} />
          </div>
          <div id="jobs-log-query-error" className="jobs-log-query-error" aria-live="assertive" aria-atomic="true">
            {queryError && (
              <div className="ui pointing red basic label">
                {queryError}
              </div>
            )}
          </div>
        </Form.Field>
        <QueryHelp onPick={pick} />
      </Form>
      {pageError && <Message negative className="jobs-log-search-error" role="alert" content={pageError} />}
      <div className="jobs-log-search-status" role="status">
        {total !== null && !loading && (hits.length ? summary(total, config.logs_total_limit) : i18next.t("No log line matches this query."))}
      </div>
      {hits.length > 0 && (
        <Table compact unstackable className="jobs-log-hits">
          <Table.Header>
            <Table.Row>
              <Table.HeaderCell className="jobs-log-hit-time">{i18next.t("Time")}</Table.HeaderCell>
              <Table.HeaderCell className="jobs-log-hit-level-head">{i18next.t("Level")}</Table.HeaderCell>
              <Table.HeaderCell className="jobs-log-hit-job">{i18next.t("Job")}</Table.HeaderCell>
              <Table.HeaderCell className="jobs-log-hit-run">{i18next.t("Run")}</Table.HeaderCell>
              <Table.HeaderCell>{i18next.t("Message")}</Table.HeaderCell>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {hits.map((hit) => (
              <LogHit key={hit.id} hit={hit} config={config} />
            ))}
          </Table.Body>
        </Table>
      )}
      {loading && !hits.length && <Loader active inline="centered" content={i18next.t("Searching…")} />}
      {next !== null && (
        // Kept while the next lines load, so that the focus stays on it.
        <div className="jobs-log-more">
          <Button
            type="button"
            className="jobs-log-load-more"
            loading={loading}
            onClick={() => loading || search(next)}
            content={i18next.t("Load more")}
          />
        </div>
      )}
    </div>
  );
}

LogSearchPage.propTypes = {
  config: PropTypes.object.isRequired,
  api: PropTypes.object.isRequired,
};

mountPage(LogSearchPage);
