# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The health statistics and the metrics on PostgreSQL (its own SQL for lags)."""

import pytest
from test_metrics import *  # noqa: F401,F403 -- the same tests
from test_stats import *  # noqa: F401,F403 -- the same tests

pytestmark = pytest.mark.postgresql
