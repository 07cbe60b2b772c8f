# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Request bodies and query strings, checked before anything reads them.

Every body of the API is a JSON object. It is read here, once, with limits
that keep bad input away from the decoder and the database: its size, its
nesting depth, its encoding (UTF-8 only), numbers that JSON cannot carry
(``NaN``, ``Infinity``, floats that overflow) and text a database cannot store
(NUL characters, lone surrogates). Each refusal is a 400 naming the field.
"""

import json
import math
import re

import marshmallow as ma
from flask import request
from invenio_i18n import lazy_gettext as _

from ..services.base import unstorable_text
from ..services.errors import InvalidRequestBodyError, RequestBodyTooLargeError

MAX_BODY_BYTES = 1024 * 1024
"""Largest request body read: a job with its arguments is a few kilobytes."""

MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects in a body."""

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _nesting_depth(text: str) -> int:
    """The deepest nesting of brackets outside strings, counted without recursion.

    The decoder recurses once per level, so a body of thousands of ``[``
    would exhaust the stack before any error could name it.
    """
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _too_deep():
    """The error of a body nested too deeply."""
    return InvalidRequestBodyError(
        str(_("The body nests deeper than %(depth)s levels.", depth=MAX_JSON_DEPTH))
    )


def _finite_float(text: str) -> float:
    """A JSON float; one that overflows to infinity is refused."""
    value = float(text)
    if not math.isfinite(value):
        raise InvalidRequestBodyError(
            str(_("The number %(number)s is too large.", number=text[:40]))
        )
    return value


def _refuse_constant(name: str):
    """``NaN`` and ``Infinity`` are not JSON: refuse them."""
    raise InvalidRequestBodyError(
        str(_("%(name)s is not a JSON value.", name=name)),
    )


def _check_text(data, path="body"):
    """Refuse keys and strings that the database cannot store, naming the field."""
    pending = [(data, path)]
    while pending:
        value, where = pending.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                field = key if where == "body" else f"{where}.{key}"
                if unstorable_text(key):
                    raise InvalidRequestBodyError(
                        str(_("Field names cannot hold NUL or surrogate characters.")),
                        field=where,
                    )
                pending.append((item, field))
        elif isinstance(value, list):
            pending.extend((item, f"{where}.{i}") for i, item in enumerate(value))
        elif isinstance(value, str) and unstorable_text(value):
            raise InvalidRequestBodyError(
                str(_("Text cannot hold NUL or surrogate characters.")), field=where
            )


def decode_json_object(raw: bytes):
    """Decode a request body: None when empty, else a JSON object, checked.

    Raise :class:`InvalidRequestBodyError` with the reason otherwise.
    """
    if not raw:
        return None
    if len(raw) > MAX_BODY_BYTES:
        raise RequestBodyTooLargeError(
            str(_("The body is larger than %(size)s bytes.", size=MAX_BODY_BYTES))
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidRequestBodyError(
            str(_("The body is not UTF-8: byte %(at)s.", at=error.start))
        ) from None
    if _nesting_depth(text) > MAX_JSON_DEPTH:
        raise _too_deep()
    try:
        data = json.loads(
            text, parse_float=_finite_float, parse_constant=_refuse_constant
        )
    except ValueError as error:
        raise InvalidRequestBodyError(
            str(_("The body is not valid JSON: %(error)s", error=error))
        ) from None
    except RecursionError:
        raise _too_deep() from None
    if not isinstance(data, dict):
        raise InvalidRequestBodyError(
            str(_("The body must be a JSON object, not %(kind)s.", kind=_kind(data)))
        )
    _check_text(data)
    return data


def _kind(value) -> str:
    """The JSON name of a decoded value's type."""
    if isinstance(value, list):
        return _("an array")
    if isinstance(value, str):
        return _("a string")
    if isinstance(value, bool):
        return _("a boolean")
    if value is None:
        return _("null")
    return _("a number")


class JSONObjectParser:
    """The body parser of every JSON content type: a JSON object, checked.

    It replaces flask-resources' ``RequestBodyParser(JSONDeserializer())``,
    which lets any JSON value and any decoder error through.
    """

    def parse(self):
        """Read and check the body of the current request."""
        length = request.content_length
        if length is not None and length > MAX_BODY_BYTES:
            raise RequestBodyTooLargeError(
                str(_("The body is larger than %(size)s bytes.", size=MAX_BODY_BYTES))
            )
        return decode_json_object(request.get_data(cache=True))


class QueryText(ma.fields.String):
    """A query string value: text the database can store, of a bounded length."""

    max_length = 1000
    """Longest value read: longer ones are no search anyone types."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > self.max_length:
            raise ma.ValidationError(
                str(_("Longer than %(size)s characters.", size=self.max_length))
            )
        if unstorable_text(text):
            raise ma.ValidationError(
                str(_("Text cannot hold NUL or surrogate characters."))
            )
        return text


MAX_JOBS_FILE_BYTES = 8 * MAX_BODY_BYTES
"""Largest file of jobs kept as code that the API reads: thousands of jobs."""

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})


def jobs_file_text() -> str:
    """The body of an import: a YAML file of jobs, as text, bounded."""
    length = request.content_length
    if length is not None and length > MAX_JOBS_FILE_BYTES:
        raise RequestBodyTooLargeError(
            str(_("The body is larger than %(size)s bytes.", size=MAX_JOBS_FILE_BYTES))
        )
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JOBS_FILE_BYTES:
        raise RequestBodyTooLargeError(
            str(_("The body is larger than %(size)s bytes.", size=MAX_JOBS_FILE_BYTES))
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidRequestBodyError(
            str(_("The body is not UTF-8: byte %(at)s.", at=error.start))
        ) from None


def query_flag(name: str) -> bool:
    """A yes/no parameter of the query string; anything else is a 400 naming it."""
    word = request.args.get(name, "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InvalidRequestBodyError(str(_("Give true or false.")), field=name)
