# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Telling people about alerts: signed webhooks and e-mails, retried.

Each change of an alert (:mod:`.alerts`) is written as one delivery per
receiver, with the body it sends. :func:`deliver_due` takes the due ones
(a conditional UPDATE that also pushes their due time past the attempt, so
that a worker dying mid-send leaves them to be tried again, and two
workers never send one at once), sends each, and records the outcome: sent,
or tried again after a back-off that doubles, up to
``JOBS_ALERT_DELIVERY_TRIES``.

A webhook is a JSON POST. When ``JOBS_ALERT_WEBHOOK_SECRET`` is set, it
carries ``X-Invenio-Jobs-Signature: sha256=<hex>``, the HMAC-SHA256 of
``<timestamp>.<body>`` under that secret, with the timestamp in
``X-Invenio-Jobs-Timestamp``: a receiver checks both, and refuses old
timestamps (replays). ``X-Invenio-Jobs-Delivery`` names the delivery, the
same on every try, so that a receiver can drop a repeat.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import timedelta

import sqlalchemy as sa
from celery.utils.log import get_task_logger
from flask import current_app
from invenio_db import db

from ..database import speaks_postgresql
from ..models import AlertDelivery, utcnow

logger = get_task_logger(__name__)

SIGNATURE_HEADER = "X-Invenio-Jobs-Signature"
TIMESTAMP_HEADER = "X-Invenio-Jobs-Timestamp"
DELIVERY_HEADER = "X-Invenio-Jobs-Delivery"
EVENT_HEADER = "X-Invenio-Jobs-Event"

DELIVERY_BATCH = 50
"""Deliveries one task takes at a time."""

ERROR_LENGTH = 1000
"""Characters of a failed try's error kept on the delivery."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value of ``body`` sent at ``timestamp``."""
    digest = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"sha256={digest}"


def receivers(settings: dict) -> list[tuple[str, str, bool]]:
    """Who hears of a job's alerts: ``(channel, target, slack)`` each.

    The job's e-mail addresses (one delivery for all), its webhooks, and
    the instance's ``JOBS_ALERT_WEBHOOKS``.
    """
    found = []
    emails = [e for e in settings.get("emails") or [] if e]
    if emails:
        found.append(("email", ",".join(emails), False))
    hooks = list(settings.get("webhooks") or [])
    hooks += list(current_app.config["JOBS_ALERT_WEBHOOKS"] or [])
    seen = set()
    for hook in hooks:
        if isinstance(hook, str):
            hook = {"url": hook}
        url = hook.get("url")
        if url and url not in seen:
            seen.add(url)
            found.append(("webhook", url, hook.get("format") == "slack"))
    return found


def summary(title: str, kind: str, event: str, settings: dict) -> str:
    """One sentence about the change, in the instance's language."""
    from invenio_i18n import gettext as _

    if event == "recovered":
        return {
            "late": _("Job '%(title)s' is on time again."),
            "no_success": _("Job '%(title)s' succeeded again."),
            "too_long": _("The long run of job '%(title)s' has ended."),
            "failures": _("Job '%(title)s' no longer fails."),
        }[kind] % {"title": title}
    words = {
        "late": _(
            "Job '%(title)s' is late: a fire time passed %(minutes)s minutes "
            "ago and no run started."
        ),
        "no_success": _(
            "Job '%(title)s' has had no successful run for %(hours)s hours."
        ),
        "too_long": _(
            "A run of job '%(title)s' is running much longer than it should."
        ),
        "failures": _("Job '%(title)s' failed %(count)s times in a row."),
    }
    return words[kind] % {
        "title": title,
        "minutes": _whole(settings.get("late_minutes")),
        "hours": _whole(settings.get("no_success_hours")),
        "count": _whole(settings.get("failures_in_row")),
    }


def _whole(number):
    """A threshold as people write it: 3, not 3.0."""
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


def job_url(job_id) -> str:
    """The job's page in the administration."""
    site = current_app.config.get("SITE_UI_URL") or ""
    return site + current_app.config["JOBS_ADMINISTRATION_HTML"].format(id=job_id)


def alert_body(job, kind, event, started_at, ended_at, slack=False) -> dict:
    """The JSON a receiver gets: the job, the alert, the change; or Slack's ``text``."""
    settings = job.alerts or {}
    text = summary(job.title, kind, event, settings)
    url = job_url(job.id)
    if slack:
        return {"text": f"{text} <{url}|{job.title}>"}
    return {
        "event": event,
        "kind": kind,
        "summary": text,
        "job": {"id": str(job.id), "title": job.title, "url": url},
        "started_at": started_at.isoformat(),
        "ended_at": ended_at.isoformat() if ended_at else None,
        # The thresholds only: addresses and URLs (which may hold tokens)
        # are no business of another receiver.
        "settings": {
            k: v for k, v in settings.items() if k not in ("emails", "webhooks")
        },
    }


def backoff(tries: int) -> timedelta:
    """How long a delivery waits after its ``tries``-th failed try."""
    config = current_app.config
    seconds = config["JOBS_ALERT_RETRY_SECONDS"] * 2 ** max(tries - 1, 0)
    return timedelta(seconds=min(seconds, config["JOBS_ALERT_RETRY_MAX_SECONDS"]))


def _claim(now, batch: int) -> list:
    """Take the due deliveries: count the try, and push the due time past it."""
    lease = now + timedelta(seconds=current_app.config["JOBS_ALERT_TIMEOUT"] + 60)
    due = (
        sa.select(AlertDelivery.id)
        .where(AlertDelivery.status == "pending", AlertDelivery.due_at <= now)
        .order_by(AlertDelivery.due_at)
        .limit(batch)
    )
    if speaks_postgresql(db.engine):
        due = due.with_for_update(skip_locked=True)
    rows = db.session.execute(
        sa.update(AlertDelivery)
        .where(
            AlertDelivery.id.in_(due.scalar_subquery()),
            AlertDelivery.due_at <= now,
        )
        .values(due_at=lease, tries=AlertDelivery.tries + 1)
        .returning(
            AlertDelivery.id,
            AlertDelivery.kind,
            AlertDelivery.event,
            AlertDelivery.channel,
            AlertDelivery.target,
            AlertDelivery.body,
            AlertDelivery.tries,
        )
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return rows


def deliver_due(batch: int = DELIVERY_BATCH) -> dict:
    """Send the due deliveries; record each outcome; one commit for the batch."""
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    rows = _claim(utcnow(), batch)
    if not rows:
        return counts
    tries_allowed = current_app.config["JOBS_ALERT_DELIVERY_TRIES"]
    for row in rows:
        error = _send(row)
        now = utcnow()
        if error is None:
            values = {"status": "delivered", "delivered_at": now, "due_at": None}
            counts["delivered"] += 1
        elif row.tries >= tries_allowed:
            values = {"status": "failed", "due_at": None, "last_error": error}
            counts["failed"] += 1
        else:
            values = {"due_at": now + backoff(row.tries), "last_error": error}
            counts["retrying"] += 1
        db.session.execute(
            sa.update(AlertDelivery)
            .where(AlertDelivery.id == row.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    logger.info("Alert deliveries: %s", counts)
    return counts


def _send(row) -> str | None:
    """Send one delivery; the error in one line, or None when it arrived."""
    try:
        if row.channel == "email":
            _send_email(row)
        else:
            _post(row)
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} {exc.reason}"[:ERROR_LENGTH]
    except urllib.error.URLError as exc:
        return str(exc.reason)[:ERROR_LENGTH]
    except Exception as exc:  # noqa: BLE001 -- recorded on the delivery, tried again
        return (f"{type(exc).__name__}: {exc}".splitlines() or [""])[0][:ERROR_LENGTH]
    return None


def _post(row) -> None:
    """POST the delivery's body, signed; an answer outside 2xx raises."""
    body = json.dumps(row.body, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "invenio-jobs",
        TIMESTAMP_HEADER: timestamp,
        DELIVERY_HEADER: str(row.id),
        EVENT_HEADER: f"{row.kind}.{row.event}",
    }
    secret = current_app.config["JOBS_ALERT_WEBHOOK_SECRET"]
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
    request = urllib.request.Request(
        row.target, data=body, headers=headers, method="POST"
    )
    timeout = current_app.config["JOBS_ALERT_TIMEOUT"]
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        response.read()


def _send_email(row) -> None:
    """E-mail the alert's summary, with a link to the job, to its addresses."""
    from flask_mail import Message

    body = row.body
    text = body.get("summary") or body.get("text") or ""
    url = (body.get("job") or {}).get("url", "")
    title = (body.get("job") or {}).get("title", "")
    config = current_app.config
    message = Message(
        subject=f"[{row.kind}: {row.event}] {title}",
        recipients=row.target.split(","),
        body=f"{text}\n\n{url}\n",
        sender=config["JOBS_NOTIFICATIONS_SENDER"] or config.get("MAIL_DEFAULT_SENDER"),
    )
    current_app.extensions["mail"].send(message)
