# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Service results: what a service method returns, and how it becomes JSON."""

from invenio_records_resources.services.base.results import (
    ServiceItemResult,
    ServiceListResult,
)


class ItemResult(ServiceItemResult):
    """One job, run or job type, dumped with its links.

    ``extra`` adds fields the service computes; a callable among them is
    called when the item is dumped, after the unit of work has committed.
    """

    def __init__(self, service, identity, obj, schema, links_tpl=None, extra=None):
        """Keep what ``to_dict`` needs; nothing is dumped until asked."""
        self._service = service
        self._identity = identity
        self._obj = obj
        self._schema = schema
        self._links_tpl = links_tpl
        self._extra = extra or {}

    @property
    def id(self):
        """The id of the item."""
        return str(self._obj.id) if hasattr(self._obj, "id") else None

    @property
    def obj(self):
        """The model object (or job type class) behind the result."""
        return self._obj

    @property
    def data(self) -> dict:
        """The item as JSON-ready data."""
        data = self._schema.dump(self._obj)
        for key, value in self._extra.items():  # a callable is read when dumped
            data[key] = value() if callable(value) else value
        if self._links_tpl is not None:
            data["links"] = self._links_tpl.expand(self._identity, self._obj)
        return data

    def to_dict(self) -> dict:
        """The item as JSON-ready data."""
        return self.data

    def add_fields(self, fields: dict) -> "ItemResult":
        """Add fields the service computed after making the item; the item."""
        self._extra.update(fields)
        return self

    def __getitem__(self, key):
        """A field of the item (``result["id"]``), as InvenioRDM's results give it.

        Each lookup dumps the item anew; read ``data`` once for many fields.
        """
        return self.data[key]


class DeferredItem:
    """An item read from the database only when something of it but its id is used.

    For InvenioRDM's subtask steps, which modules call in loops and mostly
    use for the run's id: the read it would cost each call is saved.
    """

    def __init__(self, item_id, load):
        """``load()`` gives the item result, when first needed."""
        self._id = item_id
        self._load = load
        self._item = None

    @property
    def id(self):
        """The id of the item, known without reading it."""
        return str(self._id)

    def __getattr__(self, name):
        """Everything else (``data``, ``to_dict``, ``obj``) from the item, read once."""
        if self._item is None:
            self._item = self._load()
        return getattr(self._item, name)

    def __getitem__(self, key):
        """A field of the item; ``["id"]`` without reading it."""
        if key == "id":
            return self.id
        return self.data[key]


class ListResult(ServiceListResult):
    """A page of items with the total and paging links, InvenioRDM-shaped."""

    def __init__(
        self,
        service,
        identity,
        items,
        total,
        params,
        links_tpl=None,
        sort_by=None,
        links_context=None,
    ):
        """Keep the page; ``items`` are item results of this page."""
        self._service = service
        self._identity = identity
        self._items = items
        self._total = total
        self._params = params
        self._links_tpl = links_tpl
        self._sort_by = sort_by
        self._links_context = links_context or {}

    @property
    def total(self) -> int:
        """Number of hits over all pages."""
        return self._total

    @property
    def hits(self):
        """The items of this page, as dicts."""
        return (item.to_dict() for item in self._items)

    def __len__(self) -> int:
        """Number of items on this page."""
        return len(self._items)

    def __iter__(self):
        """Iterate over the items of this page, as dicts."""
        return iter(self.hits)

    def to_dict(self) -> dict:
        """The page as JSON-ready data."""
        result = {"hits": {"hits": list(self.hits), "total": self._total}}
        if self._links_tpl is not None:
            result["links"] = self._links_tpl.expand(self._identity, self._pages())
        if self._sort_by is not None:
            result["sortBy"] = self._sort_by
        return result

    def _pages(self) -> dict:
        page = self._params.get("page", 1)
        size = self._params.get("size", 25)
        return {
            "page": page,
            "size": size,
            "total": self._total,
            "params": self._params,
            "context": self._links_context,
        }


class LogsResult(ServiceListResult):
    """Log lines of a run or a job, with the links to this answer and the next.

    Answers are chained by cursor (``search_after``, the ``hits.sort`` of the
    last line), not by page number, so that lines written while a client
    reads never shift an answer.
    """

    def __init__(
        self, hits, total, params, links_tpl=None, warnings=None, has_more=None
    ):
        """Keep the answer; ``hits`` are the dumped lines."""
        self._hits = hits
        self._total = total
        self._params = params
        self._links_tpl = links_tpl
        self._warnings = warnings or []
        self._has_more = has_more

    @property
    def total(self) -> int:
        """Number of matching lines over all answers."""
        return self._total

    @property
    def hits(self):
        """The lines of this answer, as dicts."""
        return iter(self._hits)

    def __len__(self) -> int:
        """Number of lines in this answer."""
        return len(self._hits)

    def __iter__(self):
        """Iterate over the lines of this answer."""
        return self.hits

    def to_dict(self) -> dict:
        """The answer as JSON-ready data, in InvenioRDM's shape."""
        result = {"hits": {"hits": list(self._hits), "total": self._total}}
        if self._hits:
            result["hits"]["sort"] = list(self._hits[-1]["sort"])
        if self._warnings:
            result["warnings"] = list(self._warnings)
        if self._links_tpl is not None:
            page = {"params": self._params, "hits": self._hits, "more": self._has_more}
            result["links"] = self._links_tpl.expand(None, page)
        return result
