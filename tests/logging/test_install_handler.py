# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The capture handler joins the host's logging without changing what it shows."""

import logging

import pytest

from invenio_jobs.logging import install_handler


class Shown(logging.Handler):
    """A handler of the host: keeps the messages it is given."""

    def __init__(self):
        """Nothing shown yet."""
        super().__init__()
        self.messages = []

    def emit(self, record):
        """Keep the message."""
        self.messages.append(record.getMessage())


@pytest.fixture()
def host():
    """A host that shows warnings, on its root logger and on one of its own.

    Restored afterwards.
    """
    root, own = logging.getLogger(), logging.getLogger("tests.host.own")
    level = root.level
    shown = {"root": Shown(), "own": Shown()}
    root.addHandler(shown["root"])
    own.addHandler(shown["own"])
    root.setLevel(logging.WARNING)
    yield shown
    root.removeHandler(shown["root"])
    own.removeHandler(shown["own"])
    root.setLevel(level)


def test_the_hosts_handlers_keep_their_threshold_and_show_what_they_showed(host):
    """Records of a run's level exist, and reach the run only."""
    verbose = logging.getLogger("tests.host.verbose")
    verbose.setLevel(logging.DEBUG)  # the host's own choice: shown as before
    try:
        handler = install_handler("INFO")
        assert logging.getLogger().isEnabledFor(logging.INFO)
        assert handler.level == logging.INFO
        assert [shown.level for shown in host.values()] == [logging.NOTSET] * 2
        for name in ("tests.host.job", "tests.host.own"):
            logging.getLogger(name).info("for the run's log only")
            logging.getLogger(name).warning("for everyone")
        verbose.debug("asked for by the host")
    finally:
        verbose.setLevel(logging.NOTSET)
    assert host["root"].messages == [
        "for everyone",
        "for everyone",
        "asked for by the host",
    ]
    assert host["own"].messages == ["for everyone"]
