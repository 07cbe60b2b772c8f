# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Job system for InvenioRDM: run, schedule and follow background tasks."""

from .ext import InvenioJobs

__all__ = ("__version__", "InvenioJobs")


def __getattr__(name):
    """``__version__``, read from the installed distribution's metadata.

    One source tree builds a wheel per InvenioRDM release line (5.90, 10.90,
    11.90), so the version is the build's, not a constant of the code; it is
    read when asked for, not at import.
    """
    if name == "__version__":
        from importlib.metadata import version

        return version("invenio-jobs")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
