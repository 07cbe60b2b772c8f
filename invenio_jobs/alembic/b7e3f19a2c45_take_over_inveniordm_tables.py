# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Turn InvenioRDM's job tables into ours, keeping every InvenioRDM column.

An instance that ran InvenioRDM's invenio-jobs is at ``1784553083``. This
revision adds what our scheduler, run life cycle and run logs need and moves
the data into it, without dropping or renaming anything of InvenioRDM's:

- jobs: each schedule gets our stored form (a crontab gains the time zone
  Celery evaluated it in; an interval keeps weeks to seconds), an anchor and
  its next fire time; NULL ``run_args`` become ``{}``; ``notifications``
  already has the shape our models read;
- runs: NULL ``args`` become ``{}``, and each run gets a trigger
  (``subtask`` when it has a parent, ``scheduled`` when nobody started it,
  else ``manual``); the counters, ``failed_subtasks`` and
  ``subtasks_closed`` keep InvenioRDM's meaning and values;
- the foreign keys gain their ON DELETE rules, ``jobs_run_log`` is created.

Jobs are few: they are converted one by one in Python. Runs may be hundreds
of thousands: new columns come with constant defaults (``trigger`` with
``scheduled``, what most runs are), which PostgreSQL (11 and later) adds
without rewriting the table, and only the runs that differ are changed, by
batched UPDATEs in primary key order (``benchmarks/migrate.py`` measures it).

On SQLite (tests and demos only: InvenioRDM runs on PostgreSQL) the tables
are copied once more so that InvenioRDM's binary UUIDs become our hex ones.

``downgrade()`` gives back InvenioRDM's schema at ``1784553083`` with the
data that fits it (NULL arguments stay ``{}``, which InvenioRDM reads
alike). Our own data that InvenioRDM has no place for goes with our columns
(run logs, misfire policies, time limits, triggers, ...). It refuses before
any change, naming the jobs, when a crontab has a time zone other than
Celery's: InvenioRDM's beat would fire it at other times.
"""

import logging
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op
from flask import current_app, has_app_context
from invenio_db.shared import UTCDateTime
from sqlalchemy.dialects import postgresql
from sqlalchemy_utils.types import UUIDType

from invenio_jobs.alembic import inveniordm_json
from invenio_jobs.errors import InvalidScheduleError
from invenio_jobs.schedules import next_fire_after, validate_schedule

# revision identifiers, used by Alembic.
revision = "b7e3f19a2c45"
down_revision = "1784553083"
branch_labels = ()
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

JSON = sa.JSON().with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
"""Our JSON type, as in ``invenio_jobs.models``."""

RDM_JSON = inveniordm_json()
"""InvenioRDM's JSON type."""

MICROSECOND = timedelta(microseconds=1)

BATCH_SIZE = 5000
"""Runs changed per UPDATE: short locks, few round trips."""

JOB_COLUMNS = (
    ("next_run_at", UTCDateTime(), None),
    ("schedule_anchor", UTCDateTime(), None),
    ("misfire_policy", sa.String(length=16), "'coalesce'"),
    ("allow_overlap", sa.Boolean(), "false"),
    ("overlap_skips", sa.Integer(), "0"),
    ("timeout", sa.Integer(), None),
    ("max_retries", sa.Integer(), "0"),
)
"""Our columns of ``jobs_job``: name, type, and the default that fills them.

A column with a default is NOT NULL; the default only fills the existing
rows and is dropped afterwards, as our models set these values themselves.
"""

RUN_COLUMNS = (
    ("scheduled_at", UTCDateTime(), None),
    ("trigger", sa.String(length=16), "'scheduled'"),
    ("attempt", sa.Integer(), "1"),
    ("worker", sa.String(length=255), None),
    ("dispatched_at", UTCDateTime(), None),
    ("heartbeat_at", UTCDateTime(), None),
    ("stop_requested_at", UTCDateTime(), None),
    ("task_finished_at", UTCDateTime(), None),
)
"""Our columns of ``jobs_run``, as :data:`JOB_COLUMNS`."""

UUID_COLUMNS = {
    "jobs_job": ("id",),
    "jobs_run": ("id", "job_id", "parent_run_id", "task_id"),
}
"""InvenioRDM's UUID columns: binary on SQLite, hex text in ours."""

JSON_COLUMNS = {
    "jobs_job": ("schedule", "run_args", "notifications"),
    "jobs_run": ("args",),
}
"""InvenioRDM's JSON columns: TEXT on SQLite, JSON in ours."""

jobs = sa.table(
    "jobs_job",
    # The id is read and written back as the driver gives it.
    sa.column("id"),
    sa.column("title", sa.String()),
    sa.column("active", sa.Boolean()),
    sa.column("task", sa.String()),
    sa.column("schedule", JSON),
    sa.column("run_args", JSON),
    sa.column("next_run_at", UTCDateTime()),
    sa.column("schedule_anchor", UTCDateTime()),
)

runs = sa.table(
    "jobs_run",
    sa.column("id"),
    sa.column("job_id"),
    sa.column("parent_run_id"),
    sa.column("started_by_id", sa.Integer()),
    sa.column("created", UTCDateTime()),
    sa.column("args", JSON),
    sa.column("trigger", sa.String()),
    sa.column("total_entries", sa.Integer()),
)


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _uuid_text(value) -> str:
    """A UUID as read by the driver (binary, hex or native), in its usual form."""
    if isinstance(value, bytes) and len(value) == 16:
        return str(uuid.UUID(bytes=value))
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)


def _celery_timezone() -> str:
    """The time zone InvenioRDM's beat evaluated crontabs in (Celery's)."""
    if has_app_context():
        return current_app.config.get("CELERY_TIMEZONE") or "UTC"
    return "UTC"


#
# Schedules, both ways
#
def _interval_from_rdm(schedule: dict) -> dict:
    """Our interval from InvenioRDM's ``timedelta`` keyword arguments.

    Milliseconds and microseconds go into the seconds; an interval with a
    negative part is written as its total in days and seconds.
    """
    parts = {key: value for key, value in schedule.items() if key != "type"}
    total = timedelta(**parts)
    ours = {"type": "interval"}
    if all(value >= 0 for value in parts.values()):
        for unit in ("weeks", "days", "hours", "minutes"):
            if parts.get(unit):
                ours[unit] = parts[unit]
        seconds = (
            parts.get("seconds", 0)
            + parts.get("milliseconds", 0) / 1000
            + parts.get("microseconds", 0) / 1_000_000
        )
    else:
        if total.days:
            ours["days"] = total.days
        seconds = total.seconds + total.microseconds / 1_000_000
    if seconds:
        ours["seconds"] = int(seconds) if float(seconds).is_integer() else seconds
    return ours


def schedule_from_rdm(schedule, celery_timezone: str) -> dict | None:
    """Our stored schedule for InvenioRDM's one; None when it has none.

    Raises ValueError (InvalidScheduleError or TypeError included) when the
    schedule cannot be converted.
    """
    if not schedule:
        return None
    if not isinstance(schedule, dict):
        raise ValueError(f"not an object: {schedule!r}")
    kind = schedule.get("type")
    if kind == "crontab":
        ours = {key: value for key, value in schedule.items() if key != "timezone"}
        ours["timezone"] = schedule.get("timezone") or celery_timezone
    elif kind == "interval":
        ours = _interval_from_rdm(schedule)
    else:
        raise ValueError(f"unknown schedule type {kind!r}")
    normalised = validate_schedule(ours, celery_timezone)
    # A compiled schedule keeps the dict to store in ``data``.
    return dict(getattr(normalised, "data", normalised))


def schedule_to_rdm(schedule, celery_timezone: str):
    """Our schedule in InvenioRDM's stored form; ValueError if it cannot be."""
    if not schedule or schedule.get("type") not in ("crontab", "interval"):
        return schedule
    if schedule["type"] == "crontab":
        zone = schedule.get("timezone", celery_timezone)
        if zone != celery_timezone:
            raise ValueError(f"its crontab runs in {zone}")
        return {key: value for key, value in schedule.items() if key != "timezone"}
    # InvenioRDM's form has whole numbers only: each unit keeps its whole
    # part, the fractions go into milliseconds (or microseconds).
    rdm, fraction = {"type": "interval"}, 0
    for unit, value in schedule.items():
        if unit == "type":
            continue
        whole = int(value)
        if whole:
            rdm[unit] = whole
        fraction += round((value - whole) * (timedelta(**{unit: 1}) / MICROSECOND))
    if fraction % 1000 == 0 and fraction:
        rdm["milliseconds"] = fraction // 1000
    elif fraction:
        rdm["microseconds"] = fraction
    return rdm


#
# Checks
#
def _refuse_rows_we_cannot_keep(bind):
    """Stop before changing anything if rows break our NOT NULL columns."""
    problems = []
    for table, column, what in (
        (
            jobs,
            jobs.c.task,
            "job(s) have no task (job type): give them one or delete them "
            "(SELECT id, title FROM jobs_job WHERE task IS NULL)",
        ),
        (
            runs,
            runs.c.job_id,
            "run(s) belong to no job: delete them "
            "(DELETE FROM jobs_run WHERE job_id IS NULL)",
        ),
    ):
        count = bind.scalar(
            sa.select(sa.func.count()).select_from(table).where(column.is_(None))
        )
        if count:
            problems.append(f"{count} {what}")
    if problems:
        raise RuntimeError(
            "invenio_jobs b7e3f19a2c45 cannot upgrade: " + "; ".join(problems) + "."
        )


#
# Upgrade
#
def _add_columns(table: str, columns):
    for name, type_, default in columns:
        op.add_column(
            table,
            sa.Column(
                name,
                type_,
                nullable=default is None,
                server_default=None if default is None else sa.text(default),
            ),
        )


def _move_jobs(bind):
    """Convert each job's schedule, notifications and arguments."""
    celery_timezone = _celery_timezone()
    now = datetime.now(timezone.utc)
    last_run = dict(
        bind.execute(
            sa.select(runs.c.job_id, sa.func.max(runs.c.created)).group_by(
                runs.c.job_id
            )
        ).all()
    )
    rows = bind.execute(
        sa.select(
            jobs.c.id,
            jobs.c.active,
            jobs.c.schedule,
            jobs.c.run_args,
        )
    ).all()
    for job_id, active, schedule, run_args in rows:
        values = {"run_args": run_args if run_args is not None else {}}
        try:
            ours = schedule_from_rdm(schedule, celery_timezone)
        except (ValueError, TypeError, InvalidScheduleError) as error:
            # Kept as it was, and not scheduled: an administrator fixes it.
            logger.warning(
                "invenio_jobs: job %s keeps its schedule %r but is not "
                "scheduled: it cannot be converted (%s).",
                _uuid_text(job_id),
                schedule,
                error,
            )
        else:
            values["schedule"] = ours
            if ours is not None:
                # InvenioRDM's beat counted from the job's latest run (from
                # its own start when there was none): so do we.
                anchor = min(last_run.get(job_id) or now, now)
                values["schedule_anchor"] = anchor
                if active:
                    values["next_run_at"] = next_fire_after(
                        ours, anchor, anchor=anchor, default_timezone=celery_timezone
                    )
        bind.execute(jobs.update().where(jobs.c.id == job_id).values(**values))


def _run_batches(bind, condition):
    """Yield (after, upto) primary key bounds of batches of matching runs."""
    after = None
    while True:
        query = sa.select(runs.c.id).where(condition).order_by(runs.c.id)
        if after is not None:
            query = query.where(runs.c.id > after)
        upto = bind.scalar(query.offset(BATCH_SIZE - 1).limit(1))
        yield after, upto
        if upto is None:
            return
        after = upto


def _update_runs(bind, condition, values):
    """Apply ``values`` to the runs matching ``condition``, batch by batch."""
    for after, upto in _run_batches(bind, condition):
        statement = runs.update().where(condition).values(**values)
        if after is not None:
            statement = statement.where(runs.c.id > after)
        if upto is not None:
            statement = statement.where(runs.c.id <= upto)
        bind.execute(statement)


def _move_runs(bind):
    """Give runs their trigger and non-NULL arguments.

    The ``trigger`` column came with ``scheduled``, what most runs of an
    instance are (its beat started them): only subtasks, runs someone
    started and runs without arguments are written.
    """
    trigger = sa.case(
        (runs.c.parent_run_id.is_not(None), "subtask"),
        (runs.c.started_by_id.is_(None), "scheduled"),
        else_="manual",
    )
    _update_runs(
        bind,
        sa.or_(
            runs.c.args.is_(None),
            runs.c.parent_run_id.is_not(None),
            runs.c.started_by_id.is_not(None),
        ),
        {
            "args": sa.func.coalesce(runs.c.args, sa.text("'{}'")),
            "trigger": trigger,
        },
    )


def _hex_uuids_on_sqlite(bind, table: str):
    """After the copy, write InvenioRDM's 16-byte UUIDs as our hex text."""
    for column in UUID_COLUMNS[table]:
        bind.execute(
            sa.text(
                f"UPDATE {table} SET {column} = lower(hex({column})) "
                f"WHERE {column} IS NOT NULL AND length(hex({column})) = 32"
            )
        )


def _finish_jobs(bind, sqlite: bool):
    with op.batch_alter_table(
        "jobs_job", recreate="always" if sqlite else "auto"
    ) as batch:
        batch.alter_column("task", existing_type=sa.String(255), nullable=False)
        batch.alter_column("run_args", existing_type=RDM_JSON, nullable=False)
        for name, type_, default in JOB_COLUMNS:
            if default is not None:
                batch.alter_column(name, existing_type=type_, server_default=None)
        if sqlite:
            batch.alter_column("id", existing_type=UUIDType(), type_=sa.Uuid())
            for name in JSON_COLUMNS["jobs_job"]:
                batch.alter_column(name, existing_type=RDM_JSON, type_=JSON)
    if sqlite:
        _hex_uuids_on_sqlite(bind, "jobs_job")
    op.create_index("ix_jobs_job_next_run_at", "jobs_job", ["next_run_at"])
    op.create_index(
        "ix_jobs_job_title_lower", "jobs_job", [sa.text("lower(title)"), "id"]
    )


def _run_foreign_keys(bind) -> list[str]:
    """Names of the three foreign keys of ``jobs_run``, as the database has them.

    The user's one is ``fk_run_started_by_id_accounts_user`` or, when
    invenio-db's naming convention revision ran after the jobs tables were
    made (it renames constraints to the models' names), its ``jobs_run`` twin.
    """
    wanted = {("job_id",), ("parent_run_id",), ("started_by_id",)}
    return [
        fk["name"]
        for fk in sa.inspect(bind).get_foreign_keys("jobs_run")
        if tuple(fk["constrained_columns"]) in wanted and fk["name"]
    ]


STARTED_BY_KEY = "fk_jobs_run_started_by_id_accounts_user"


def _started_by_key(bind) -> str:
    """The name of the started-by foreign key of ``jobs_run`` in this database.

    Kept through the upgrade and the downgrade, so that InvenioRDM gets its
    constraint back under the name it had: ``fk_run_...`` where its own
    revisions made the table, ``fk_jobs_run_...`` where the naming convention
    or ``invenio db create`` named it.
    """
    for fk in sa.inspect(bind).get_foreign_keys("jobs_run"):
        if fk["constrained_columns"] == ["started_by_id"] and fk["name"]:
            return fk["name"]
    return STARTED_BY_KEY


def _finish_runs(bind, sqlite: bool):
    foreign_keys = _run_foreign_keys(bind)
    started_by_key = _started_by_key(bind)
    with op.batch_alter_table(
        "jobs_run", recreate="always" if sqlite else "auto"
    ) as batch:
        batch.alter_column("job_id", existing_type=UUIDType(), nullable=False)
        batch.alter_column("args", existing_type=RDM_JSON, nullable=False)
        # NULL is "not known yet" for us; InvenioRDM wrote 0.
        batch.alter_column(
            "total_entries",
            existing_type=sa.Integer(),
            nullable=True,
            server_default=None,
        )
        for name, type_, default in RUN_COLUMNS:
            if default is not None:
                batch.alter_column(name, existing_type=type_, server_default=None)
        for name in foreign_keys:
            batch.drop_constraint(name, type_="foreignkey")
        if sqlite:
            for name in UUID_COLUMNS["jobs_run"]:
                batch.alter_column(name, existing_type=UUIDType(), type_=sa.Uuid())
            for name in JSON_COLUMNS["jobs_run"]:
                batch.alter_column(name, existing_type=RDM_JSON, type_=JSON)
        batch.create_foreign_key(
            "fk_jobs_run_job_id_jobs_job",
            "jobs_job",
            ["job_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            "fk_jobs_run_parent_run_id_jobs_run",
            "jobs_run",
            ["parent_run_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            started_by_key,
            "accounts_user",
            ["started_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_unique_constraint("uq_jobs_run_job_id", ["job_id", "scheduled_at"])
    if sqlite:
        _hex_uuids_on_sqlite(bind, "jobs_run")
    op.create_index("ix_jobs_run_status_created", "jobs_run", ["status", "created"])


def _create_run_log():
    op.create_table(
        "jobs_run_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("timestamp", UTCDateTime(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("logger", sa.String(length=255), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("context", JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["jobs_run.id"],
            name="fk_jobs_run_log_run_id_jobs_run",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_jobs_run_log"),
    )
    op.create_index(
        "ix_jobs_run_log_run_id_id", "jobs_run_log", ["run_id", "id"], unique=False
    )


def upgrade():
    """Upgrade database."""
    bind = op.get_bind()
    sqlite = _is_sqlite()
    _refuse_rows_we_cannot_keep(bind)
    _add_columns("jobs_job", JOB_COLUMNS)
    _move_jobs(bind)
    _add_columns("jobs_run", RUN_COLUMNS)
    _move_runs(bind)
    _finish_jobs(bind, sqlite)
    _finish_runs(bind, sqlite)
    _create_run_log()


#
# Downgrade
#
def _schedules_back(bind):
    """Write schedules in InvenioRDM's shape, or refuse before any change."""
    celery_timezone = _celery_timezone()
    rows = bind.execute(sa.select(jobs.c.id, jobs.c.title, jobs.c.schedule)).all()
    changes, problems = [], []
    for job_id, title, schedule in rows:
        try:
            rdm = schedule_to_rdm(schedule, celery_timezone)
        except (ValueError, TypeError) as error:
            problems.append(f"job {_uuid_text(job_id)} {title!r}: {error}")
            continue
        if rdm != schedule:
            changes.append((job_id, rdm))
    if problems:
        raise RuntimeError(
            "invenio_jobs b7e3f19a2c45 cannot downgrade, nothing was changed: "
            "InvenioRDM evaluates every crontab in Celery's time zone "
            f"({celery_timezone}), so the time zone of these schedules would "
            "be lost and they would fire at other times: "
            + "; ".join(problems)
            + f". Set their time zone to {celery_timezone} or remove their "
            "schedule, then downgrade again."
        )
    for job_id, rdm in changes:
        bind.execute(jobs.update().where(jobs.c.id == job_id).values(schedule=rdm))


def _binary_uuids_on_sqlite(bind, table: str):
    """Give InvenioRDM back its 16-byte UUIDs (SQLite has no unhex here)."""
    for column in UUID_COLUMNS[table]:
        pairs = bind.execute(
            sa.text(
                f"SELECT DISTINCT {column} FROM {table} "
                f"WHERE {column} IS NOT NULL AND typeof({column}) = 'text'"
            )
        ).scalars()
        for value in list(pairs):
            bind.execute(
                sa.text(f"UPDATE {table} SET {column} = :raw WHERE {column} = :hex"),
                {"raw": bytes.fromhex(value.replace("-", "")), "hex": value},
            )


def downgrade():
    """Downgrade database to InvenioRDM's ``1784553083``."""
    bind = op.get_bind()
    sqlite = _is_sqlite()
    _schedules_back(bind)
    # InvenioRDM counts 0 entries where we say "not known yet".
    _update_runs(bind, runs.c.total_entries.is_(None), {"total_entries": 0})
    op.drop_index("ix_jobs_run_log_run_id_id", table_name="jobs_run_log")
    op.drop_table("jobs_run_log")
    op.drop_index("ix_jobs_run_status_created", table_name="jobs_run")
    started_by_key = _started_by_key(bind)
    with op.batch_alter_table("jobs_run") as batch:
        batch.drop_constraint("uq_jobs_run_job_id", type_="unique")
        for name in (
            "fk_jobs_run_job_id_jobs_job",
            "fk_jobs_run_parent_run_id_jobs_run",
            started_by_key,
        ):
            batch.drop_constraint(name, type_="foreignkey")
        batch.create_foreign_key(
            "fk_jobs_run_job_id_jobs_job", "jobs_job", ["job_id"], ["id"]
        )
        batch.create_foreign_key(
            "fk_jobs_run_parent_run_id_jobs_run", "jobs_run", ["parent_run_id"], ["id"]
        )
        batch.create_foreign_key(
            started_by_key,
            "accounts_user",
            ["started_by_id"],
            ["id"],
        )
        batch.alter_column("job_id", existing_type=sa.Uuid(), nullable=True)
        batch.alter_column("args", existing_type=JSON, nullable=True)
        batch.alter_column(
            "total_entries",
            existing_type=sa.Integer(),
            nullable=False,
            server_default=sa.text("0"),
        )
        for name, _type, _default in RUN_COLUMNS:
            batch.drop_column(name)
    op.drop_index("ix_jobs_job_title_lower", table_name="jobs_job")
    op.drop_index("ix_jobs_job_next_run_at", table_name="jobs_job")
    with op.batch_alter_table("jobs_job") as batch:
        batch.alter_column("task", existing_type=sa.String(255), nullable=True)
        batch.alter_column("run_args", existing_type=JSON, nullable=True)
        for name, _type, _default in JOB_COLUMNS:
            batch.drop_column(name)
    if sqlite:
        # The columns keep our declared types (SQLite would mangle binary
        # values cast back to BINARY); the values are InvenioRDM's again.
        _binary_uuids_on_sqlite(bind, "jobs_job")
        _binary_uuids_on_sqlite(bind, "jobs_run")
