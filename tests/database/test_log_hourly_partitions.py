# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Run logs in hourly partitions for the day being written, joined by day once ended.

The layout is made for a day two days back (``DAY``) as if it were the
current one, so that every test knows which hours have ended: ``DAY`` and
the next day are hourly, the day before it and the days after are day
partitions. The module's tables are made from the models (one log table);
each test converts it as the migration does and gives the one table back
at the end, checking that no line was lost either way.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from helpers import make_job, make_run
from invenio_access.permissions import system_identity
from invenio_db import db

from invenio_jobs.database.consolidation import (
    CONSOLIDATION_KEY,
    consolidate_ended_days,
    prepare_day_table,
)
from invenio_jobs.database.partitions import (
    HOUR,
    create_partitions_ahead,
    drop_partitions_before,
    hour_partition_name,
    index_ended_partitions,
    message_index_name,
    midnight,
    next_table_name,
    partition_log_table,
    partition_name,
    partitions,
    unpartition_log_table,
)
from invenio_jobs.models import RunLog, utcnow
from invenio_jobs.proxies import current_jobs_logs_service
from invenio_jobs.tasks import keep_log_partitions

pytestmark = [pytest.mark.postgresql, pytest.mark.usefixtures("empty_tables")]

TODAY = utcnow().date()
DAY = TODAY - timedelta(days=2)
"""The day the layout is made for as if it were the current one."""

HOURS = (0, 5, 7, 23)
"""Hours of ``DAY`` that have lines."""


def all_lines():
    """Every stored line as (id, run, timestamp, message), by id."""
    db.session.remove()
    lines = [
        (line.id, line.run_id, line.timestamp, line.message)
        for line in db.session.scalars(sa.select(RunLog).order_by(RunLog.id))
    ]
    db.session.remove()  # no transaction left open to block the next DDL
    return lines


def add_line(run_id, when, message):
    """Write one line through a connection of its own, committed at once."""
    with db.engine.begin() as connection:
        return connection.execute(
            sa.insert(RunLog)
            .values(run_id=run_id, timestamp=when, level="INFO", message=message)
            .returning(RunLog.id)
        ).scalar_one()


def lines_per_partition(connection) -> dict:
    """Each partition's (and the default one's) number of lines."""
    return dict(
        connection.execute(
            sa.text(
                "SELECT tableoid::regclass::text, count(*) FROM jobs_run_log "
                "GROUP BY 1"
            )
        ).all()
    )


def trigram_indexed(connection) -> set:
    """The names of the partitions that have their trigram index."""
    names = set(
        connection.scalars(
            sa.text("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%trgm'")
        )
    )
    return {
        part.name
        for part in partitions(connection)
        if message_index_name(part.name) in names
    }


@pytest.fixture()
def layout(app, database):
    """Lines on the day before ``DAY``, on some of ``DAY``'s hours, and today.

    Converted with ``DAY`` as the current day at 05:30: the hours ended by
    then have their trigram index. Yields the runs' ids; gives the one
    table back at the end, with every line.
    """
    job = make_job(db.session, title="Hourly")
    first, second = make_run(db.session, job), make_run(db.session, job)
    moments = [midnight(DAY) - timedelta(hours=3)]
    moments += [midnight(DAY) + HOUR * hour + timedelta(minutes=10) for hour in HOURS]
    moments.append(utcnow() - timedelta(minutes=1))
    for when in moments:
        for run in (first, second):
            db.session.add(
                RunLog(
                    run_id=run.id,
                    timestamp=when,
                    level="INFO",
                    logger="tests",
                    message=f"at {when:%d %H:%M} quasar",
                )
            )
    db.session.commit()
    ids = (first.id, second.id)
    db.session.remove()
    before = all_lines()
    with db.engine.begin() as connection:
        partition_log_table(
            connection, DAY, 3, now=midnight(DAY) + timedelta(hours=5, minutes=30)
        )
    assert all_lines() == before
    yield ids
    kept = all_lines()
    with db.engine.begin() as connection:
        unpartition_log_table(connection)
    assert all_lines() == kept


def test_the_current_day_and_the_next_are_made_of_hours(layout):
    """Hourly partitions for the current day and the next, day partitions around."""
    with db.engine.begin() as connection:
        parts = partitions(connection)
        hourly = [part for part in parts if part.hourly]
        assert {part.day for part in hourly} == {DAY, DAY + timedelta(days=1)}
        assert len(hourly) == 48
        assert hour_partition_name(midnight(DAY) + 8 * HOUR) == (
            f"jobs_run_log_p{DAY:%Y%m%d}h08"
        )
        daily = {part.day for part in parts if not part.hourly}
        assert daily == {DAY - timedelta(days=1)} | {
            DAY + timedelta(days=offset) for offset in (2, 3)
        }
        counts = lines_per_partition(connection)
        assert "jobs_run_log_default" not in counts
        for hour in HOURS:
            assert counts[hour_partition_name(midnight(DAY) + hour * HOUR)] == 2

        # A day later: the next day's day partition becomes hours (its
        # lines moved into them); one more day ahead is a day partition.
        made = create_partitions_ahead(connection, DAY + timedelta(days=1), 3)
        assert made == [DAY + timedelta(days=2), DAY + timedelta(days=4)]
        split = [
            part
            for part in partitions(connection)
            if part.day == DAY + timedelta(days=2)
        ]
        assert len(split) == 24 and all(part.hourly for part in split)
        assert create_partitions_ahead(connection, DAY + timedelta(days=1), 3) == []


def test_a_day_written_before_the_hours_stays_whole_and_a_day_ahead_moves_its_line(
    layout,
):
    """The day written as one partition stays one; an early line goes to its hour."""
    early = midnight(TODAY + timedelta(days=1)) + timedelta(hours=4, minutes=2)
    add_line(layout[0], early, "written ahead of its day")
    with db.engine.begin() as connection:
        before = partition_name(DAY - timedelta(days=1))
        assert create_partitions_ahead(connection, DAY - timedelta(days=1), 0) == []
        assert before in {part.name for part in partitions(connection)}
        made = create_partitions_ahead(connection, TODAY, 1)
        assert TODAY + timedelta(days=1) in made
        where = connection.scalar(
            sa.text(
                "SELECT tableoid::regclass::text FROM jobs_run_log "
                "WHERE message = 'written ahead of its day'"
            )
        )
        assert where == hour_partition_name(early.replace(minute=0))
        # Today's day partition already holds a line: it stays whole.
        assert partition_name(TODAY) in {part.name for part in partitions(connection)}


def test_ended_hours_get_their_trigram_index_the_current_one_not(app, layout):
    """Indexed by the maintenance once ended; the hour being written is not."""
    at_0610 = midnight(DAY) + timedelta(hours=6, minutes=10)
    with db.engine.begin() as connection:
        indexed = trigram_indexed(connection)
        hours = {hour_partition_name(midnight(DAY) + h * HOUR) for h in range(24)}
        assert indexed & hours == {
            hour_partition_name(midnight(DAY) + h * HOUR) for h in range(5)
        }
        assert partition_name(DAY - timedelta(days=1)) in indexed
        made = index_ended_partitions(connection, at_0610)
        assert [part.name for part in made] == [
            hour_partition_name(midnight(DAY) + 5 * HOUR)
        ]
        assert hour_partition_name(midnight(DAY) + 6 * HOUR) not in trigram_indexed(
            connection
        )
        assert index_ended_partitions(connection, at_0610) == []
    # The hourly maintenance task, now: every ended range indexed (the ended
    # days joined, with theirs), the current hour not.
    keep_log_partitions()
    now = utcnow()
    with db.engine.begin() as connection:
        indexed = trigram_indexed(connection)
        for part in partitions(connection):
            assert (part.name in indexed) == (part.end <= now), part
        current = [part for part in partitions(connection) if part.start <= now]
        assert current[-1].end > now and current[-1].name not in indexed


def test_an_ended_day_is_joined_into_one_partition_keeping_every_line_once(layout):
    """A line written and one deleted between the copy and the swap count too."""
    before = all_lines()
    late_when = midnight(DAY) + timedelta(hours=7, minutes=59)
    deleted_id = before[2][0]  # a line of ``DAY``'s 00:10
    written = []

    def between_copy_and_swap(day):
        if day != DAY:
            return
        written.append(add_line(layout[1], late_when, "late from a buffer"))
        with db.engine.begin() as connection:
            connection.execute(sa.delete(RunLog).where(RunLog.id == deleted_id))

    joined = consolidate_ended_days(db.engine, TODAY, between_copy_and_swap)
    assert joined == [DAY, DAY + timedelta(days=1)]
    expected = [line for line in before if line[0] != deleted_id]
    expected.append((written[0], layout[1], late_when, "late from a buffer"))
    assert all_lines() == sorted(expected)
    with db.engine.begin() as connection:
        parts = [part for part in partitions(connection) if part.day == DAY]
        assert [(part.name, part.hourly) for part in parts] == [
            (partition_name(DAY), False)
        ]
        counts = lines_per_partition(connection)
        assert counts[partition_name(DAY)] == 2 * len(HOURS)
        assert "jobs_run_log_default" not in counts
        indexes = set(
            connection.scalars(
                sa.text("SELECT indexname FROM pg_indexes WHERE tablename = :name"),
                {"name": partition_name(DAY)},
            )
        )
        assert message_index_name(DAY) in indexes and len(indexes) == 3
        assert partition_name(DAY) in trigram_indexed(connection)
        # Its indexes are the partitioned table's: a run's lines read by them.
        attached = connection.scalar(
            sa.text(
                "SELECT count(*) FROM pg_inherits WHERE inhrelid IN "
                "(SELECT indexrelid FROM pg_index "
                "WHERE indrelid = to_regclass(:name))"
            ),
            {"name": partition_name(DAY)},
        )
        assert attached == 2  # the primary key and the run index
    # Again: nothing left to join, nothing changed.
    assert consolidate_ended_days(db.engine, TODAY) == []
    assert all_lines() == sorted(expected)


def test_a_consolidation_stopped_midway_is_done_again(layout):
    """A half-made day table is dropped and made again; a line written since is kept."""
    before = all_lines()
    with db.engine.connect() as connection:
        prepare_day_table(connection, DAY)
        # Stopped while copying: the table holds only some of the lines.
        connection.execute(
            sa.text(f"DELETE FROM {next_table_name(DAY)} WHERE id % 2 = 0")
        )
        connection.commit()
    late = add_line(layout[0], midnight(DAY) + 23 * HOUR, "after the stop")
    assert consolidate_ended_days(db.engine, TODAY) == [DAY, DAY + timedelta(days=1)]
    after = all_lines()
    assert sorted(line[0] for line in after) == sorted(
        [line[0] for line in before] + [late]
    )
    with db.engine.begin() as connection:
        assert lines_per_partition(connection)[partition_name(DAY)] == (
            2 * len(HOURS) + 1
        )
        assert not connection.scalar(
            sa.text("SELECT to_regclass(:name)"), {"name": next_table_name(DAY)}
        )


def test_a_second_process_leaves_the_consolidation_to_the_first(layout):
    """While another process holds the consolidation's lock, nothing is done."""
    with db.engine.connect() as other:
        other.execute(
            sa.text("SELECT pg_advisory_lock(:key)"), {"key": CONSOLIDATION_KEY}
        )
        other.commit()
        assert consolidate_ended_days(db.engine, TODAY) == []
        other.execute(
            sa.text("SELECT pg_advisory_unlock(:key)"), {"key": CONSOLIDATION_KEY}
        )
        other.commit()
    assert consolidate_ended_days(db.engine, TODAY) == [DAY, DAY + timedelta(days=1)]


def search_all(q, size=3):
    """Every hit of ``q``, page after page with ``search_after``."""
    collected, after = [], None
    while True:
        params = {"q": q, "size": size}
        if after is not None:
            params["search_after"] = after
        page = current_jobs_logs_service.search(system_identity, params).to_dict()
        db.session.remove()
        collected.extend(hit["id"] for hit in page["hits"]["hits"])
        if "next" not in page["links"]:
            return collected
        after = page["hits"]["sort"][0]


def test_a_search_pages_newest_first_across_hours_and_days(layout):
    """Newest first over hourly and daily partitions, before and after the join."""
    expected = [
        line[0] for line in sorted(all_lines(), key=lambda l: l[0], reverse=True)
    ]
    assert search_all("quasar") == expected
    assert search_all("*", size=4) == expected
    consolidate_ended_days(db.engine, TODAY)
    assert search_all("quasar") == expected
    found = current_jobs_logs_service.search(
        system_identity, {"q": '"07:10"', "size": 50}
    ).to_dict()["hits"]
    assert found["total"] == 2


def test_retention_drops_exactly_the_expired_days_hourly_or_not(layout):
    """Whole days before the cutoff's day go, in hours or not, and a half-made one."""
    with db.engine.connect() as connection:
        prepare_day_table(connection, DAY)
        connection.commit()
    before = all_lines()
    cutoff = midnight(DAY + timedelta(days=1)) + timedelta(hours=3)
    with db.engine.begin() as connection:
        dropped = drop_partitions_before(connection, cutoff)
    assert set(dropped) == {DAY - timedelta(days=1), DAY}
    assert all_lines() == [
        line for line in before if line[2] >= midnight(DAY + timedelta(days=1))
    ]
    with db.engine.begin() as connection:
        assert min(part.day for part in partitions(connection)) == DAY + timedelta(
            days=1
        )
        assert not connection.scalar(
            sa.text("SELECT to_regclass(:name)"), {"name": next_table_name(DAY)}
        )


def test_the_one_table_comes_back_with_a_half_made_day_beside(layout):
    """The downgrade keeps every line, and drops a day table not attached."""
    with db.engine.connect() as connection:
        prepare_day_table(connection, DAY)
        connection.commit()
    before = all_lines()
    with db.engine.begin() as connection:
        unpartition_log_table(connection)
        assert not connection.scalar(
            sa.text("SELECT to_regclass(:name)"), {"name": next_table_name(DAY)}
        )
    assert all_lines() == before


def test_a_day_with_an_hour_missing_is_joined_with_its_default_lines(layout):
    """A line of a missing hour waits in the default partition, then joins its day."""
    noon = midnight(DAY) + 12 * HOUR
    with db.engine.begin() as connection:
        connection.execute(sa.text(f"DROP TABLE {hour_partition_name(noon)}"))
    stray = add_line(layout[0], noon + timedelta(minutes=30), "in a gap quasar")
    with db.engine.begin() as connection:
        assert lines_per_partition(connection)["jobs_run_log_default"] == 1
    before = all_lines()
    newest_first = sorted((line[0] for line in before), reverse=True)
    assert stray in newest_first and search_all("quasar") == newest_first
    assert DAY in consolidate_ended_days(db.engine, TODAY)
    assert all_lines() == before
    with db.engine.begin() as connection:
        counts = lines_per_partition(connection)
        assert "jobs_run_log_default" not in counts
        assert counts[partition_name(DAY)] == 2 * len(HOURS) + 1
