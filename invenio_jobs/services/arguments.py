# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Describe a job type's arguments schema so that a form can be built from it."""

from datetime import date, datetime

from invenio_administration.marshmallow_utils import jsonify_schema
from invenio_i18n import gettext
from marshmallow import fields, missing, validate

# Checked in order: subclasses before their parents.
_FIELD_TYPES = (
    (fields.Email, "email"),
    (fields.URL, "url"),
    (fields.UUID, "string"),
    (fields.String, "string"),
    (fields.Boolean, "boolean"),
    (fields.Integer, "integer"),
    (fields.Number, "number"),
    (fields.DateTime, "datetime"),
    (fields.Date, "date"),
    (fields.List, "array"),
    (fields.Nested, "object"),
    (fields.Dict, "object"),
)


def _field_type(field) -> str:
    for cls, name in _FIELD_TYPES:
        if isinstance(field, cls):
            return name
    return "string"


def _json_value(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _catalog(text) -> str:
    """A label or help text in the reader's language, when the catalog has it.

    Job types often give plain English strings; looking them up lets a
    site's (or this package's) catalog translate them without changing the
    job type.
    """
    text = str(text)
    return gettext(text) if text else text


def describe_field(name: str, field) -> dict:
    """One field: its type, whether it is required, its default and help."""
    metadata = field.metadata or {}
    entry = {
        "name": field.data_key or name,
        "type": _field_type(field),
        "required": bool(field.required),
        "allow_none": bool(field.allow_none),
        "title": _catalog(metadata.get("title") or name.replace("_", " ").capitalize()),
        "description": _catalog(metadata.get("description") or ""),
        "hidden": metadata.get("type") == "hidden",
    }
    default = field.load_default
    if default is not missing and not callable(default):
        entry["default"] = _json_value(default)
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            entry["choices"] = [_json_value(c) for c in validator.choices]
        elif isinstance(validator, validate.Range):
            entry["min"], entry["max"] = validator.min, validator.max
        elif isinstance(validator, validate.Length):
            entry["min_length"], entry["max_length"] = validator.min, validator.max
    if isinstance(field, fields.List):
        entry["items"] = describe_field("items", field.inner)
    if isinstance(field, fields.Nested) and not isinstance(field.schema, type):
        entry["fields"] = describe_schema(field.schema)
    return entry


def describe_schema(schema) -> list[dict]:
    """The loadable fields of a schema (class or instance), in declared order."""
    if isinstance(schema, type):
        schema = schema()
    return [
        describe_field(name, field)
        for name, field in schema.fields.items()
        if not field.dump_only
    ]


def _jsonify_field(name: str, field) -> dict:
    """One field in InvenioRDM's shape, also for field types it does not know."""
    holder = type("OneField", (), {"fields": {name: field}})
    try:
        return jsonify_schema(holder)[name]
    except Exception:  # noqa: BLE001 -- an unknown field type gets a plain entry
        metadata = field.metadata or {}
        return {
            "required": bool(field.required),
            "readOnly": bool(field.dump_only),
            "title": metadata.get("title"),
            "createOnly": bool(metadata.get("create_only", False)),
            "metadata": metadata,
            "dump_default": _plain_default(field.dump_default),
            "load_default": _plain_default(field.load_default),
            "type": _field_type(field),
        }


def _plain_default(default):
    return None if default is missing or callable(default) else default


def jsonify_arguments(schema) -> dict:
    """A job type's arguments, as InvenioRDM's ``/api/tasks/<id>/args`` gives them.

    A mapping of field name to ``type``, ``required``, ``title``, ``metadata``,
    ``load_default``, ``dump_default``, ``readOnly`` and ``createOnly``
    (invenio-administration's description of a schema, which InvenioRDM's
    form reads); ``{}`` for a job type without arguments. Values that JSON
    cannot hold (dates, lazy texts) are given as text.
    """
    if schema is None:
        return {}
    if isinstance(schema, type):
        schema = schema()
    described = {name: _jsonify_field(name, f) for name, f in schema.fields.items()}
    return _json_value(described)
