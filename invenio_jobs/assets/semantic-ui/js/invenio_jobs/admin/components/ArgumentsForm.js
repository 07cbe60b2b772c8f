/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// A form generated from a job type's arguments, as /api/tasks/<id>/args
// describes them: one input per field, its help text, its default, and the
// server's error under it. The server validates; the form only converts
// what was typed to the field's JSON type.
//
// Arguments the description has no field for (a job type may take more
// than its schema declares, as InvenioRDM's ExportRecords example does) are
// edited as one JSON object under "Other arguments", and sent with the rest.

import React, { useEffect, useState } from "react";
import PropTypes from "prop-types";
import { Form, Header } from "semantic-ui-react";
import { i18next } from "../../i18next";

export function argumentDefaults(fields) {
  const values = {};
  (fields || []).forEach((field) => {
    if (!field.hidden && field.default !== undefined && field.default !== null) {
      values[field.name] = field.default;
    }
  });
  return values;
}

function toNumber(text, integer) {
  if (text.trim() === "") return undefined;
  const value = Number(text);
  if (Number.isNaN(value) || (integer && !Number.isInteger(value))) return text;
  return value;
}

function toList(text, items) {
  const parts = text
    .split(/[\n,]/)
    .map((part) => part.trim())
    .filter(Boolean);
  if (items && (items.type === "integer" || items.type === "number")) {
    return parts.map((part) => toNumber(part, items.type === "integer"));
  }
  return parts;
}

function shown(field, value) {
  if (value === undefined || value === null) return "";
  if (field.type === "array") return Array.isArray(value) ? value.join(", ") : String(value);
  if (field.type === "object") return typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return String(value);
}

function ArgumentField({ field, value, error, onChange }) {
  const id = `argument-${field.name}`;
  const label = field.title || field.name;
  const common = {
    id,
    name: field.name,
    label,
    required: field.required,
    error: error ? { content: error, pointing: "above" } : undefined,
  };
  const help = field.description ? (
    <p className="jobs-field-help">{field.description}</p>
  ) : null;

  if (field.type === "boolean") {
    return (
      <Form.Field error={!!error}>
        <Form.Checkbox
          toggle
          id={id}
          name={field.name}
          label={label}
          checked={!!value}
          onChange={(e, { checked }) => onChange(checked)}
        />
        {help}
        {error && <div className="ui pointing above prompt label">{error}</div>}
      </Form.Field>
    );
  }
  if (field.choices) {
    return (
      <>
        <Form.Dropdown
          {...common}
          aria-label={label}
          selection
          clearable={!field.required}
          value={value === undefined ? "" : value}
          options={field.choices.map((choice) => ({
            key: String(choice),
            value: choice,
            text: String(choice),
          }))}
          onChange={(e, data) => onChange(data.value === "" ? undefined : data.value)}
        />
        {help}
      </>
    );
  }
  if (field.type === "object") {
    return (
      <>
        <Form.TextArea
          {...common}
          rows={4}
          className="jobs-code"
          value={shown(field, value)}
          onChange={(e, data) => {
            try {
              onChange(data.value.trim() ? JSON.parse(data.value) : undefined);
            } catch (err) {
              onChange(data.value);
            }
          }}
        />
        {help}
      </>
    );
  }
  const number = field.type === "integer" || field.type === "number";
  return (
    <>
      <Form.Input
        {...common}
        type={number ? "number" : field.type === "email" ? "email" : "text"}
        step={field.type === "integer" ? 1 : number ? "any" : undefined}
        min={number && field.min !== undefined && field.min !== null ? field.min : undefined}
        max={number && field.max !== undefined && field.max !== null ? field.max : undefined}
        placeholder={
          field.type === "datetime"
            ? "2026-01-31T02:00:00+00:00"
            : field.type === "array"
            ? i18next.t("values separated by commas")
            : undefined
        }
        value={shown(field, value)}
        onChange={(e, data) => {
          if (number) onChange(toNumber(data.value, field.type === "integer"));
          else if (field.type === "array") onChange(toList(data.value, field.items));
          else onChange(data.value === "" && !field.required ? undefined : data.value);
        }}
      />
      {help}
    </>
  );
}

ArgumentField.propTypes = {
  field: PropTypes.object.isRequired,
  value: PropTypes.any,
  error: PropTypes.string,
  onChange: PropTypes.func.isRequired,
};
ArgumentField.defaultProps = { value: undefined, error: null };

// The values of ``values`` that no field of the description holds.
function splitExtra(fields, values) {
  const known = new Set((fields || []).map((field) => field.name));
  const declared = {};
  const extra = {};
  Object.entries(values || {}).forEach(([name, value]) => {
    if (known.has(name)) declared[name] = value;
    else extra[name] = value;
  });
  return { declared, extra };
}

const asText = (extra) => (Object.keys(extra).length ? JSON.stringify(extra, null, 2) : "");

function parseExtra(text) {
  if (!text.trim()) return {};
  const value = JSON.parse(text);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error("not an object");
  }
  return value;
}

// "Other arguments": a JSON object of the arguments without a field. What is
// typed stays as typed while it parses to the current arguments; a text that
// is not a JSON object is reported to the parent as a problem.
function ExtraArguments({ extra, errors, onChange }) {
  const current = asText(extra);
  const [text, setText] = useState(current);
  const [open, setOpen] = useState(current !== "");
  const [invalid, setInvalid] = useState(false);

  useEffect(() => {
    let same = false;
    try {
      same = JSON.stringify(parseExtra(text)) === JSON.stringify(extra);
    } catch (err) {
      same = false;
    }
    if (!same && !invalid) {
      setText(current);
      if (current) setOpen(true);
    }
    // Only a change from outside (a loaded job, another job type) resets it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [current]);

  const change = (value) => {
    setText(value);
    try {
      const parsed = parseExtra(value);
      setInvalid(false);
      onChange(parsed, null);
    } catch (err) {
      setInvalid(true);
      onChange(extra, i18next.t("Other arguments must be a JSON object."));
    }
  };
  const messages = Object.entries(errors).map(([name, text]) => `${name}: ${text}`);
  if (invalid) {
    messages.unshift(i18next.t("Other arguments must be a JSON object."));
  }

  if (!open) {
    return (
      <button type="button" className="ui basic tiny button jobs-extra-arguments-open" onClick={() => setOpen(true)}>
        {i18next.t("Other arguments (JSON)")}
      </button>
    );
  }
  return (
    <>
      <Form.TextArea
        id="arguments-extra"
        name="arguments-extra"
        className="jobs-code"
        label={i18next.t("Other arguments (JSON)")}
        rows={3}
        placeholder='{"name": "value"}'
        value={text}
        error={messages.length ? { content: messages.join(" "), pointing: "above" } : undefined}
        onChange={(e, data) => change(data.value)}
      />
      <p className="jobs-field-help">
        {i18next.t(
          "Arguments the form has no field for, as one JSON object; they are given to the job type as they are."
        )}
      </p>
    </>
  );
}

ExtraArguments.propTypes = {
  extra: PropTypes.object.isRequired,
  errors: PropTypes.object.isRequired,
  onChange: PropTypes.func.isRequired,
};

// ``onChange(values, problem)``: ``problem`` is a message while the other
// arguments are not a JSON object (the values then keep their last good ones).
export function ArgumentsForm({ fields, values, errors, onChange }) {
  const visible = (fields || []).filter((field) => !field.hidden);
  const { declared, extra } = splitExtra(fields, values);
  const set = (name, value) => {
    const next = { ...values };
    if (value === undefined) delete next[name];
    else next[name] = value;
    onChange(next, null);
  };
  const visibleNames = new Set(visible.map((field) => field.name));
  const otherErrors = Object.fromEntries(
    Object.entries(errors).filter(([name]) => !visibleNames.has(name))
  );
  return (
    <div className="jobs-arguments">
      <Header as="h4" dividing>
        {i18next.t("Arguments")}
      </Header>
      {!visible.length && (
        <p className="jobs-no-arguments">{i18next.t("This job type takes no arguments.")}</p>
      )}
      {visible.map((field) => (
        <ArgumentField
          key={field.name}
          field={field}
          value={values[field.name]}
          error={errors[field.name] || null}
          onChange={(value) => set(field.name, value)}
        />
      ))}
      <ExtraArguments
        extra={extra}
        errors={otherErrors}
        onChange={(others, problem) => onChange({ ...declared, ...others }, problem)}
      />
    </div>
  );
}

ArgumentsForm.propTypes = {
  fields: PropTypes.array.isRequired,
  values: PropTypes.object.isRequired,
  errors: PropTypes.object,
  onChange: PropTypes.func.isRequired,
};
ArgumentsForm.defaultProps = { errors: {} };
