# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Per-job grants over the REST API, with real users and roles logged in.

Permissions are cached as InvenioRDM ships them (invenio-cache on Redis), so
that a revoked grant is seen to stop working at the next request, not when a
cache entry expires. Everything is committed for real.
"""

import uuid
from types import SimpleNamespace

import pytest
from helpers import count_queries
from invenio_accounts.testutils import login_user_via_session

from invenio_jobs.models import Run, RunLog, RunStatusEnum, utcnow

pytestmark = pytest.mark.usefixtures("empty_tables")


@pytest.fixture(scope="module")
def app_config(app_config, broker_uri):
    """Permissions cached as InvenioRDM ships them: invenio-cache, on Redis."""
    app_config["ACCESS_CACHE"] = "invenio_cache:current_cache"
    if broker_uri.startswith("redis"):
        app_config["CACHE_TYPE"] = "flask_caching.backends.RedisCache"
        app_config["CACHE_REDIS_URL"] = broker_uri
    else:
        app_config["CACHE_TYPE"] = "flask_caching.backends.SimpleCache"
    app_config["CACHE_KEY_PREFIX"] = f"access-{uuid.uuid4()}::"
    return app_config


@pytest.fixture()
def db(database):
    """The module's database, committed for real, as requests commit."""
    return database


@pytest.fixture(scope="module")
def people(app, database, users, UserFixture):
    """Curators (not administrators) and a role with two members: ids and names."""
    from invenio_accounts.proxies import current_datastore

    made = {"admin": users["admin"].user}
    for name in ("reader", "runner", "manager", "member1", "member2", "outsider"):
        made[name] = (
            UserFixture(
                email=f"{name}@example.org", password=f"{name}-pass", username=name
            )
            .create(app, database)
            .user
        )
    role = current_datastore.create_role(name="harvest-curators", description="")
    for name in ("member1", "member2"):
        current_datastore.add_role_to_user(made[name], role)
    database.session.commit()
    found = {
        name: SimpleNamespace(id=user.id, email=user.email)
        for name, user in made.items()
    }
    found["role"] = SimpleNamespace(id=role.id, name=role.name)
    return found


@pytest.fixture()
def client_of(app, people):
    """A test client logged in as one of the people."""

    def client(name):
        new = app.test_client()
        login_user_via_session(new, email=people[name].email)
        return new

    return client


def create_job(client, title):
    """A job made by the administrator; its id."""
    res = client.post(
        "/jobs",
        json={"title": title, "task": "mock_echo", "run_args": {"message": "hi"}},
    )
    assert res.status_code == 201, res.json
    return res.json["id"]


def grant(client, job_id, *grants):
    """Replace a job's grants: ``(type, id, permission)`` each."""
    body = {
        "grants": [
            {"subject": {"type": kind, "id": str(subject)}, "permission": permission}
            for kind, subject, permission in grants
        ]
    }
    res = client.put(f"/jobs/{job_id}/access", json=body)
    assert res.status_code == 200, res.json
    return res.json


@pytest.fixture()
def two_jobs(client_of, db):
    """Jobs A and B, each with a run that wrote a log line; made by the administrator."""
    admin = client_of("admin")
    jobs = {}
    for name in ("A", "B"):
        job_id = create_job(admin, f"Job {name}")
        run = admin.post(f"/jobs/{job_id}/runs", json={}).json
        db.session.add(
            RunLog(
                run_id=uuid.UUID(run["id"]),
                timestamp=utcnow(),
                level="INFO",
                logger="test",
                message=f"line of {name}",
            )
        )
        jobs[name] = {"id": job_id, "run": run["id"]}
    db.session.commit()
    return admin, jobs


def test_a_reader_sees_job_a_and_nothing_of_job_b(two_jobs, client_of, people):
    """``read`` on A: A in the list, its page, runs and logs; B is not found."""
    admin, jobs = two_jobs
    a, b = jobs["A"], jobs["B"]
    grant(admin, a["id"], ("user", people["reader"].email, "read"))
    reader = client_of("reader")

    listed = reader.get("/jobs").json
    assert [hit["id"] for hit in listed["hits"]["hits"]] == [a["id"]]
    assert listed["hits"]["total"] == 1
    assert reader.get(f"/jobs/{a['id']}").status_code == 200
    runs = reader.get(f"/jobs/{a['id']}/runs").json
    assert [run["id"] for run in runs["hits"]["hits"]] == [a["run"]]
    assert reader.get(f"/jobs/{a['id']}/runs/{a['run']}").status_code == 200
    tail = reader.get(f"/jobs/{a['id']}/runs/{a['run']}/logs")
    assert [hit["message"] for hit in tail.json["hits"]] == ["line of A"]
    text = reader.get(f"/jobs/{a['id']}/runs/{a['run']}/logs.txt")
    assert text.status_code == 200 and "line of A" in text.get_data(as_text=True)
    logs = reader.get(f"/logs/jobs?q={a['run']}").json
    assert [hit["message"] for hit in logs["hits"]["hits"]] == ["line of A"]

    for url in (
        f"/jobs/{b['id']}",
        f"/jobs/{b['id']}/runs",
        f"/jobs/{b['id']}/runs/{b['run']}",
        f"/jobs/{b['id']}/runs/{b['run']}/logs",
        f"/jobs/{b['id']}/runs/{b['run']}/logs.txt",
        f"/jobs/{b['id']}/access",
    ):
        assert reader.get(url).status_code == 404, url
    assert reader.get(f"/logs/jobs?q={b['run']}").json["hits"]["hits"] == []
    assert reader.get(f"/logs/jobs?q={b['id']}").json["hits"]["hits"] == []
    # A search across runs finds the lines of the readable jobs only.
    found = reader.get('/logs/jobs?q="line of"').json["hits"]["hits"]
    assert [hit["message"] for hit in found] == ["line of A"]
    every = admin.get('/logs/jobs?q="line of"').json["hits"]["hits"]
    assert sorted(hit["message"] for hit in every) == ["line of A", "line of B"]

    # Reading is all: the rest of A is refused, and said so (403).
    assert reader.post(f"/jobs/{a['id']}/runs", json={}).status_code == 403
    stop = f"/jobs/{a['id']}/runs/{a['run']}/actions/stop"
    assert reader.post(stop).status_code == 403
    assert reader.put(f"/jobs/{a['id']}", json={"title": "Mine"}).status_code == 403
    assert reader.delete(f"/jobs/{a['id']}").status_code == 403
    assert reader.get(f"/jobs/{a['id']}/access").status_code == 403
    assert reader.post(
        "/jobs", json={"title": "X", "task": "mock_echo"}
    ).status_code == (403)
    assert admin.get(f"/jobs/{a['id']}").json["title"] == "Job A"


def test_a_runner_starts_and_stops_the_runs_of_job_a(two_jobs, client_of, people, db):
    """``run`` on A: Run now and Stop work on A; editing A and all of B do not."""
    admin, jobs = two_jobs
    a, b = jobs["A"], jobs["B"]
    grant(admin, a["id"], ("user", people["runner"].id, "run"))
    runner = client_of("runner")

    started = runner.post(f"/jobs/{a['id']}/runs", json={})
    assert started.status_code == 201, started.json
    assert started.json["started_by"]["id"] == str(people["runner"].id)
    running = Run(
        id=uuid.uuid4(),
        job_id=uuid.UUID(a["id"]),
        queue="celery",
        status=RunStatusEnum.RUNNING,
        task_id=str(uuid.uuid4()),
    )
    db.session.add(running)
    db.session.commit()
    stopped = runner.post(f"/jobs/{a['id']}/runs/{running.id}/actions/stop")
    assert stopped.status_code == 202, stopped.json
    assert stopped.json["status"] == "CANCELLING"

    assert runner.put(f"/jobs/{a['id']}", json={"title": "Mine"}).status_code == 403
    assert runner.get(f"/jobs/{a['id']}/access").status_code == 403
    assert runner.post(f"/jobs/{b['id']}/runs", json={}).status_code == 404
    stop_b = f"/jobs/{b['id']}/runs/{b['run']}/actions/stop"
    assert runner.post(stop_b).status_code == 404


def test_a_manager_edits_job_a_and_its_grants(two_jobs, client_of, people):
    """``manage`` on A: A is edited and its grants changed; B stays out of reach."""
    admin, jobs = two_jobs
    a, b = jobs["A"], jobs["B"]
    grant(admin, a["id"], ("user", people["manager"].id, "manage"))
    manager = client_of("manager")

    res = manager.put(f"/jobs/{a['id']}", json={"title": "Job A, renamed"})
    assert res.status_code == 200, res.json
    assert res.json["title"] == "Job A, renamed"
    assert manager.put(f"/jobs/{a['id']}", json={"active": False}).status_code == 200
    answer = grant(
        manager,
        a["id"],
        ("user", people["manager"].id, "manage"),
        ("user", people["reader"].email, "read"),
    )
    assert {(g["subject"]["id"], g["permission"]) for g in answer["grants"]} == {
        (str(people["manager"].id), "manage"),
        (str(people["reader"].id), "read"),
    }
    assert client_of("reader").get(f"/jobs/{a['id']}").status_code == 200
    assert manager.put(f"/jobs/{b['id']}", json={"title": "No"}).status_code == 404
    assert manager.put(f"/jobs/{b['id']}/access", json={"grants": []}).status_code == (
        404
    )
    assert manager.post(
        "/jobs", json={"title": "X", "task": "mock_echo"}
    ).status_code == (403)


def test_a_role_grant_works_for_every_member(two_jobs, client_of, people):
    """A grant to a role (by name) is every member's; not a non-member's."""
    admin, jobs = two_jobs
    a = jobs["A"]
    answer = grant(admin, a["id"], ("role", "harvest-curators", "run"))
    assert answer["grants"] == [
        {
            "subject": {
                "type": "role",
                "id": str(people["role"].id),
                "name": "harvest-curators",
            },
            "permission": "run",
        }
    ]
    for member in ("member1", "member2"):
        client = client_of(member)
        assert [h["id"] for h in client.get("/jobs").json["hits"]["hits"]] == [a["id"]]
        assert client.post(f"/jobs/{a['id']}/runs", json={}).status_code == 201
    outsider = client_of("outsider")
    assert outsider.get(f"/jobs/{a['id']}").status_code == 404
    # Without any grant, the list is refused, as InvenioRDM refuses it.
    assert outsider.get("/jobs").status_code == 403


def test_revoking_takes_effect_at_the_next_request(two_jobs, client_of, people):
    """A revoked grant is refused at once, though the granted check was cached."""
    admin, jobs = two_jobs
    a = jobs["A"]
    grant(
        admin,
        a["id"],
        ("user", people["reader"].id, "read"),
        ("role", people["role"].id, "read"),
    )
    reader, member = client_of("reader"), client_of("member1")
    for client in (reader, member):
        assert client.get(f"/jobs/{a['id']}").status_code == 200
        assert client.get(f"/jobs/{a['id']}").status_code == 200  # from the cache

    grant(admin, a["id"], ("role", people["role"].id, "read"))  # the user's revoked
    assert reader.get(f"/jobs/{a['id']}").status_code == 404
    assert reader.get("/jobs").json["hits"]["hits"] == []
    assert member.get(f"/jobs/{a['id']}").status_code == 200

    grant(admin, a["id"])  # every grant revoked
    assert member.get(f"/jobs/{a['id']}").status_code == 404
    assert member.get(f"/jobs/{a['id']}/runs/{a['run']}/logs").status_code == 404


def test_administrators_are_unaffected(two_jobs, people):
    """Grants to others change nothing for an administrator: every job, every action."""
    admin, jobs = two_jobs
    grant(admin, jobs["A"]["id"], ("user", people["reader"].id, "read"))
    listed = admin.get("/jobs").json
    assert {hit["id"] for hit in listed["hits"]["hits"]} == {
        jobs["A"]["id"],
        jobs["B"]["id"],
    }
    assert admin.get(f"/jobs/{jobs['B']['id']}/access").json == {"grants": []}
    assert admin.post(f"/jobs/{jobs['B']['id']}/runs", json={}).status_code == 201


def test_the_grants_of_a_job_as_the_api_gives_them(two_jobs, people):
    """Users by id with their e-mail, then roles with their name; once each."""
    admin, jobs = two_jobs
    answer = grant(
        admin,
        jobs["A"]["id"],
        ("role", "harvest-curators", "read"),
        ("user", people["reader"].id, "read"),
        ("user", people["reader"].email.upper(), "read"),  # the same grant
        ("user", people["runner"].email, "run"),
    )
    assert answer == admin.get(f"/jobs/{jobs['A']['id']}/access").json
    assert [
        (g["subject"]["type"], g["subject"].get("email"), g["permission"])
        for g in answer["grants"]
    ] == [
        ("user", "reader@example.org", "read"),
        ("user", "runner@example.org", "run"),
        ("role", None, "read"),
    ]


@pytest.mark.parametrize(
    "body,field",
    [
        ([], "body"),
        ({"grants": "all"}, "grants"),
        ({"grants": ["reader"]}, "grants[0]"),
        (
            {"grants": [{"subject": {"type": "user", "id": "1"}}]},
            "grants[0].permission",
        ),
        (
            {"grants": [{"subject": {"type": "user", "id": "1"}, "permission": "own"}]},
            "grants[0].permission",
        ),
        (
            {"grants": [{"subject": "reader", "permission": "read"}]},
            "grants[0].subject",
        ),
        (
            {
                "grants": [
                    {"subject": {"type": "group", "id": "1"}, "permission": "read"}
                ]
            },
            "grants[0].subject.type",
        ),
        (
            {"grants": [{"subject": {"type": "user"}, "permission": "read"}]},
            "grants[0].subject.id",
        ),
        (
            {
                "grants": [
                    {
                        "subject": {"type": "role", "id": "harvest-curators"},
                        "permission": "run",
                    },
                    {
                        "subject": {"type": "user", "id": "nobody@example.org"},
                        "permission": "read",
                    },
                ]
            },
            "grants[1].subject.id",
        ),
        (
            {
                "grants": [
                    {
                        "subject": {"type": "role", "id": "no-such-role"},
                        "permission": "read",
                    }
                ]
            },
            "grants[0].subject.id",
        ),
        (
            {
                "grants": [
                    {"subject": {"type": "user", "id": "999999"}, "permission": "read"}
                ]
            },
            "grants[0].subject.id",
        ),
    ],
)
def test_a_bad_grant_is_a_400_naming_its_field_and_changes_nothing(
    two_jobs, people, body, field
):
    """Every fault of a ``PUT`` names the field; the grants stay as they were."""
    admin, jobs = two_jobs
    url = f"/jobs/{jobs['A']['id']}/access"
    before = grant(admin, jobs["A"]["id"], ("user", people["reader"].id, "read"))
    res = admin.put(url, json=body)
    assert res.status_code == 400, res.json
    assert [error["field"] for error in res.json["errors"]] == [field]
    assert admin.get(url).json == before


def test_the_access_of_an_unknown_job_is_not_found(client_of):
    """A job that does not exist: 404, for an administrator too."""
    admin = client_of("admin")
    url = f"/jobs/{uuid.uuid4()}/access"
    assert admin.get(url).status_code == 404
    assert admin.put(url, json={"grants": []}).status_code == 404
    assert admin.get("/jobs/not-a-uuid/access").status_code == 404


def test_anonymous_callers_are_refused(two_jobs, app):
    """Without a login: the list and the log search are 403, a job 404."""
    __, jobs = two_jobs
    anonymous = app.test_client()
    assert anonymous.get("/jobs").status_code == 403
    assert anonymous.get(f"/logs/jobs?q={jobs['A']['run']}").status_code == 403
    assert anonymous.get(f"/jobs/{jobs['A']['id']}").status_code == 404


def test_deleting_a_job_deletes_its_grants(two_jobs, client_of, people, db):
    """A deleted job leaves no grant behind."""
    from invenio_access.models import ActionUsers

    admin, jobs = two_jobs
    grant(admin, jobs["A"]["id"], ("user", people["reader"].id, "read"))
    assert admin.delete(f"/jobs/{jobs['A']['id']}").status_code == 204
    left = ActionUsers.query.filter_by(argument=jobs["A"]["id"]).count()
    assert left == 0


def test_the_list_costs_one_statement_more_for_a_curator(
    two_jobs, client_of, people, db
):
    """Administrators: the list's statements as before; others: one more, their grants."""
    admin, jobs = two_jobs
    grant(admin, jobs["A"]["id"], ("user", people["reader"].id, "read"))
    reader = client_of("reader")
    engine = db.session.get_bind()
    for client in (admin, reader):
        client.get("/jobs")  # the login and the permission cache settle
    with count_queries(engine) as by_admin:
        assert len(admin.get("/jobs").json["hits"]["hits"]) == 2
    with count_queries(engine) as by_reader:
        assert len(reader.get("/jobs").json["hits"]["hits"]) == 1
    grants_read = [s for s in by_reader if "access_actions" in s]
    assert [s for s in by_admin if "access_actions" in s] == []
    assert len(grants_read) == 1, grants_read
    job_statements = [s for s in by_admin if "jobs_" in s]
    assert len(job_statements) == 3, job_statements
    assert len([s for s in by_reader if "jobs_" in s]) == 3


def test_a_check_of_a_job_is_one_cache_read_also_when_refused(
    app, two_jobs, people, monkeypatch
):
    """Allowed, refused (403) or unseen (404): the job's grants in one ``MGET``.

    The refusal's second check (may they read it?) finds every grant of the
    job already read in the request.
    """
    from invenio_access.proxies import current_access
    from invenio_access.utils import get_identity
    from invenio_accounts.models import User
    from invenio_db import db as db_
    from invenio_records_resources.services.errors import PermissionDeniedError

    from invenio_jobs.proxies import current_runs_service
    from invenio_jobs.services.errors import JobNotFoundError
    from invenio_jobs.services.grants import require_on_job

    admin, jobs = two_jobs
    a, b = jobs["A"]["id"], jobs["B"]["id"]
    grant(admin, a, ("user", people["reader"].id, "read"))
    identity = get_identity(db_.session.get(User, people["reader"].id))
    cache = current_access.cache
    trips = []
    for name in ("get", "get_many"):
        original = getattr(cache, name)

        def counted(*keys, _name=name, _original=original):
            trips.append((_name, len(keys)))
            return _original(*keys)

        monkeypatch.setattr(cache, name, counted)

    def attempt(action, job_id):
        """One check in a request of its own, as a route makes it."""
        trips.clear()
        with app.test_request_context():
            try:
                require_on_job(current_runs_service, identity, action, job_id)
                return 200
            except PermissionDeniedError:
                return 403
            except JobNotFoundError:
                return 404

    for job_id in (a, b):  # the grants of both jobs come to the cache
        attempt("create", job_id)
    # administration-access, superuser-access and the job's three actions
    assert (attempt("read", a), trips) == (200, [("get_many", 5)])
    assert (attempt("create", a), trips) == (403, [("get_many", 5)])
    assert (attempt("create", b), trips) == (404, [("get_many", 5)])


def test_grants_and_revocations_are_in_the_history(two_jobs, client_of, people):
    """Each grant given and taken is one entry, readable by whoever may read the job."""
    admin, jobs = two_jobs
    a = jobs["A"]
    grant(admin, a["id"], ("user", people["reader"].email, "read"))
    reader = client_of("reader")
    assert reader.get(f"/jobs/{a['id']}/history").status_code == 200
    assert reader.get(f"/jobs/{jobs['B']['id']}/history").status_code == 404
    grant(admin, a["id"])
    entries = admin.get(f"/jobs/{a['id']}/history").json["hits"]["hits"]
    granted = [e for e in entries if e["action"] in ("granted", "revoked")]
    subject = {"type": "user", "id": str(people["reader"].id)}
    assert [(e["action"], e["details"]) for e in granted] == [
        ("revoked", {"subject": subject, "permission": "read"}),
        ("granted", {"subject": subject, "permission": "read"}),
    ]
