# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Runs that wait for a pool's slot, on PostgreSQL: the limit under concurrency."""

import threading

import pytest
from helpers import make_job
from invenio_db import db as db_
from test_pools import *  # noqa: F401,F403 -- the same tests
from test_pools import LEASE, NOW, waiting_run

from invenio_jobs import lifecycle
from invenio_jobs.models import Pool, Run

pytestmark = [pytest.mark.postgresql, pytest.mark.usefixtures("empty_tables")]


def test_admissions_at_once_never_exceed_the_slots(app, database):
    db_.session.add(Pool(name="narrow", slots=3))
    db_.session.flush()
    jobs = [make_job(db_.session, title=f"job {n}", pool="narrow") for n in range(4)]
    for minute in range(40):
        waiting_run(jobs[minute % 4], minute)
    db_.session.commit()
    engine = db_.engine
    start = threading.Barrier(8)
    admitted, errors = [], []

    def admit_one_at_a_time():
        start.wait()
        try:
            with app.app_context():
                for _ in range(5):
                    with engine.begin() as connection:
                        rows = lifecycle.admit(NOW, LEASE, 1, connection)
                    admitted.extend(row.id for row in rows)
        except Exception as error:  # noqa: BLE001 -- reported below
            errors.append(error)

    threads = [threading.Thread(target=admit_one_at_a_time) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(admitted) == 3
    db_.session.expire_all()
    holding = db_.session.query(Run).filter(Run.slot_pool == "narrow").all()
    oldest = db_.session.query(Run).order_by(Run.created).limit(3).all()
    assert {run.id for run in holding} == {run.id for run in oldest}
