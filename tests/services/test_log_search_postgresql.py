# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The log search language on PostgreSQL (ILIKE, JSONB fields, time zones)."""

import pytest
from test_log_search import *  # noqa: F401,F403 -- the same tests

pytestmark = [pytest.mark.postgresql, pytest.mark.usefixtures("empty_tables")]
