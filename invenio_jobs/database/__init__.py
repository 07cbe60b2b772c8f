# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The job system's use of the database, below everything else in the package.

- ``dialects``: what an engine can do (one writer; PostgreSQL through
  psycopg2), each question answered once;
- ``outages``: living through a restart or outage (pre-ping, telling an
  outage from a fault, retries, one log line per outage);
- ``statements``: statements prepared once per connection, behind their
  switch;
- ``writes``: the one way to write a run's rows outside the job's
  transaction.
"""

from .dialects import (
    seconds_between,
    single_writer,
    speaks_postgresql,
    speaks_psycopg2,
)
from .outages import Outage, install_pre_ping, is_unreachable, retry_through_outage
from .statements import PREPARED_KEY, Prepared, use_prepared_statements
from .writes import one_statement, write_run_rows, write_with_retry

__all__ = (
    "PREPARED_KEY",
    "Outage",
    "Prepared",
    "install_pre_ping",
    "is_unreachable",
    "one_statement",
    "retry_through_outage",
    "seconds_between",
    "single_writer",
    "speaks_postgresql",
    "speaks_psycopg2",
    "use_prepared_statements",
    "write_run_rows",
    "write_with_retry",
)
