# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Link templates of jobs, runs, job types and run logs."""

from invenio_records_resources.services.base.links import ExternalLink


def _query_args(pagination, page) -> dict:
    """The query string of a page of a list, keeping the client's filters."""
    args = {}
    for key, value in pagination["params"].items():
        if key in ("page", "size") or value in (None, "", []):
            continue
        if key == "status":
            value = ",".join(s.name for s in value)
        args[key] = value
    args.update(page=page, size=pagination["size"])
    return args


class ListLink(ExternalLink):
    """A link to a page of a list: self, prev or next."""

    def __init__(self, uritemplate, offset=0):
        """``offset`` is -1 for prev, 0 for self and 1 for next."""
        super().__init__(uritemplate, when=self._exists)
        self._offset = offset

    def _exists(self, pagination, ctx):
        page = pagination["page"] + self._offset
        return page >= 1 and (page - 1) * pagination["size"] < max(
            pagination["total"], 1
        )

    def vars(self, pagination, vars):
        """Expand with the list's own filters and the page number."""
        vars["args"] = _query_args(pagination, pagination["page"] + self._offset)
        vars.update(pagination.get("context", {}))


def list_links(template: str) -> dict:
    """self, prev and next links of a list at ``template``."""
    return {
        "self": ListLink(template, 0),
        "prev": ListLink(template, -1),
        "next": ListLink(template, 1),
    }


def _log_args(page: dict, after) -> dict:
    """The query string of an answer of a log: its filters and its cursor."""
    params = page["params"]
    args = {"q": params["q"]}
    if params.get("sort"):
        args["sort"] = params["sort"]
    if params.get("size"):
        args["size"] = params["size"]
    if params.get("level"):
        args["level"] = params["level"]
    if params.get("text", "").strip():
        args["text"] = params["text"]
    if after is not None:
        args["search_after"] = after
    return args


def _has_next(page: dict, ctx) -> bool:
    """A next answer exists when this one stopped before the end of the log."""
    if not page["hits"]:
        return False
    if page.get("more") is not None:
        return page["more"]
    return len(page["hits"]) == page["params"]["size"]


def log_links(template: str) -> dict:
    """The self and next links of a log answer at ``template``.

    Both keep every filter of the request; next starts after the last line.
    """
    return {
        "self": ExternalLink(
            template,
            vars=lambda p, v: v.update(args=_log_args(p, p["params"]["search_after"])),
        ),
        "next": ExternalLink(
            template,
            when=_has_next,
            vars=lambda p, v: v.update(args=_log_args(p, p["hits"][-1]["id"])),
        ),
    }
