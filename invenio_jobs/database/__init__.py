# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The job system's use of the database."""

from .statements import (
    PREPARED_KEY,
    Outage,
    Prepared,
    install_pre_ping,
    is_unreachable,
    one_statement,
    retry_through_outage,
    use_prepared_statements,
    write_with_retry,
)

__all__ = (
    "PREPARED_KEY",
    "Outage",
    "Prepared",
    "install_pre_ping",
    "is_unreachable",
    "one_statement",
    "retry_through_outage",
    "use_prepared_statements",
    "write_with_retry",
)
