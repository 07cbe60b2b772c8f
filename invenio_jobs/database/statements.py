# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Statements PostgreSQL parses and plans once per connection, then only runs.

Planning the claim of a run cost PostgreSQL more than running it, and
planning the run's INSERT and end about as much: together half of the
database's work for a run. :class:`Prepared` wraps such a statement;
:func:`use_prepared_statements`, set from
``JOBS_DATABASE_PREPARED_STATEMENTS``, lets an engine prepare them.
"""

import hashlib
import re

import sqlalchemy as sa
from sqlalchemy import exc

from .dialects import speaks_psycopg2

PREPARED_KEY = "invenio_jobs_prepared"
"""Key, in a pooled connection's ``info``, of the names prepared on it."""

_UNDEFINED_PREPARED = "26000"
"""PostgreSQL's invalid_sql_statement_name: no such prepared statement here."""

_DUPLICATE_PREPARED = "42P05"
"""PostgreSQL's duplicate_prepared_statement."""

_PLAN_CHANGED = "0A000"
"""feature_not_supported: "cached plan must not change result type" (a migration)."""

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|__\[POSTCOMPILE_(\w+)\]")


def use_prepared_statements(engine, enabled: bool = True) -> None:
    """Let :class:`Prepared` statements be prepared on ``engine``'s connections.

    Only psycopg2's: it sends a statement and its values as one string,
    so the first ``PREPARE`` travels with the first ``EXECUTE``.
    """
    engine._jobs_prepared = enabled and speaks_psycopg2(engine)


class Prepared:
    """A statement PostgreSQL parses and plans once per connection, then only runs.

    On an engine that allows it (:func:`use_prepared_statements`) and on a
    connection in autocommit (:func:`~.writes.one_statement`), :meth:`execute` runs the statement as
    ``EXECUTE``, its values the bound parameters the caller gives (each
    other value is written into the prepared text, so that the planner
    sees it: partial indexes match). Its first use on a connection sends
    the ``PREPARE`` in the same round trip. Anywhere else (SQLite, a
    transaction whose failure could not be retried, a pooler that forbids
    them) it runs as SQLAlchemy runs it.
    """

    def __init__(self, statement):
        """Wrap ``statement``, whose per-use values are bind parameters without a value."""
        self.statement = statement
        self._forms = {}

    def execute(self, connection, parameters: dict):
        """Run the statement on ``connection``, prepared where it can be."""
        form = self._form(connection) if self._allowed(connection) else None
        if form is None:
            return connection.execute(self.statement, parameters)
        return form.execute(connection, parameters)

    @staticmethod
    def _allowed(connection) -> bool:
        if not getattr(connection.engine, "_jobs_prepared", False):
            return False
        return bool(getattr(connection.connection.dbapi_connection, "autocommit", 0))

    def _form(self, connection):
        dialect = connection.dialect
        key = (type(dialect), dialect.server_version_info)
        try:
            return self._forms[key]
        except KeyError:
            pass
        form = _PreparedForm.of(self.statement, dialect)
        self._forms[key] = form
        return form


class _PreparedForm:
    """The ``PREPARE`` and ``EXECUTE`` texts of one statement for one dialect."""

    @classmethod
    def of(cls, statement, dialect):
        """The form of ``statement``, or None where its values are not all known.

        Column defaults that SQLAlchemy computes per execution, and lists of
        values given per execution, cannot be written into a prepared text.
        """
        compiled = statement.compile(dialect=dialect)
        if compiled.insert_prefetch or compiled.update_prefetch:
            return None
        literals = {}
        for match in _PLACEHOLDER.finditer(compiled.string):
            name = match.group(1) or match.group(2)
            bind = compiled.binds[name]
            if _named(bind):  # a value of each use
                if bind.expanding:
                    return None
            elif bind.expanding:
                literals[name] = ", ".join(
                    compiled.render_literal_value(value, bind.type)
                    for value in bind.value
                )
            else:
                literals[name] = compiled.render_literal_value(bind.value, bind.type)
        return cls(statement, dialect, compiled, literals)

    def __init__(self, statement, dialect, compiled, literals):
        """Write both texts; the first use on a connection sends both."""
        numbers = {}

        def place(match):
            name = match.group(1) or match.group(2)
            if name in literals:
                return literals[name]
            return f"${numbers.setdefault(name, len(numbers) + 1)}"

        body = _PLACEHOLDER.sub(place, compiled.string).replace("%%", "%")
        order = sorted(numbers, key=numbers.get)
        binds = {name: compiled.binds[name] for name in order}
        types = ", ".join(binds[name].type.compile(dialect=dialect) for name in order)
        digest = hashlib.sha1(f"{types}|{body}".encode()).hexdigest()[:16]
        # The command in the name: what an EXECUTE does is read in a log.
        self.name = f"invenio_jobs_{body.split()[0].lower()}_{digest}"
        arguments = ", ".join(f":{name}" for name in order)
        prepare, call = f"PREPARE {self.name}", f"EXECUTE {self.name}"
        if order:
            prepare, call = f"{prepare} ({types})", f"{call}({arguments})"
        prepare = f"{prepare} AS {body}"
        escaped = prepare.replace(":", "\\:")
        self._run = self._text(call, binds, statement)
        self._prepare_and_run = self._text(f"{escaped}; {call}", binds, statement)
        self._renew_and_run = self._text(
            f"DEALLOCATE {self.name}; {escaped}; {call}", binds, statement
        )

    @staticmethod
    def _text(sql, binds, statement):
        text = sa.text(sql).bindparams(
            *(
                sa.bindparam(name, bind.value, type_=bind.type, required=bind.required)
                for name, bind in binds.items()
            )
        )
        columns = list(statement.exported_columns)
        return text.columns(*columns) if columns else text

    def execute(self, connection, parameters: dict):
        """Run it; prepare it first where this connection has not yet."""
        prepared = connection.connection.info.setdefault(PREPARED_KEY, set())
        text = self._prepare_and_run
        if self.name in prepared:
            try:
                return connection.execute(self._run, parameters)
            except exc.DBAPIError as error:
                code = _pgcode(error)
                if code not in (_UNDEFINED_PREPARED, _PLAN_CHANGED):
                    raise
                prepared.discard(self.name)
                if code == _PLAN_CHANGED:
                    text = self._renew_and_run
        try:
            result = connection.execute(text, parameters)
        except exc.DBAPIError as error:
            if _pgcode(error) != _DUPLICATE_PREPARED:
                raise
            result = connection.execute(self._run, parameters)
        prepared.add(self.name)
        return result


def _named(bind) -> bool:
    """Whether a bind parameter is one a caller names (its value given per use).

    The others are the statement's own constants (``status == "Q"``),
    which SQLAlchemy names anonymously.
    """
    return not bind.key.startswith("%(")


def _pgcode(error) -> str | None:
    """The SQLSTATE of a DBAPI error from PostgreSQL; None for a lost connection."""
    if error.connection_invalidated:
        return None
    return getattr(error.orig, "pgcode", None)
