# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The connection a run's life is written on, beside the caller's transaction."""

from contextlib import contextmanager

from invenio_db import db

from ..models import RunStatusEnum

Status = RunStatusEnum


@contextmanager
def side_connection(commit: bool = False):
    """A connection whose writes do not wait for the caller's transaction.

    On PostgreSQL it is a connection of its own, committed at the end of the
    block: a job that rolls back its work keeps its progress and log, and
    its transaction is never committed behind its back. SQLite has a single
    writer, so there the session's own connection is used (a second one
    would wait for the job's transaction); ``commit`` then commits the
    session, for writes that other processes must see at once.
    """
    if db.engine.dialect.name == "sqlite":
        yield db.session.connection()
        if commit:
            db.session.commit()
        return
    with db.engine.begin() as conn:
        yield conn
