# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The metrics' run families read both ways: from every run and from the totals.

The same data read both ways must give the same samples; shared by the
tests of the totals and of the migration that fills them.
"""

import pytest

from invenio_jobs.services.metric_families import (
    run_families,
    run_figures,
    run_figures_from_every_run,
)


def _samples(families) -> dict:
    """Every sample of ``families``: {(name, sorted label items): value}."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }


def read_both(session):
    """The run families' samples read from every run, and from the totals."""
    session.expire_all()
    old = _samples(run_families(run_figures_from_every_run()))
    return old, _samples(run_families(run_figures()))


def assert_same_metrics(session) -> dict:
    """Both readings have the same samples; returns the totals' reading.

    Counts and buckets are equal; sums of seconds are equal to the last
    float digits, since a float sum depends on the order it is made in.
    """
    old, new = read_both(session)
    assert sorted(new) == sorted(old)
    for key, value in old.items():
        if key[0].endswith("_sum"):
            assert new[key] == pytest.approx(value, rel=1e-12, abs=1e-9), key
        else:
            assert new[key] == value, key
    return new
