# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The demo's job types: real work on local data, reported through current_run.

- *Update affiliations* reads a ROR dump (schema v2 shape, shipped in
  ``data/``) and upserts it into the demo's affiliations table, logging what it
  adds, updates and rejects;
- *Check affiliations* looks for problems in the table and ends in
  ``PARTIAL_SUCCESS`` when some entries have one, as checks often do;
- *Clean up old runs* prunes the run history (``prune_runs``).

They are registered by the demo's own processes only (see ``app.py``).
"""

import json
import logging
import re
import time
from importlib.resources import files
from pathlib import Path

import sqlalchemy as sa
from celery import shared_task
from flask import current_app
from invenio_db import db
from marshmallow import fields, validate

from ..errors import TaskExecutionError, TaskExecutionPartialError
from ..jobs import JobType, PredefinedArgsSchema
from ..models import utcnow
from ..runtime import current_run
from ..tasks import prune_runs
from .models import DemoAffiliation

log = logging.getLogger("invenio_jobs.demo")

ROR_PREFIX = "https://ror.org/"
ROR_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ROR_TYPES = {
    "archive",
    "company",
    "education",
    "facility",
    "funder",
    "government",
    "healthcare",
    "nonprofit",
    "other",
}
ROR_STATUSES = {"active", "inactive", "withdrawn"}
_SHORT_ID = re.compile(r"0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}")
BATCH = 50
"""Entries written per transaction at most, when the job does not wait."""

HOLD_SECONDS = 0.2
"""Longest a demo job keeps a transaction open (SQLite's write lock)."""


class ShortTransactions:
    """Commit often, and never wait with a transaction open.

    On SQLite a transaction holds the one write lock of the database: the
    web app, beat and the run's own bookkeeping wait for it. Work is
    committed every ``BATCH`` entries or ``HOLD_SECONDS``, whichever comes
    first, and always before the job sleeps (its ``delay``).
    """

    def __init__(self, delay: float = 0.0):
        """Count from now; ``delay`` is the pause after each entry."""
        self.delay = delay
        self.pending = 0
        self.since = time.monotonic()

    def commit(self):
        """Commit what is pending and start counting again."""
        db.session.commit()
        self.pending = 0
        self.since = time.monotonic()

    def done(self):
        """One entry written: commit when due, then pause if asked to."""
        self.pending += 1
        held = time.monotonic() - self.since
        if self.delay or self.pending >= BATCH or held >= HOLD_SECONDS:
            self.commit()
        if self.delay:
            time.sleep(self.delay)


def default_dump() -> Path:
    """The ROR dump shipped with the demo."""
    return Path(str(files("invenio_jobs.demo") / "data" / "ror-affiliations.json"))


class InvalidRecord(ValueError):
    """A dump record that cannot be imported; the message says why."""


def ror_checksum_ok(short_id: str) -> bool:
    """ROR ids end with an ISO 7064 mod 97-10 checksum of their base-32 number."""
    number = 0
    for char in short_id[:7]:
        number = number * 32 + ROR_ALPHABET.index(char)
    return int(short_id[7:]) == 98 - (number * 100) % 97


def parse_record(record: dict) -> tuple[str, dict]:
    """A ROR v2 record as (short id, table values); InvalidRecord if unusable."""
    ror_id = str(record.get("id") or "")
    short = ror_id.removeprefix(ROR_PREFIX)
    if not ror_id.startswith(ROR_PREFIX) or not _SHORT_ID.fullmatch(short):
        raise InvalidRecord(f"invalid ROR id {ror_id!r}")
    if not ror_checksum_ok(short):
        raise InvalidRecord(f"wrong checksum in ROR id {ror_id!r}")
    names = record.get("names") or []
    display = [n["value"] for n in names if "ror_display" in (n.get("types") or [])]
    if not display:
        raise InvalidRecord("no name of type 'ror_display'")
    acronyms = [n["value"] for n in names if "acronym" in (n.get("types") or [])]
    status = record.get("status")
    if status not in ROR_STATUSES:
        raise InvalidRecord(f"unknown status {status!r}")
    types = record.get("types") or []
    unknown = sorted(set(types) - ROR_TYPES)
    if not types or unknown:
        raise InvalidRecord(f"unknown types {unknown or types!r}")
    locations = record.get("locations") or []
    details = (locations[0].get("geonames_details") or {}) if locations else {}
    country = details.get("country_code") or ""
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise InvalidRecord(f"invalid country code {country!r}")
    websites = [
        link["value"] for link in record.get("links") or [] if link["type"] == "website"
    ]
    return short, {
        "name": display[0][:255],
        "acronym": acronyms[0][:64] if acronyms else None,
        "types": list(types),
        "status": status,
        "country_code": country,
        "city": details.get("name") or None,
        "website": websites[0] if websites else None,
        "established": record.get("established"),
    }


@shared_task(name="invenio_jobs.demo.update_affiliations")
def update_affiliations(since=None, source=None, strict=False, delay=0.0):
    """Upsert the organisations of a ROR dump into the affiliations table.

    Records are validated first, so that the progress bar counts the work
    that is really done (new, changed and rejected records); unchanged ones
    are only counted in the summary. ``delay`` slows each write down, to
    watch the progress; ``strict`` makes rejections a partial success.
    """
    path = Path(source) if source else default_dump()
    records = json.loads(path.read_text(encoding="utf-8"))
    log.info("Read %d records from %s (dump of ROR schema v2).", len(records), path)
    if since:
        log.info("Full dump: every record is compared, whatever 'since' says.")
    valid, rejected = {}, []
    for index, record in enumerate(records, start=1):
        try:
            short, values = parse_record(record)
        except InvalidRecord as error:
            rejected.append((index, record.get("id"), str(error)))
            continue
        if short in valid:
            rejected.append((index, record.get("id"), "duplicate id in the dump"))
            continue
        valid[short] = values
    existing = {
        row.id: row
        for row in db.session.scalars(
            sa.select(DemoAffiliation).where(DemoAffiliation.id.in_(list(valid)))
        )
    }
    changes = [
        (short, values)
        for short, values in valid.items()
        if short not in existing or existing[short].values() != values
    ]
    current_run.set_total(len(changes) + len(rejected))
    transactions = ShortTransactions(delay)
    transactions.commit()  # the reads above hold no lock during the work
    for index, ror_id, reason in rejected:
        log.warning("Rejected record %d (%s): %s.", index, ror_id, reason)
        current_run.progress(errored=1)
    added = updated = 0
    for short, values in changes:
        row = existing.get(short)
        if row is None:
            db.session.add(DemoAffiliation(id=short, **values))
            log.info(
                "Added %s: %s (%s).", short, values["name"], values["country_code"]
            )
            added += 1
            current_run.progress(inserted=1)
        else:
            fields_changed = [f for f in row.FIELDS if getattr(row, f) != values[f]]
            for field in fields_changed:
                setattr(row, field, values[field])
            log.info("Updated %s: %s.", short, ", ".join(fields_changed))
            updated += 1
            current_run.progress(updated=1)
        transactions.done()
    transactions.commit()
    unchanged = len(valid) - len(changes)
    log.info(
        "Done: %d added, %d updated, %d unchanged, %d rejected.",
        added,
        updated,
        unchanged,
        len(rejected),
    )
    if strict and rejected:
        raise TaskExecutionPartialError(
            # Entries are the records that needed work, as the progress
            # bar counts them; unchanged records are not entries. The count
            # sets the errored entries: those counted live stay counted once.
            f"{len(rejected)} of {len(changes) + len(rejected)} entries rejected "
            f"({unchanged} other records of the dump were unchanged).",
            errored_entries=len(rejected),
        )


def find_problems(row: DemoAffiliation) -> list[str]:
    """What a curator would want to fix in an affiliation: a website without TLS."""
    if not row.website:
        return ["no website"]
    if not row.website.startswith("https://"):
        return [f"website is not HTTPS: {row.website}"]
    return []


@shared_task(name="invenio_jobs.demo.check_affiliations")
def check_affiliations(since=None, delay=0.0):
    """Record the problems of each affiliation; some have some, on purpose.

    Ends in PARTIAL_SUCCESS when any entry has a problem (the dump has a few
    plain-HTTP websites), FAILED when there is nothing to check yet.
    """
    ids = db.session.scalars(
        sa.select(DemoAffiliation.id).order_by(DemoAffiliation.id)
    ).all()
    if not ids:
        raise TaskExecutionError(
            "No affiliations to check yet: run 'Update affiliations' first."
        )
    current_run.set_total(len(ids))
    transactions = ShortTransactions(delay)
    transactions.commit()
    now = utcnow()
    with_problems = 0
    for short in ids:
        row = db.session.get(DemoAffiliation, short)
        row.problems = find_problems(row)
        row.checked_at = now
        if row.problems:
            with_problems += 1
            log.warning("%s (%s): %s.", row.name, short, "; ".join(row.problems))
            current_run.progress(errored=1)
        else:
            current_run.progress(updated=1)
        transactions.done()
    transactions.commit()
    log.info("Checked %d affiliations: %d with problems.", len(ids), with_problems)
    if with_problems:
        # The count is the run's errored entries in all (it sets them): the
        # entries counted live above are not counted again.
        raise TaskExecutionPartialError(
            f"{with_problems} of {len(ids)} affiliations need attention.",
            errored_entries=with_problems,
        )


@shared_task(name="invenio_jobs.demo.clean_up")
def clean_up(since=None):
    """Prune old runs and log lines, as the maintenance task does."""
    keep = current_app.config["JOBS_RUNS_RETENTION"]
    days = current_app.config["JOBS_LOGGING_RETENTION_DAYS"]
    log.info("Keeping %d finished runs per job and %d days of logs.", keep, days)
    pruned = prune_runs()
    log.info("Deleted %d runs and %d log lines.", pruned["runs"], pruned["logs"])


class UpdateAffiliationsArgs(PredefinedArgsSchema):
    """Arguments of the affiliations update."""

    source = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "Path of a ROR dump (JSON); empty: the demo's."},
    )
    strict = fields.Boolean(
        load_default=False,
        metadata={"description": "Rejected records make the run a partial success"},
    )
    delay = fields.Float(
        load_default=0.0,
        validate=validate.Range(min=0, max=5),
        metadata={"description": "Seconds to wait after each write (to watch it)"},
    )


class UpdateAffiliationsJob(JobType):
    """Import ROR organisations into the affiliations vocabulary."""

    id = "demo_update_affiliations"
    title = "Update affiliations"
    description = "Import organisations from a ROR data dump (demo data)"
    task = update_affiliations
    arguments_schema = UpdateAffiliationsArgs


class CheckAffiliationsArgs(PredefinedArgsSchema):
    """Arguments of the affiliations check."""

    delay = fields.Float(
        load_default=0.0,
        validate=validate.Range(min=0, max=5),
        metadata={"description": "Seconds to wait after each entry (to watch it)"},
    )


class CheckAffiliationsJob(JobType):
    """Find affiliations that need a curator's attention."""

    id = "demo_check_affiliations"
    title = "Check affiliations"
    description = "Flag affiliations whose website is not HTTPS"
    task = check_affiliations
    arguments_schema = CheckAffiliationsArgs


class CleanUpJob(JobType):
    """Prune the run history."""

    id = "demo_clean_up"
    title = "Clean up old runs"
    description = "Delete old runs and log lines beyond the retention settings"
    task = clean_up


JOB_TYPES = (UpdateAffiliationsJob, CheckAffiliationsJob, CleanUpJob)
"""The demo's job types."""
