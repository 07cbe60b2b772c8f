# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``AttrDict``: InvenioRDM's import path of a dictionary read by attribute.

InvenioRDM's package keeps it here, and code written against it (its test
fixtures among others) builds records with it: ``AttrDict(id=1).id``.
"""


class AttrDict(dict):
    """A dictionary whose keys are also its attributes, both ways.

    The instance's attribute namespace is the dictionary itself, so that
    ``d.x = 1`` sets ``d["x"]`` and a key added either way reads either way.
    """

    def __init__(self, *args, **kwargs):
        """A dict of the given items; its attributes are its items."""
        super().__init__(*args, **kwargs)
        self.__dict__ = self
