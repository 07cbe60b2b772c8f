# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Run logs partitioned by day on PostgreSQL: conversion, writing, reading, retention.

The module's tables are made from the models (one log table); each test
turns it into partitions as the migration does and gives the one table
back at the end, checking that no line was lost either way.
"""

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa
from helpers import count_queries, make_job, make_run
from invenio_access.permissions import system_identity
from invenio_db import db

from invenio_jobs.database.partitions import (
    DEFAULT_PARTITION,
    HOUR,
    create_partitions_ahead,
    index_ended_days,
    is_partitioned,
    message_index_name,
    midnight,
    partition_days,
    partition_log_table,
    partitions,
    unpartition_log_table,
)
from invenio_jobs.logging import capture_run_logs
from invenio_jobs.logging.tasks import create_log_partitions, delete_old_logs
from invenio_jobs.models import RunLog, utcnow
from invenio_jobs.proxies import current_jobs_logs_service
from invenio_jobs.services.logs import LogsService

pytestmark = [pytest.mark.postgresql, pytest.mark.usefixtures("empty_tables")]

DAYS_BACK = 5


def all_lines():
    """Every stored line as (id, run, day, message), by id."""
    db.session.remove()
    lines = [
        (line.id, line.run_id, line.timestamp.date(), line.message)
        for line in db.session.scalars(sa.select(RunLog).order_by(RunLog.id))
    ]
    db.session.remove()  # no transaction left open to block the next DDL
    return lines


@pytest.fixture()
def runs(app, database):
    """Two runs, with lines on each of the last days (three a day each)."""
    job = make_job(db.session, title="Partitioned")
    first, second = make_run(db.session, job), make_run(db.session, job)
    now = utcnow()
    for back in range(DAYS_BACK, -1, -1):
        for index in range(3):
            for run in (first, second):
                db.session.add(
                    RunLog(
                        run_id=run.id,
                        timestamp=now - timedelta(days=back, minutes=index),
                        level="INFO",
                        logger="tests",
                        message=f"day -{back} line {index} doi:10.99/{back}",
                    )
                )
    db.session.commit()
    ids = [(run.id, run.job_id) for run in (first, second)]
    db.session.remove()
    return ids


@pytest.fixture()
def partitioned(runs):
    """The log table in partitions, as the migration leaves it; the one table after."""
    before = all_lines()
    with db.engine.begin() as connection:
        partition_log_table(connection, utcnow().date(), 2)
    assert all_lines() == before
    yield runs
    kept = all_lines()
    with db.engine.begin() as connection:
        unpartition_log_table(connection)
        assert not is_partitioned(connection)
    assert all_lines() == kept


def test_the_conversion_keeps_every_line_in_its_day(partitioned):
    """A partition per day with lines and per day ahead; each line in its day's."""
    today = utcnow().date()
    with db.engine.connect() as connection:
        assert is_partitioned(connection)
        days = partition_days(connection)
        assert days == [
            today + timedelta(days=offset) for offset in range(-DAYS_BACK, 3)
        ]
        per_partition = dict(
            connection.execute(
                sa.text(
                    "SELECT tableoid::regclass::text, count(*) FROM jobs_run_log "
                    "GROUP BY 1"
                )
            ).all()
        )
        per_day = {}
        for part in partitions(connection):
            per_day[part.day] = per_day.get(part.day, 0) + per_partition.get(
                part.name, 0
            )
        hourly = {part.day for part in partitions(connection) if part.hourly}
    assert DEFAULT_PARTITION not in per_partition
    assert sorted(per_day.values()) == [0, 0] + [6] * (DAYS_BACK + 1)
    assert hourly == {today, today + timedelta(days=1)}


def test_writing_tailing_and_searching_across_partitions(app, partitioned):
    """COPY writes into today's partition; a run's log and a search read all days."""
    (run_id, job_id), _ = partitioned
    with capture_run_logs(db.engine, run_id, app.config):
        logging.getLogger("tests.partitions").info("written today doi:10.99/new")
    tail = current_jobs_logs_service.tail(
        system_identity, str(job_id), str(run_id), {"size": 1000}
    )
    messages = [hit["message"] for hit in tail["hits"]]
    assert len(messages) == 3 * (DAYS_BACK + 1) + 1
    assert messages[0].startswith(f"day -{DAYS_BACK} ")
    assert messages[-1] == "written today doi:10.99/new"
    found = current_jobs_logs_service.search(
        system_identity, {"q": '"doi:10.99/" AND line', "size": 100}
    ).to_dict()["hits"]
    assert found["total"] == 2 * 3 * (DAYS_BACK + 1)
    days = [hit["message"].split(" line")[0] for hit in found["hits"]]
    assert days == sorted(days)  # newest first: day -0 before day -5


def test_a_line_without_its_day_goes_to_the_default_partition_then_moves(
    partitioned,
):
    """No line is refused; making its day's partition moves it there."""
    (run_id, _), _ = partitioned
    later = utcnow() + timedelta(days=10)
    db.session.add(
        RunLog(run_id=run_id, timestamp=later, level="INFO", message="from the future")
    )
    db.session.commit()
    db.session.remove()
    with db.engine.begin() as connection:
        where = connection.scalar(
            sa.text(
                "SELECT tableoid::regclass::text FROM jobs_run_log "
                "WHERE message = 'from the future'"
            )
        )
        assert where == DEFAULT_PARTITION
        made = create_partitions_ahead(connection, utcnow().date(), 10)
        assert later.date() in made
        assert len(made) == 8  # days 3 to 10 after today
        where = connection.scalar(
            sa.text(
                "SELECT tableoid::regclass::text FROM jobs_run_log "
                "WHERE message = 'from the future'"
            )
        )
        assert where == f"jobs_run_log_p{later:%Y%m%d}"
        assert create_partitions_ahead(connection, utcnow().date(), 10) == []


def test_retention_drops_exactly_the_expired_days(app, partitioned):
    """Days that ended before the cutoff go whole; the cutoff's day stays whole."""
    before = all_lines()
    last_kept = (utcnow() - timedelta(days=3)).date()
    delete_old_logs(3)
    expected = [line for line in before if line[2] >= last_kept]
    assert all_lines() == expected
    assert len({line[2] for line in before}) > len({line[2] for line in expected})
    with db.engine.connect() as connection:
        assert partition_days(connection)[0] == last_kept


def test_retention_deletes_rows_of_the_one_table(app, runs):
    """Without partitions (a table made from the models), old lines are deleted."""
    before = all_lines()
    cutoff = utcnow() - timedelta(days=3)
    deleted = delete_old_logs(3)
    after = all_lines()
    assert deleted == len(before) - len(after) > 0
    db.session.remove()
    oldest = db.session.scalar(sa.select(sa.func.min(RunLog.timestamp)))
    db.session.remove()
    assert oldest >= cutoff


def test_a_search_pages_newest_first_over_the_days_without_skipping(partitioned):
    """A day at a time, and a line written late into an older day is not skipped."""
    (run_id, _), _ = partitioned
    yesterday = utcnow() - timedelta(days=1)
    db.session.add(
        RunLog(run_id=run_id, timestamp=yesterday, level="INFO", message="late line")
    )
    db.session.commit()
    db.session.remove()
    expected = [line[0] for line in reversed(all_lines())]
    collected, after = [], None
    while True:
        params = {"q": "*", "size": 5}
        if after is not None:
            params["search_after"] = after
        page = current_jobs_logs_service.search(system_identity, params).to_dict()
        db.session.remove()
        collected.extend(hit["id"] for hit in page["hits"]["hits"])
        if "next" not in page["links"]:
            break
        after = page["hits"]["sort"][0]
    assert collected == expected
    first = current_jobs_logs_service.search(
        system_identity, {"q": "*", "size": 1}
    ).to_dict()
    assert first["hits"]["hits"][0]["message"] == "late line"


def test_a_search_that_fits_one_answer_reads_its_lines_by_their_keys(partitioned):
    """Hits that fit one answer: counted once over the days, then read by id.

    The count brings the hits' ids and times, so the message condition
    (unindexed today) is not evaluated a second time; ``search_after``
    pages through the same hits, newest first.
    """
    expected = [line[0] for line in reversed(all_lines()) if " line 1 " in line[3]]
    assert len(expected) == 2 * (DAYS_BACK + 1)
    with count_queries(db.engine) as statements:
        page = current_jobs_logs_service.search(
            system_identity, {"q": '"line 1"', "size": 50}
        ).to_dict()["hits"]
    db.session.remove()
    assert page["total"] == len(expected)
    assert [hit["id"] for hit in page["hits"]] == expected
    reads = [s for s in statements if "FROM jobs_run_log" in s and "count(" not in s]
    assert reads and not [s for s in reads if "ILIKE" in s.upper()], reads
    after = expected[4]
    rest = current_jobs_logs_service.search(
        system_identity, {"q": '"line 1"', "size": 50, "search_after": after}
    ).to_dict()["hits"]
    assert [hit["id"] for hit in rest["hits"]] == expected[5:]


def test_retention_behind_a_long_transaction_waits_for_the_next_time(
    app, partitioned, monkeypatch, caplog
):
    """A lock not had in time: nothing dropped, one line, done at the next call."""
    from invenio_jobs.database import partitions

    monkeypatch.setattr(partitions, "LOCK_TIMEOUT", "200ms")
    before = all_lines()
    with db.engine.connect() as reader:
        reader.execute(sa.text("SELECT count(*) FROM jobs_run_log"))  # holds a lock
        with caplog.at_level(logging.WARNING):
            assert delete_old_logs(3) == 0
        reader.rollback()
    assert all_lines() == before
    assert "stayed locked" in caplog.text
    delete_old_logs(3)
    assert len(all_lines()) < len(before)


def trigram_indexed_days(connection) -> set:
    """The days whose partitions (one, or its hours) all have their trigram index."""
    names = set(
        connection.scalars(
            sa.text("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%trgm'")
        )
    )
    parts = partitions(connection)
    return {
        day
        for day in {part.day for part in parts}
        if all(
            message_index_name(part.name) in names for part in parts if part.day == day
        )
    }


def test_only_ended_days_have_the_trigram_index(app, partitioned):
    """Today's hours are written without it; the maintenance indexes them once ended."""
    today = utcnow().date()
    with db.engine.begin() as connection:
        indexed = trigram_indexed_days(connection)
        assert indexed == {day for day in partition_days(connection) if day < today}
        assert today not in indexed and len(indexed) == DAYS_BACK
        assert index_ended_days(connection, today) == []
        # The next day: yesterday's lines are complete and get their index.
        tomorrow = today + timedelta(days=1)
        assert index_ended_days(connection, tomorrow) == [today]
        assert today in trigram_indexed_days(connection)
    create_log_partitions(2)
    with db.engine.begin() as connection:
        assert today + timedelta(days=1) not in trigram_indexed_days(connection)
    found = current_jobs_logs_service.search(
        system_identity, {"q": '"doi:10.99/" AND line', "size": 100}
    ).to_dict()["hits"]
    assert found["total"] == 2 * 3 * (DAYS_BACK + 1)


def test_a_search_reads_an_hour_of_today_or_a_day_at_a_time(partitioned):
    """Spans newest first: each of today's hours until now, then each day."""
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    today = midnight(hour.date())
    windows = LogsService._windows()
    db.session.remove()
    if utcnow() >= hour + HOUR:
        pytest.skip("an hour began while the spans were read")
    hours = int((hour - today) / HOUR) + 1
    assert windows[0] == (hour + HOUR, None)
    assert windows[1 : 1 + hours] == [
        (hour - HOUR * back, hour - HOUR * (back - 1)) for back in range(hours)
    ]
    days = windows[1 + hours : -1]
    assert days == [
        (today - timedelta(days=back), today - timedelta(days=back - 1))
        for back in range(1, DAYS_BACK + 1)
    ]
    assert windows[-1] == (None, today - timedelta(days=DAYS_BACK))
