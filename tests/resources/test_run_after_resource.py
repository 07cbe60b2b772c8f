# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``run_after`` through the API: saved, shown both ways, checked, cloned."""

import uuid

import flask_babel
import pytest
import sqlalchemy as sa
from helpers import service_job

from invenio_jobs import lifecycle
from invenio_jobs.models import Job, Run, RunStatusEnum, utcnow

pytestmark = pytest.mark.usefixtures("empty_tables")


@pytest.fixture(scope="module")
def app_config(app_config):
    """German among the languages, for the tests of translated messages."""
    app_config["I18N_LANGUAGES"] = [("de", "Deutsch")]
    return app_config


def job(client, title, **values):
    res = client.post(
        "/jobs", json={"title": title, "task": "no_args", "run_args": {}, **values}
    )
    assert res.status_code == 201, res.json
    return res.json["id"]


def after(*ids, **values):
    return {"jobs": [{"id": each} for each in ids], **values}


def test_a_job_saved_to_run_after_others_shows_them_both_ways(app, admin_client):
    """The job shows what runs before it, the other what runs after it."""
    a = job(admin_client, "Import ROR")
    b = job(admin_client, "Relink affiliations", run_after=after(a, delay_seconds=30))

    read_b = admin_client.get(f"/jobs/{b}").json
    assert read_b["run_after"] == {
        "jobs": [{"id": a, "statuses": ["SUCCESS", "PARTIAL_SUCCESS"]}],
        "mode": "any",
        "delay_seconds": 30,
    }
    assert read_b["predecessors"] == [
        {"id": a, "title": "Import ROR", "statuses": ["PARTIAL_SUCCESS", "SUCCESS"]}
    ]
    read_a = admin_client.get(f"/jobs/{a}").json
    assert read_a["successors"] == [
        {"id": b, "title": "Relink affiliations", "active": True}
    ]
    # No jobs is no link.
    res = admin_client.put(f"/jobs/{b}", json={"run_after": {"jobs": []}})
    assert res.status_code == 200, res.json
    assert admin_client.get(f"/jobs/{b}").json["run_after"] is None


def test_a_cycle_is_refused_with_a_400_naming_it(app, db, admin_client):
    """A → B → C, then A after C: refused, naming the cycle by titles; nothing changes."""
    a = job(admin_client, "A")
    b = job(admin_client, "B", run_after=after(a))
    job(admin_client, "C", run_after=after(b))
    c = db.session.scalar(sa.select(Job.id).where(Job.title == "C"))

    res = admin_client.put(f"/jobs/{a}", json={"run_after": after(str(c))})
    assert res.status_code == 400
    text = str(res.json)
    assert "A → B → C → A" in text, text
    assert "run_after" in text
    assert admin_client.get(f"/jobs/{a}").json["run_after"] is None

    res = admin_client.put(f"/jobs/{a}", json={"run_after": after(a)})
    assert res.status_code == 400 and "itself" in str(res.json)
    res = admin_client.put(f"/jobs/{a}", json={"run_after": {"jobs": [{}]}})
    assert res.status_code == 400 and "jobs" in str(res.json)


@pytest.mark.parametrize(
    "run_after, field",
    [
        ({"jobs": [{"id": str(uuid.uuid4())}]}, "jobs"),
        ({"jobs": [{"id": "nope"}]}, "jobs"),
        ({"jobs": [], "mode": "some"}, "mode"),
        ({"jobs": [], "delay_seconds": -1}, "delay_seconds"),
        ({"jobs": [], "delay_seconds": 10**9}, "delay_seconds"),
        ({"jobs": [{"id": None}]}, "jobs"),
        ({"jobs": [], "extra": 1}, "extra"),
        ("A", "run_after"),
    ],
)
def test_bad_links_are_400s_naming_the_field(app, admin_client, run_after, field):
    """Missing jobs, bad modes, delays and shapes: a 400, nothing saved."""
    res = admin_client.post(
        "/jobs",
        json={"title": "X", "task": "no_args", "run_args": {}, "run_after": run_after},
    )
    assert res.status_code == 400, res.json
    assert field in str(res.json)


def test_statuses_are_checked_and_each_job_named_once(app, admin_client):
    """A status that is no end, or a job twice: refused."""
    a = job(admin_client, "A")
    for run_after in (
        {"jobs": [{"id": a, "statuses": ["RUNNING"]}]},
        {"jobs": [{"id": a, "statuses": []}]},
        {"jobs": [{"id": a}, {"id": a}]},
    ):
        res = admin_client.post(
            "/jobs",
            json={"title": "X", "task": "no_args", "run_after": run_after},
        )
        assert res.status_code == 400, run_after


def test_a_clone_runs_after_the_same_jobs(app, admin_client):
    """The copy keeps the links (and, inactive, starts nothing until switched on)."""
    a = job(admin_client, "A")
    b = job(admin_client, "B", run_after=after(a, mode="all"))
    copy = admin_client.post(f"/jobs/{b}/actions/clone").json
    assert copy["run_after"] == admin_client.get(f"/jobs/{b}").json["run_after"]


def test_a_run_started_by_an_end_links_it(app, db, admin_client):
    """The run's JSON says ``after`` and names the run: "#1 of Import ROR"."""
    a = service_job("no_args", title="Import ROR")
    b = service_job("no_args", title="B", run_after=after(a))
    end = Run(
        id=uuid.uuid4(),
        job_id=uuid.UUID(a),
        number=1,
        status=RunStatusEnum.SUCCESS,
        queue="celery",
        args={},
        finished_at=utcnow(),
    )
    db.session.add(end)
    db.session.commit()
    lifecycle.start_after(end.id, db.session.connection())
    db.session.commit()
    runs = admin_client.get(f"/jobs/{b}/runs").json["hits"]["hits"]
    (run,) = runs
    assert run["trigger"] == "after"
    assert run["after_run_id"] == str(end.id)
    assert run["after"] == {
        "run_id": str(end.id),
        "number": 1,
        "job_id": a,
        "job_title": "Import ROR",
    }


def test_the_cycle_is_named_in_the_readers_language(app, admin_client):
    """A German reader is told of the "Kreislauf"."""
    a = job(admin_client, "A")
    b = job(admin_client, "B", run_after=after(a))
    flask_babel.refresh()
    try:
        res = admin_client.put(
            f"/jobs/{a}",
            json={"run_after": after(b)},
            headers={"Accept-Language": "de"},
        )
    finally:
        flask_babel.refresh()
    assert res.status_code == 400
    assert "Ausführen nach: Das ergäbe einen Kreislauf: A → B → A." in str(res.json)


def test_a_deleted_job_leaves_the_links_of_the_jobs_after_it(app, admin_client):
    """B after A and C: A deleted, B runs after C only; C deleted, after none."""
    a, c = job(admin_client, "A"), job(admin_client, "C")
    b = job(admin_client, "B", run_after=after(a, c, mode="all"))
    assert admin_client.delete(f"/jobs/{a}").status_code == 204
    run_after = admin_client.get(f"/jobs/{b}").json["run_after"]
    assert [link["id"] for link in run_after["jobs"]] == [c]
    assert run_after["mode"] == "all"
    assert admin_client.delete(f"/jobs/{c}").status_code == 204
    assert admin_client.get(f"/jobs/{b}").json["run_after"] is None
