# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Entry points of the test job types, shared by the tests and the workers.

The test module is not installed, so its entry points are added to what
``importlib.metadata`` reports: by pytest-invenio's ``entry_points`` fixture
in the test process, and by :func:`install` in worker and beat processes.
"""

import importlib.metadata

ENTRY_POINTS = {
    "invenio_jobs.jobs": [
        "mock_echo = mock_module.jobs:EchoJob",
        "mock_no_args = mock_module.jobs:NoArgsJob",
        "mock_controlled = mock_module.jobs:ControlledJob",
        "mock_fan_out = mock_module.jobs:FanOutJob",
        "mock_chatty = mock_module.jobs:ChattyJob",
        "mock_no_schema = mock_module.jobs:NoSchemaJob",
        "mock_local_datastream = mock_module.jobs:LocalDatastreamJob",
        "mock_whoami = mock_module.jobs:WhoAmIJob",
    ],
}


class _TestDistribution(importlib.metadata.Distribution):
    """A distribution that only declares the test entry points."""

    @property
    def name(self):
        """Name of the fake distribution."""
        return "invenio-jobs-tests"

    @property
    def entry_points(self):
        """The test entry points."""
        return importlib.metadata.EntryPoints(
            importlib.metadata.EntryPoint(
                name=line.split("=", 1)[0].strip(),
                value=line.split("=", 1)[1].strip(),
                group=group,
            )
            for group, lines in ENTRY_POINTS.items()
            for line in lines
        )

    def read_text(self, filename):
        """No metadata files."""
        return None

    def locate_file(self, path):
        """No files."""
        return None


def install():
    """Make ``importlib.metadata`` report the test entry points too."""
    original = importlib.metadata.distributions
    if getattr(original, "_with_test_entry_points", False):
        return

    def distributions(**kwargs):
        yield from original(**kwargs)
        yield _TestDistribution()

    distributions._with_test_entry_points = True
    importlib.metadata.distributions = distributions
