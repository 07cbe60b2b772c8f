# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Settings of the job system, each ``JOBS_*`` with its default.

Instances override them in ``invenio.cfg`` or through ``INVENIO_JOBS_*``
environment variables, as for any Invenio setting.
"""

from invenio_i18n import lazy_gettext as _

JOBS_QUEUES = {
    "celery": {
        "name": "celery",
        "title": _("Default"),
        "description": _("Default queue"),
    },
    "low": {
        "name": "low",
        "title": _("Low"),
        "description": _("Low priority queue"),
    },
}
"""Celery queues a job or a run may be sent to, by name.

A job or run naming another queue is refused: a message sent to a queue no
worker consumes would never run.
"""

JOBS_DEFAULT_QUEUE = "celery"
"""Queue of jobs created without one; None takes Celery's ``task_default_queue``.

``current_jobs.default_queue`` gives the queue in effect, as in InvenioRDM.
"""

JOBS_SCHEDULER_TIMEZONE = "UTC"
"""Time zone of cron schedules that do not name one (an IANA name)."""

JOBS_SCHEDULER_MAX_INTERVAL = 5
"""Longest sleep of the beat scheduler between two looks at the database (s).

A job created or edited in the admin UI is picked up within this time.
"""

JOBS_RUN_AT_MAX_DAYS = 90
"""How far ahead (days) a run can be asked for at a chosen time (``"at"``).

Such a run waits QUEUED in the database until then; a bound keeps a typo
in the year from leaving a run waiting for decades.
"""

JOBS_RUN_AFTER_CATCH_UP_SECONDS = 3600
"""How far back (seconds) the maintenance task looks for ends of jobs that
others run after, to start the runs their recorder died before starting.

Each end starts one run, whoever starts it; an end older than this whose
runs were never started is not started any more: keep it longer than a
worker's restart takes.
"""

JOBS_RUN_AFTER_LOOK_SECONDS = 10
"""How long (seconds) a worker trusts its last look at whether any job runs after
another, before it looks again at a run's end.

Where no job does, a run's end then costs no statement for it; a link saved
meanwhile is caught up by the maintenance task (``JOBS_MAINTENANCE_INTERVAL``).
"""

JOBS_RUN_AFTER_MAX_DELAY_SECONDS = 7 * 24 * 3600
"""Longest delay (seconds) a job can wait after the jobs it runs after end."""

JOBS_SCHEDULER_BATCH_SIZE = 200
"""Most due jobs the scheduler claims in one transaction."""

JOBS_SCHEDULER_MISFIRE_GRACE_SECONDS = 60
"""A fire time later than this is a misfire, handled by the job's policy."""

JOBS_SCHEDULER_MAX_CATCH_UP = 10
"""Most runs the ``catch_up`` misfire policy creates for missed fire times."""

JOBS_MAINTENANCE_INTERVAL = 30
"""How often (s) the beat scheduler sends the maintenance task ``reap_runs``."""

JOBS_HEARTBEAT_SECONDS = 10
"""How often (s) a running run records that its worker is alive."""

JOBS_STALE_AFTER_SECONDS = 60
"""A running run without a heartbeat for this long lost its worker: FAILED."""

JOBS_REDISPATCH_AFTER_SECONDS = 120
"""A queued run not taken by a worker this long (s) after its message was
handed to the broker is looked for, by its task id: in its queue, in the
messages live workers hold and, on Redis, in the messages delivered but not
acknowledged. A message that is nowhere is sent again; one that a dead
worker held unacknowledged on Redis is put back in its queue (RabbitMQ does
that by itself when the worker's connection closes). A run waiting in a
backlog is found in its queue and never sent twice. A run whose message was
lost starts within this time plus two ``JOBS_MAINTENANCE_INTERVAL`` of the
loss, whatever else waits on its queue.
"""

JOBS_UNSENT_AFTER_SECONDS = 5
"""A new run is marked sent once the broker took its message. One its
maker did not mark this long (s) after making it (the process died between
its commit and the publish) is sent by the beat or the maintenance task."""

JOBS_SEND_RETRY_SECONDS = 10
"""A run the broker refused (broker down) is sent again after this long (s)."""

JOBS_OUTCOME_WRITE_SECONDS = 90
"""How long (s) a worker retries writing a run's claim or outcome while the
database is unreachable. Keep it longer than ``JOBS_STALE_AFTER_SECONDS``
plus ``JOBS_MAINTENANCE_INTERVAL``: an outcome the worker can write before
the maintenance task could decide is always the one recorded (a write after
that decision changes nothing)."""

JOBS_DATABASE_PRE_PING = True
"""Test a pooled database connection before each use and replace it if a
restart of the database dropped it (SQLAlchemy's ``pool_pre_ping``, added to
invenio-db's engine). Costs one round trip per checkout."""

JOBS_DATABASE_PREPARED_STATEMENTS = True
"""On PostgreSQL with psycopg2, have the database plan the statements of a
run's life (its INSERT, claim and end, the job's read) once per connection
(``PREPARE``) instead of at every run: the planning cost more than the work.
Set it to False behind a connection pooler that forbids prepared statements
(PgBouncer in transaction mode); a statement that finds its preparation gone
is prepared again either way."""

JOBS_STOP_GRACE_SECONDS = 30
"""Time (s) a running run has to stop by itself before it is terminated."""

JOBS_PROGRESS_INTERVAL_SECONDS = 1.0
"""Progress of a run is written at most this often (s), so loops stay fast."""

JOBS_SUBTASKS_PER_INSERT = 500
"""Subtasks a run spawns (``current_run.spawn_subtask``) are stored this many
at a time, with one INSERT and one count on the parent; a batch is also
stored a second after its first subtask, and when the run's task returns."""

JOBS_SUBTASKS_PER_MESSAGE = 25
"""Subtasks sent to the workers in one message, and run by one worker one
after the other: each message costs a few statements (claim, end, count on
the parent), so more per message is cheaper; fewer spreads slow subtasks
over more workers."""

JOBS_RETRY_BACKOFF_SECONDS = 30
"""Wait before the first retry of a failed run; doubled at each attempt."""

JOBS_RETRY_BACKOFF_MAX_SECONDS = 3600
"""Longest wait between two attempts of a run (s)."""

JOBS_LOGGING_LEVEL = "INFO"
"""Lowest level of the log records kept in a run's log."""

JOBS_LOGS_FLUSH_RECORDS = 500
"""A run's log lines are written in batches of this many..."""

JOBS_LOGS_FLUSH_SECONDS = 1.0
"""...or after this many seconds, whichever comes first, and at the end."""

JOBS_LOGS_MAX_PER_RUN = 100_000
"""Most log lines kept for one run; one more line says how many were dropped."""

JOBS_LOGGING_RETENTION_DAYS = 90
"""Log lines older than this many days are deleted by the maintenance task.

On PostgreSQL, where the log is partitioned by day, whole days are dropped:
a line is kept between this many days and one day more.
"""

JOBS_LOGS_PARTITIONS_AHEAD = 7
"""Days after today whose log partitions the maintenance makes in advance.

PostgreSQL only. Today and tomorrow are made of hourly partitions (each
ended hour gets its trigram index from the task ``keep_log_partitions``,
which beat sends just after every hour; an ended day's hours are then
joined into one partition), the later days of one partition each. A line
whose time has no partition yet is kept in the default partition and moved
to its own when that one is made.
"""

JOBS_HISTORY_RETENTION_DAYS = 365
"""Entries of the jobs' history (changes, run actions) are kept this many days.

Deleted by the maintenance task ``prune_runs``, with old log lines; the
history of a deleted job is kept as long.
"""

JOBS_AUDIT_LOGS_ENABLED = True
"""Send each entry of the jobs' history to invenio-audit-logs too.

Only where that module is installed and switched on by its own
``AUDIT_LOGS_ENABLED`` (off by default); set this to False to keep the job
system out of an instance's audit log while the rest goes in. Its actions
are ``job.create``, ``job.update``, ``job.activate``, ``job.deactivate``,
``job.run_as``, ``job.delete``, ``job.grant``, ``job.revoke``,
``job.run_now``, ``job.run_stop`` and ``job.run_again`` (single ones can be
left out with ``AUDIT_LOGS_DISABLED_ACTIONS``). The audit-log entries are
invenio-audit-logs' own: they are not pruned with the history.
"""

JOBS_RUNS_RETENTION = 500
"""Finished runs kept per job (the last successful one is always kept)."""

JOBS_PRUNE_INTERVAL = 3600
"""How often (s) the beat scheduler sends the pruning task ``prune_runs``."""

JOBS_NOTIFICATIONS_SENDER = None
"""Sender of the emails about runs; None uses ``MAIL_DEFAULT_SENDER``."""

JOBS_ALERTS = True
"""Whether the maintenance task evaluates the jobs' alerts (see ``alerts``)."""

JOBS_ALERT_WEBHOOKS = []
"""Webhooks told of every job's alerts, besides each job's own.

Each a URL, or ``{"url": ..., "format": "json" | "slack"}``: ``slack`` sends
Slack's (and Mattermost's, Rocket.Chat's) incoming-webhook body, ``{"text": ...}``.
"""

JOBS_ALERT_WEBHOOK_SECRET = None
"""Shared secret of the webhooks' HMAC-SHA256 signature; None sends them unsigned."""

JOBS_ALERT_TIMEOUT = 10
"""Seconds a webhook's receiver has to answer before the try counts as failed."""

JOBS_ALERT_DELIVERY_TRIES = 6
"""Tries of an alert's delivery before it is recorded as failed."""

JOBS_ALERT_RETRY_SECONDS = 30
"""Wait (s) after a delivery's first failed try; it doubles with each further one."""

JOBS_ALERT_RETRY_MAX_SECONDS = 3600
"""Longest wait (s) between two tries of a delivery."""

JOBS_LOGS_MAX_RESULTS = 2_000
"""Most log lines one answer of ``/api/logs/jobs`` holds (InvenioRDM's setting).

A search that matches more returns the first ones, a ``truncated_results``
warning, and ``hits.sort`` to continue with ``search_after``.
"""

JOBS_LOGS_BATCH_SIZE = 500
"""Log lines read per database query while filling one answer (InvenioRDM's)."""

JOBS_LOGS_SEARCH_TOTAL_LIMIT = 1_000
"""A search across runs counts its hits up to this many (``hits.total``).

As the search engine's ``track_total_hits``: past it, the total says "at
least this many", and a common word does not make each answer count every
line of the table (counting costs about a millisecond per thousand lines
read). A run's or a job's log is counted whole.
"""

JOBS_RUN_SUBTASKS_DUMPED = 100
"""Most subtasks listed in a run's ``subtasks`` (the first ones, oldest first).

``total_subtasks`` gives the whole count; the runs list filtered with
``parent_run_id`` pages through all of them.
"""

JOBS_LOGGING = True
"""InvenioRDM's switch of runs' logs; lines are kept here whatever its value.

``JOBS_LOGGING_LEVEL`` chooses which lines are kept.
"""

JOBS_LOGGING_INDEX = "job-logs"
"""InvenioRDM's search index of logs; unused here: logs live in ``jobs_run_log``."""

JOBS_FACETS = {}
"""Facets of the jobs search in InvenioRDM's administration search config."""

JOBS_SORT_OPTIONS = {
    "jobs": dict(title=_("Jobs"), fields=["jobs"]),
    "last_run_start_time": dict(title=_("Last run"), fields=["last_run_start_time"]),
    "user": dict(title=_("Started by"), fields=["user"]),
    "next_run": dict(title=_("Next run"), fields=["next_run"]),
}
"""Sort options of the jobs list, by the name ``/api/jobs?sort=`` takes.

InvenioRDM's administration search config; ``jobs`` sorts by title, ``user``
by who started the last run.
"""

JOBS_SEARCH = {
    "facets": [],
    "sort": ["jobs", "last_run_start_time", "user", "next_run"],
}
"""Facets and sort options offered by InvenioRDM's jobs search page."""

JOBS_PERMISSION_POLICY = "invenio_jobs.services.permissions:JobPermissionPolicy"
"""Who may list, read, create, edit and delete jobs (a class or import path)."""

JOBS_RUNS_PERMISSION_POLICY = "invenio_jobs.services.permissions:RunPermissionPolicy"
"""Who may see, start and stop runs, and read their logs."""

JOBS_POOLS_PERMISSION_POLICY = "invenio_jobs.services.permissions:PoolPermissionPolicy"
"""Who may list, create, change and delete the concurrency pools."""

JOBS_TASKS_PERMISSION_POLICY = "invenio_jobs.services.permissions:TasksPermissionPolicy"
"""Who may list the registered job types and their arguments."""

APP_LOGS_PERMISSION_POLICY = "invenio_jobs.services.permissions:JobLogsPermissionPolicy"
"""Who may search runs' logs through ``/api/logs/jobs`` (InvenioRDM's name).

Instances override it to let more people read logs; a run's own log routes
(``/api/jobs/<id>/runs/<id>/logs``) follow ``JOBS_RUNS_PERMISSION_POLICY``.
"""

JOBS_SCHEDULING_PERMISSION_POLICY = (
    "invenio_jobs.services.permissions:SchedulingPermissionPolicy"
)
"""Who may pause and resume all scheduled runs and edit maintenance windows."""

JOBS_ADMINISTRATION_HTML = "/administration/jobs/{id}"
"""Where a job's page lives in the admin UI; the ``self_admin_html`` link."""

JOBS_CURATOR_URL_PREFIX = "/jobs"
"""Where the pages of the jobs granted to curators live, outside the admin UI.

``<prefix>`` lists the jobs the reader may see, ``<prefix>/<id>`` is a job's
page and ``<prefix>/<id>/runs/<run_id>`` a run's, with its live log: for
anyone granted ``read`` on the job (and administrators). The job's
``self_html`` link, and the run e-mails sent to those who are not
administrators, point here.
"""

JOBS_ADMINISTRATION_REFRESH = 2
"""Seconds between two refreshes of running runs on the admin pages."""

JOBS_METRICS_TOKEN = None
"""A secret that lets a scraper read ``/api/jobs/metrics`` without signing in.

Sent as ``Authorization: Bearer <token>``; None lets only those whom
``JOBS_RUNS_PERMISSION_POLICY`` allows ``read_metrics`` (administrators).
"""
