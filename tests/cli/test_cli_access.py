# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs access``: list, grant and revoke a job's grants."""

import json

import pytest
from helpers import service_job

pytestmark = pytest.mark.usefixtures("empty_tables")


@pytest.fixture(scope="module")
def curators(app, database, users):
    """A role with the plain user as its member."""
    from invenio_accounts.models import User
    from invenio_accounts.proxies import current_datastore

    role = current_datastore.create_role(name="curators", description="")
    user = database.session.get(User, users["user"].id)
    current_datastore.add_role_to_user(user, role)
    database.session.commit()
    return role.name


def grants(invoke, job_id):
    """The job's grants as ``(type, who, permission)``."""
    result = invoke("access", job_id, "--json")
    assert result.exit_code == 0, result.output
    return [
        (
            g["subject"]["type"],
            g["subject"].get("email") or g["subject"]["name"],
            g["permission"],
        )
        for g in json.loads(result.output)["grants"]
    ]


def test_grant_list_and_revoke(app, invoke, users, curators):
    """Grants by e-mail and role name are listed, and revoked one or all."""
    job_id = service_job(task="mock_echo", run_args={"message": "hi"}, title="Harvest")
    result = invoke("access", job_id)
    assert result.exit_code == 0, result.output
    assert "No one but the administrators" in result.output

    result = invoke(
        "access", "Harvest", "--grant", "read", "--user", "user@example.org"
    )
    assert result.exit_code == 0, result.output
    assert "Granted read to user user@example.org." in result.output
    assert invoke("access", job_id, "--grant", "run", "--role", curators).exit_code == 0
    assert (
        invoke(
            "access", job_id, "--grant", "manage", "--user", "user@example.org"
        ).exit_code
        == 0
    )
    assert grants(invoke, job_id) == [
        ("user", "user@example.org", "read"),
        ("user", "user@example.org", "manage"),
        ("role", "curators", "run"),
    ]
    listed = invoke("access", job_id)
    assert "user@example.org" in listed.output and "curators" in listed.output

    result = invoke(
        "access", job_id, "--revoke", "--grant", "read", "--user", "user@example.org"
    )
    assert result.exit_code == 0, result.output
    assert grants(invoke, job_id) == [
        ("user", "user@example.org", "manage"),
        ("role", "curators", "run"),
    ]
    assert invoke("access", job_id, "--revoke", "--role", curators).exit_code == 0
    assert grants(invoke, job_id) == [("user", "user@example.org", "manage")]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--grant", "read"], "--grant needs --user EMAIL or --role NAME."),
        (["--revoke"], "--revoke needs --user EMAIL or --role NAME."),
        (["--user", "user@example.org"], "Give --grant or --revoke"),
        (["--grant", "read", "--user", "nobody@example.org"], "There is no user"),
        (["--grant", "read", "--role", "no-such-role"], "There is no role"),
        (["--grant", "read", "--user", "a@b.c", "--role", "x"], "not both"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(app, invoke, users, args, message):
    """Each fault: exit code 2, one line saying what is wrong, no grant made."""
    job_id = service_job(task="mock_echo", run_args={"message": "hi"})
    result = invoke("access", job_id, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert grants(invoke, job_id) == []


def test_an_unknown_job(invoke):
    """A job that does not exist is said so."""
    result = invoke("access", "no such job")
    assert result.exit_code == 2
