# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Jobs kept as code: a YAML file of jobs, written by export, applied by import.

An instance keeps its jobs in its repository, as it keeps its settings,
and applies them at deploy time. Each job of a file carries a ``key``,
stable across servers and databases, by which an import finds the job it
describes (``jobs_job.code_key``; a job never imported is exported under
its id, which an import also recognises). So an import is idempotent: a
second one changes nothing.

An import is all or nothing: every job of the file is validated by the
same schema as the API's first, and any error (each naming the file, the
line and the field) leaves the database untouched. Then the jobs are
created, changed and, with ``prune``, the jobs the file does not name are
deleted, through the jobs service, in one transaction. A dry run stops
before writing and says what the import would do, field by field.
"""

import copy
import json
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
import yaml
from invenio_db import db
from invenio_i18n import gettext as _
from marshmallow import ValidationError

from ..models import Job
from ..proxies import current_jobs_service
from .errors import JobsFileError
from .schemas import JobSchema
from .schemas.jobs import EMPTY_AS_NULL
from .uow import unit_of_work

KEY = "key"
"""The name of a job's key in a file."""

KEY_LENGTH = Job.__table__.c.code_key.type.length

HEADER = (
    "# Jobs of invenio-jobs, kept as code.\n"
    "# Apply with: invenio jobs import FILE [--dry-run] [--prune]\n"
    "# Each job is found again by its key; change the rest freely.\n"
)


def code_fields() -> list[str]:
    """The fields of a job that a file holds: those the API's schema loads.

    Taken from the schema, so that a setting the schema learns is kept in
    files without a change here.
    """
    return [name for name, item in JobSchema().fields.items() if not item.dump_only]


def key_of(job: Job) -> str:
    """The key a job is exported under: its own, or its id."""
    return job.code_key or str(job.id)


RUN_AFTER = "run_after"
"""The field whose links a file writes by the key of each job, not its id."""


def _links_by_key(run_after, keys: dict):
    """``run_after`` with each job named by its key (``keys``: id text -> key)."""
    if not run_after:
        return None
    jobs = [
        {KEY: keys.get(str(link["id"]), str(link["id"])), "statuses": link["statuses"]}
        for link in run_after.get("jobs") or ()
    ]
    return {**run_after, "jobs": jobs}


def _exported(job: Job, fields: list[str], keys: dict) -> dict:
    """A job as a file holds it: its key, then its fields, empty values as such."""
    dumped = JobSchema().dump(job)
    entry = {KEY: key_of(job)}
    for name in fields:
        value = dumped.get(name)
        if value is None and name in EMPTY_AS_NULL:
            value = EMPTY_AS_NULL[name]()  # "nothing" reads better than null
        if name == RUN_AFTER:
            value = _links_by_key(value, keys)
        entry[name] = value
    return entry


def _keys_of_all_jobs() -> dict:
    """{id (text): key} of every job: links name jobs outside the export too."""
    rows = db.session.execute(sa.select(Job.id, Job.code_key)).all()
    return {str(job_id): code_key or str(job_id) for job_id, code_key in rows}


def export_jobs(jobs) -> str:
    """The YAML text of these jobs, in the order given."""
    fields = code_fields()
    keys = _keys_of_all_jobs()
    entries = [_exported(job, fields, keys) for job in jobs]
    text = yaml.safe_dump(
        {"jobs": entries}, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    return HEADER + text


def jobs_to_export(refs=None) -> list[Job]:
    """The jobs named by key, id or exact title (all when none), by title.

    An unknown name is an error that names it (under ``job``, the query's name).
    """
    jobs = db.session.scalars(sa.select(Job).order_by(Job.title, Job.id)).all()
    if not refs:
        return list(jobs)
    chosen = []
    for ref in refs:
        found = [job for job in jobs if ref in (job.code_key, str(job.id), job.title)]
        if not found:
            raise ValidationError({"job": [_("No job named '%(ref)s'.", ref=ref)]})
        chosen.extend(job for job in found if job not in chosen)
    return chosen


@dataclass(frozen=True)
class Problem:
    """What is wrong in a file: where (file, line, field) and why."""

    file: str | None
    line: int | None
    field: str
    message: str

    def __str__(self):
        """``file:line: field: message``, as compilers say it."""
        where = [str(part) for part in (self.file, self.line) if part]
        return ": ".join([":".join(where)] * bool(where) + [self.field, self.message])

    def to_dict(self) -> dict:
        """The API's shape of a field error, with the line."""
        return {"field": self.field, "line": self.line, "messages": [self.message]}


@dataclass
class Change:
    """One job an import creates, changes or deletes."""

    key: str
    title: str
    fields: dict = field(default_factory=dict)
    """For a change: ``{field: (before, after)}``."""

    def to_dict(self) -> dict:
        """The JSON of the change."""
        data = {"key": self.key, "title": self.title}
        if self.fields:
            data["changes"] = {
                name: {"from": before, "to": after}
                for name, (before, after) in self.fields.items()
            }
        return data


@dataclass
class Plan:
    """What an import does (or, dry, would do)."""

    created: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    deleted: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    dry_run: bool = False

    def to_dict(self) -> dict:
        """The JSON of the plan."""
        return {
            "dry_run": self.dry_run,
            "created": [change.to_dict() for change in self.created],
            "changed": [change.to_dict() for change in self.changed],
            "deleted": [change.to_dict() for change in self.deleted],
            "unchanged": list(self.unchanged),
        }


class _Lines:
    """The lines of a file's nodes, to say where an error is."""

    def __init__(self, root):
        self.root = root

    @staticmethod
    def _child(node, part):
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    return key_node, value_node
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                return node.value[part], node.value[part]
        return None, None

    def line(self, path) -> int | None:
        """The line of the deepest node of ``path`` that the file has."""
        node, mark = self.root, None
        for part in path:
            key_node, value_node = self._child(node, part)
            if key_node is None:
                break
            mark, node = key_node.start_mark, value_node
        if mark is None and node is not None:
            mark = node.start_mark
        return None if mark is None else mark.line + 1


def _flatten(messages, prefix=()):
    """``(path, message)`` pairs of marshmallow's nested messages."""
    if isinstance(messages, dict):
        for name, value in messages.items():
            yield from _flatten(value, (*prefix, name))
    elif isinstance(messages, (list, tuple)):
        for value in messages:
            if isinstance(value, (dict, list, tuple)):
                yield from _flatten(value, prefix)
            else:
                yield prefix, str(value)
    else:
        yield prefix, str(messages)


def _shared_node(root):
    """A node the file uses twice (an alias), or None.

    Aliases let a small file stand for a huge structure; a job's fields
    never need them.
    """
    seen, pending = set(), [root] if root is not None else []
    while pending:
        node = pending.pop()
        if id(node) in seen:
            return node
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                pending.extend((key_node, value_node))
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
    return None


class _JSONLoader(yaml.SafeLoader):
    """YAML's safe loader, whose values are JSON's: a date stays its text.

    A job's fields are stored as JSON; YAML's own types (timestamps) would
    not be, and a job type's schema reads dates from text anyway.
    """

    yaml_implicit_resolvers = {
        first: [
            (tag, regexp)
            for tag, regexp in resolvers
            if tag != "tag:yaml.org,2002:timestamp"
        ]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def _not_json(data) -> bool:
    """Whether ``data`` holds a value JSON cannot (bytes, sets, NaN...)."""
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError):
        return True
    return False


def _read_file(text: str, file: str | None):
    """The entries of a file and the lines of its nodes; errors name the line."""
    try:
        root = yaml.compose(text, Loader=_JSONLoader)
        data = yaml.load(text, Loader=_JSONLoader)  # noqa: S506 -- a safe loader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(error, "problem", None) or str(error)
        message = _("Not valid YAML: %(reason)s", reason=reason)
        raise JobsFileError([Problem(file, line, "file", message)]) from error
    except RecursionError:
        message = _("The file nests too deeply.")
        raise JobsFileError([Problem(file, None, "file", message)]) from None
    if _not_json(data):
        message = _(
            "Give values JSON can hold: text, numbers, true or false, lists "
            "and mappings."
        )
        raise JobsFileError([Problem(file, None, "file", message)])
    lines = _Lines(root)
    shared = _shared_node(root)
    if shared is not None:
        message = _("Anchors and aliases (& and *) are not supported; write it out.")
        raise JobsFileError(
            [Problem(file, shared.start_mark.line + 1, "file", message)]
        )
    if data is None:
        data = {"jobs": []}
    if not isinstance(data, dict) or not isinstance(data.get("jobs", []), list):
        message = _("Give a mapping with a list under 'jobs'.")
        raise JobsFileError([Problem(file, lines.line(()), "jobs", message)])
    unknown = sorted(str(name) for name in data if name != "jobs")
    if unknown:
        message = _("Unknown field; a file holds 'jobs' only.")
        raise JobsFileError(
            [Problem(file, lines.line((name,)), name, message) for name in unknown]
        )
    return data.get("jobs") or [], lines


def _check_entries(entries, lines, file):
    """Each entry's key and values loaded by the job schema; all problems found."""
    problems, loaded, seen = [], [], {}
    for index, entry in enumerate(entries):
        where = ("jobs", index)
        if not isinstance(entry, dict):
            message = _("Give a job as a mapping of its fields.")
            problems.append(Problem(file, lines.line(where), f"jobs[{index}]", message))
            continue
        data = dict(entry)
        key = data.pop(KEY, None)
        name = f"jobs[{index}].{KEY}"
        if not isinstance(key, str) or not key.strip() or len(key) > KEY_LENGTH:
            message = _(
                "Give the job a key of 1 to %(max)s characters, which names it "
                "in every import.",
                max=KEY_LENGTH,
            )
            problems.append(Problem(file, lines.line((*where, KEY)), name, message))
        elif key in seen:
            message = _(
                "The key '%(key)s' names another job of the file already "
                "(line %(line)s).",
                key=key,
                line=seen[key],
            )
            problems.append(Problem(file, lines.line((*where, KEY)), name, message))
        else:
            seen[key] = lines.line((*where, KEY))
        after_keys = _stand_in_links(data)
        try:
            values = JobSchema().load(data)
        except ValidationError as error:
            for path, message in _flatten(error.normalized_messages()):
                label = ".".join(str(part) for part in path)
                problems.append(
                    Problem(
                        file,
                        lines.line((*where, *path)),
                        f"jobs[{index}].{label}",
                        message,
                    )
                )
            continue
        if after_keys is not None:
            values[RUN_AFTER] = _links_by_key(values[RUN_AFTER], after_keys)
            data[RUN_AFTER] = values[RUN_AFTER]
        loaded.append((key, data, values))
    return problems, loaded


def _stand_in_links(data) -> dict | None:
    """Name the links of ``data`` by a stand-in id for the schema; {stand-in: key}.

    A file names the jobs a job runs after by their keys, which the import
    resolves once it knows every job (:func:`_resolve_links`). A link
    without a key is left for the schema to refuse.
    """
    run_after = data.get(RUN_AFTER)
    if not isinstance(run_after, dict) or not isinstance(run_after.get("jobs"), list):
        return None
    keys, links = {}, []
    for link in run_after["jobs"]:
        if isinstance(link, dict) and isinstance(link.get(KEY), str):
            stand_in = str(uuid.uuid5(uuid.NAMESPACE_URL, link[KEY]))
            keys[stand_in] = link[KEY]
            link = {**{k: v for k, v in link.items() if k != KEY}, "id": stand_in}
        links.append(link)
    data[RUN_AFTER] = {**run_after, "jobs": links}
    return keys


def _stored(name, values):
    """A loaded value as the job stores it (a schedule as its dict)."""
    value = values[name]
    if name == "schedule" and value is not None:
        return value.data
    return value


def _differences(job: Job, values: dict, keys: dict) -> dict:
    """``{field: (stored, wanted)}`` for each field the file changes.

    Links are compared by key (``keys``: id text -> key).
    """
    differences = {}
    for name in values:
        before = getattr(job, name)
        if name == RUN_AFTER:
            before = _links_by_key(before, keys)
        after = _stored(name, values)
        if before != after:
            differences[name] = (copy.deepcopy(before), copy.deepcopy(after))
    return differences


def _find(jobs_by_key, jobs_by_id, key):
    found = jobs_by_key.get(key)
    if found is not None:
        return found
    try:
        as_id = uuid.UUID(key)
    except ValueError:
        return None
    job = jobs_by_id.get(as_id)
    return job if job is not None and job.code_key is None else None


def plan_import(text: str, file: str | None = None, prune: bool = False):
    """What importing ``text`` does; :class:`JobsFileError` with every problem.

    Returns the plan and the work: ``(key, data, job or None, differences)``.
    """
    entries, lines = _read_file(text, file)
    problems, loaded = _check_entries(entries, lines, file)
    if problems:
        raise JobsFileError(problems)
    jobs = db.session.scalars(sa.select(Job)).all()
    by_key = {job.code_key: job for job in jobs if job.code_key}
    by_id = {job.id: job for job in jobs}
    keys = {str(job.id): key_of(job) for job in jobs}
    _check_link_keys(loaded, entries, by_key, by_id, lines, file)
    plan, work, named = Plan(), [], set()
    for key, data, values in loaded:
        job = _find(by_key, by_id, key)
        if job is None:
            plan.created.append(Change(key, values["title"]))
            work.append((key, data, None, {}))
            continue
        named.add(job.id)
        differences = _differences(job, values, keys)
        if differences:
            plan.changed.append(Change(key, job.title, differences))
        else:
            plan.unchanged.append(key)  # its key is still recorded, if new
        work.append((key, data, job, differences))
    if prune:
        for job in jobs:
            if job.id not in named:
                plan.deleted.append(Change(key_of(job), job.title))
                work.append((None, None, job, None))
    return plan, work


def _check_link_keys(loaded, entries, by_key, by_id, lines, file):
    """Every key a link names is a job of the file or of the database."""
    in_file = {key for key, _data, _values in loaded}
    problems = []
    for index, entry in enumerate(entries):
        run_after = entry.get(RUN_AFTER) if isinstance(entry, dict) else None
        links = run_after.get("jobs") if isinstance(run_after, dict) else None
        for position, link in enumerate(links if isinstance(links, list) else ()):
            key = link.get(KEY) if isinstance(link, dict) else None
            if key is None or key in in_file or _find(by_key, by_id, key):
                continue
            where = ("jobs", index, RUN_AFTER, "jobs", position, KEY)
            message = _("No job has the key '%(key)s'.", key=key)
            label = f"jobs[{index}].{RUN_AFTER}.jobs.{position}.{KEY}"
            problems.append(Problem(file, lines.line(where), label, message))
    if problems:
        raise JobsFileError(problems)


def _resolve_links(run_after, ids: dict):
    """``run_after`` of a file, each job named by its id (``ids``: key -> id)."""
    if not run_after:
        return run_after
    jobs = [
        {"id": str(ids[link[KEY]]), "statuses": link["statuses"]}
        for link in run_after["jobs"]
    ]
    return {**run_after, "jobs": jobs}


@unit_of_work()
def import_jobs(
    identity, text: str, file=None, dry_run=False, prune=False, uow=None
) -> Plan:
    """Apply a file of jobs, all or nothing; with ``dry_run``, only say what.

    The jobs are created, changed and deleted through the jobs service in
    the caller's (or one) unit of work: one commit for the whole file.
    """
    current_jobs_service.require_permission(identity, "import_jobs")
    plan, work = plan_import(text, file, prune)
    plan.dry_run = dry_run
    if dry_run:
        return plan
    service = current_jobs_service
    # Links last, once every job of the file exists: they name jobs by key.
    ids, links = {}, []
    for key, data, job, differences in work:
        if key is None:
            service.delete(identity, str(job.id), uow=uow)
            continue
        run_after = data.get(RUN_AFTER)
        data = {name: value for name, value in data.items() if name != RUN_AFTER}
        if job is None:
            item = service.create(identity, data, uow=uow)
            job = service.get_job(str(item.id))
            if run_after:
                links.append((job, run_after))
        elif differences:
            # A field the file leaves out takes its default, as on creation.
            changed = {
                name: data.get(name, after)
                for name, (_before, after) in differences.items()
                if name != RUN_AFTER
            }
            if changed:
                service.update(identity, str(job.id), changed, uow=uow)
            if RUN_AFTER in differences:
                links.append((job, run_after))
        job.code_key = key
        ids[key] = job.id
    db.session.flush()
    for job, run_after in links:
        for link in (run_after or {}).get("jobs") or ():
            if link[KEY] not in ids:
                ids[link[KEY]] = _find_id(link[KEY])
        resolved = _resolve_links(run_after, ids)
        service.update(identity, str(job.id), {RUN_AFTER: resolved}, uow=uow)
    db.session.flush()
    return plan


def _find_id(key):
    """The id of the database's job with this key (or, never imported, this id)."""
    jobs = db.session.scalars(sa.select(Job)).all()
    by_key = {job.code_key: job for job in jobs if job.code_key}
    return _find(by_key, {job.id: job for job in jobs}, key).id


def export_for(identity, refs=None) -> str:
    """The YAML of the jobs named (all when none), for an administrator."""
    current_jobs_service.require_permission(identity, "export_jobs")
    return export_jobs(jobs_to_export(refs))
