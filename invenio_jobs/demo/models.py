# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The demo's vocabulary table: affiliations, as a ROR import would fill it.

Deliberately not registered under ``invenio_db.models``: only the demo's own
processes import it, so that no other instance gets this table.
"""

import sqlalchemy as sa
from invenio_db import db

from ..models import JSON


class DemoAffiliation(db.Model, db.Timestamp):
    """One organisation of the demo's affiliations vocabulary."""

    __tablename__ = "demo_affiliation"

    id = sa.Column(sa.String(16), primary_key=True)
    """The ROR id without its prefix (``0a1shyf79``)."""

    name = sa.Column(sa.String(255), nullable=False)
    acronym = sa.Column(sa.String(64), nullable=True)
    types = sa.Column(JSON, nullable=False, default=list)
    status = sa.Column(sa.String(16), nullable=False)
    country_code = sa.Column(sa.String(2), nullable=False)
    city = sa.Column(sa.String(255), nullable=True)
    website = sa.Column(sa.String(255), nullable=True)
    established = sa.Column(sa.Integer, nullable=True)
    checked_at = sa.Column(db.UTCDateTime, nullable=True)
    """When the check job last looked at it."""
    problems = sa.Column(JSON, nullable=True)
    """What the check job found wrong (an empty list: nothing)."""

    FIELDS = (
        "name",
        "acronym",
        "types",
        "status",
        "country_code",
        "city",
        "website",
        "established",
    )
    """The fields an import compares and writes."""

    def values(self) -> dict:
        """The imported fields, to compare with a new version."""
        return {field: getattr(self, field) for field in self.FIELDS}
