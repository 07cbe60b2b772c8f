# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The ``my_site`` distribution, with its ``invenio_jobs.jobs`` entry point.

:func:`install` writes the distribution's metadata (``entry_points.txt``)
into a folder; with that folder and this one on ``sys.path`` (and on
``PYTHONPATH`` for worker processes), ``importlib.metadata`` finds the entry
point as it finds an installed module's.
"""

from pathlib import Path

SEED_ROOT = Path(__file__).resolve().parent
"""The folder that holds the ``my_site`` package."""

ENTRY_POINTS = """\
[invenio_jobs.jobs]
export_records = my_site.jobs:ExportRecords
left_in_broker = my_site.switch_over:LeftInTheBroker
"""


EXPORT_JOB = {
    "title": "Export",
    "task": "export_records",
    "run_args": {"serializer": "json"},
}
"""The ``ExportRecords`` job the tests create, and the arguments of its run."""
EXPORT_RUN_ARGS = {"serializer": "datacite-json"}
EXPORT_LOG_LINE = "export_records since=None serializer=datacite-json"
"""What the task logs when it got both arguments of that run."""


def install(target: Path) -> list[str]:
    """Write the distribution's metadata into ``target``; return the import paths."""
    info = Path(target) / "my_site-1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: my-site\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return [str(SEED_ROOT), str(target)]
