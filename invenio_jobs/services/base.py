# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What the services share: id parsing, the calling user, text search, dumps."""

import re
import uuid
from functools import cached_property

from flask_babel import get_locale


def parse_uuid(value, not_found):
    """A UUID from a path or a client, in its canonical form only.

    The canonical form is the one every link and answer gives: lower-case,
    dashed (``str(uuid)``). Other spellings (``urn:uuid:``, braces, no dashes,
    upper case) are "not found", like a malformed one, so that a job has one
    address.
    """
    if isinstance(value, uuid.UUID):
        return value
    try:
        parsed = uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        raise not_found(value) from None
    if str(parsed) != value:
        raise not_found(value)
    return parsed


def user_id_of(identity):
    """The accounts user id of an identity; None for the system process."""
    try:
        return int(identity.id)
    except (TypeError, ValueError):
        return None


def current_language() -> str | None:
    """The language of the request (``ln``, session, profile, Accept-Language).

    Outside a request, the instance's default; None when none is known.
    """
    locale = get_locale()
    return locale.language if locale is not None else None


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_text(value: str) -> bool:
    """Whether text holds characters a database cannot store (NUL, surrogates)."""
    return bool(_UNSTORABLE.search(value))


def like_pattern(text: str) -> str:
    """A LIKE pattern that finds ``text`` anywhere, its wildcards escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class DumpSchemasMixin:
    """One dump schema instance per service: building one per item is slow."""

    @cached_property
    def dump_schema(self):
        """The schema instance that dumps this service's items."""
        return self.config.schema()
