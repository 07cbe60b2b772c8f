# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs ...``: every command, its JSON, its errors and exit codes.

Celery runs eagerly here, so ``run --wait`` sees its run end in-process.
"""

import json
import uuid
from datetime import datetime

import pytest
from invenio_access.permissions import system_identity

from invenio_jobs.cli import parse_value
from invenio_jobs.proxies import current_jobs_service, current_runs_service


def as_json(result):
    """The JSON a command printed, after checking that it succeeded."""
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def job_count(invoke) -> int:
    """How many jobs exist, through the CLI."""
    return as_json(invoke("list", "--json"))["total"]


def create(invoke, *args) -> dict:
    """Create a job through the CLI; return its JSON."""
    return as_json(invoke("create", *args, "--json"))


pytestmark = pytest.mark.usefixtures("empty_tables")


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """The CLI's tables, unwrapped."""
    monkeypatch.setenv("COLUMNS", "250")


@pytest.fixture()
def echo_job(app, db, invoke):
    """A job of the echo type, scheduled at 02:00 in Zurich."""
    return create(
        invoke,
        *("--type", "mock_echo", "--title", "Echo job"),
        *("--cron", "0 2 * * *", "--timezone", "Europe/Zurich"),
        *("--arg", "message=hello", "--arg", "count=3"),
    )


@pytest.fixture()
def controlled_job(app, db, invoke):
    """A job whose runs succeed, fail or partly fail on request."""
    return create(invoke, "--type", "mock_controlled", "--title", "Controlled")


@pytest.fixture()
def no_dispatch(monkeypatch):
    """Runs stay QUEUED: nothing is sent to a worker."""
    monkeypatch.setattr("invenio_jobs.services.uow.send_runs", lambda d: [])


@pytest.mark.parametrize(
    "text, value",
    [
        ("3", 3),
        ("2.5", 2.5),
        ("true", True),
        ("null", None),
        ("[1, 2]", [1, 2]),
        ('{"a": 1}', {"a": 1}),
        ("hello", "hello"),
        ("NaN", "NaN"),
        ("", ""),
    ],
)
def test_arg_values_are_json_when_they_parse(text, value):
    """``--arg k=v``: numbers, booleans, null and lists are JSON; the rest is text."""
    assert parse_value(text) == value


def test_types_lists_job_types_with_their_arguments(app, db, invoke):
    """A table of job types, and the same as JSON with every argument."""
    result = invoke("types")
    assert result.exit_code == 0, result.output
    assert "mock_echo" in result.output
    assert "message: string, required" in result.output
    items = {item["id"]: item for item in as_json(invoke("types", "--json"))}
    echo = {field["name"]: field for field in items["mock_echo"]["arguments"]}
    assert echo["message"]["required"] is True
    assert echo["count"] == {**echo["count"], "type": "integer", "default": 1}
    assert "since" in [field["name"] for field in items["no_args"]["arguments"]]


def test_create_stores_schedule_and_typed_arguments(app, db, invoke, echo_job):
    """Cron and time zone become the stored schedule; ``count=3`` is a number."""
    assert echo_job["schedule"]["hour"] == "2"
    assert echo_job["schedule"]["timezone"] == "Europe/Zurich"
    assert echo_job["run_args"]["count"] == 3
    assert echo_job["run_args"]["message"] == "hello"
    assert echo_job["active"] is True and echo_job["next_run"]


def test_create_with_interval_inactive_and_queue(app, db, invoke):
    """``--every`` gives an interval; ``--inactive`` means no next run."""
    job = create(
        invoke,
        *("-t", "no_args", "--title", "Every 4h", "--every", "4h"),
        *("--queue", "low", "--inactive", "--description", "d"),
    )
    assert job["schedule"] == {"type": "interval", "hours": 4}
    assert job["default_queue"] == "low" and job["description"] == "d"
    assert job["active"] is False and job["next_run"] is None


def test_list_shows_jobs_with_schedule_in_words(app, db, invoke, echo_job):
    """The table names the job and its schedule; the JSON carries both."""
    result = invoke("list")
    assert result.exit_code == 0, result.output
    assert "Echo job" in result.output
    assert "never" in result.output
    hits = as_json(invoke("list", "--json"))["hits"]
    assert [hit["title"] for hit in hits] == ["Echo job"]
    assert hits[0]["schedule_description"] == "every day at 02:00 Europe/Zurich"
    assert as_json(invoke("list", "--inactive", "--json"))["total"] == 0


def test_show_by_id_or_title_with_last_runs(app, db, invoke, controlled_job):
    """``show`` takes an id or a unique title and lists the job's runs."""
    assert invoke("run", "Controlled", "--wait").exit_code == 0
    by_title = as_json(invoke("show", "Controlled", "--json"))
    by_id = as_json(invoke("show", controlled_job["id"], "--json"))
    assert by_title["job"]["id"] == by_id["job"]["id"] == controlled_job["id"]
    assert [run["status"] for run in by_id["runs"]] == ["SUCCESS"]
    result = invoke("show", "Controlled")
    assert result.exit_code == 0, result.output
    assert "mock_controlled" in result.output and "SUCCESS" in result.output


def test_ambiguous_title_is_an_error_naming_the_matches(app, db, invoke):
    """Two jobs with one title: exit 2, and both ids are named."""
    first = create(invoke, "-t", "no_args", "--title", "Twin")
    second = create(invoke, "-t", "no_args", "--title", "Twin")
    result = invoke("show", "Twin")
    assert result.exit_code == 2
    assert first["id"] in result.output and second["id"] in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args, expected",
    [
        (("--cron", "61 * * * *"), "schedule.minute: Invalid cron field '61'"),
        (("--cron", "* * *"), "--cron: Invalid cron expression"),
        (("--cron", "0 2 * * *", "--timezone", "Mars/Base"), "schedule.timezone"),
        (("--every", "soon"), "--every: Invalid interval 'soon'"),
        (("--arg", "count=many"), "run_args.count: Count: give a whole number."),
        (("--arg", "oops"), "--arg 'oops': give key=value."),
        (
            ("--queue", "nowhere"),
            "default_queue: Queue: 'nowhere' is not a queue of this site",
        ),
        (("--cron", "0 2 * * *", "--every", "4h"), "either --cron or --every"),
    ],
)
def test_bad_input_on_create_is_one_line_exit_2_nothing_created(
    app, db, invoke, args, expected
):
    """The field and the reason, on one line; no job is created."""
    result = invoke(
        "create", "-t", "mock_echo", "--title", "Bad", "-a", "message=x", *args
    )
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert job_count(invoke) == 0


def test_unknown_job_type_is_refused(app, db, invoke):
    """A job type that is not registered: exit 2, named."""
    result = invoke("create", "-t", "nope", "--title", "X")
    assert result.exit_code == 2
    assert "task: Job type: 'nope' is not a registered job type" in result.output


@pytest.mark.parametrize("command", ["show", "runs", "next", "run", "delete"])
@pytest.mark.parametrize("ref", ["No such title", str(uuid.uuid4())])
def test_unknown_job_is_one_line_exit_2(app, db, invoke, command, ref):
    """Every command taking a job says which one it could not find."""
    result = invoke(command, ref)
    assert result.exit_code == 2, result.output
    assert ref in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_update_changes_only_the_options_given(app, db, invoke, echo_job):
    """A new title keeps the schedule and arguments; ``--arg`` adds to them."""
    job = as_json(invoke("update", echo_job["id"], "--title", "Renamed", "--json"))
    assert job["title"] == "Renamed"
    assert job["schedule"] == echo_job["schedule"]
    assert job["run_args"] == echo_job["run_args"]
    job = as_json(invoke("update", "Renamed", "--arg", "count=5", "--json"))
    assert job["run_args"]["count"] == 5 and job["run_args"]["message"] == "hello"
    job = as_json(invoke("update", "Renamed", "--timezone", "Asia/Tokyo", "--json"))
    assert job["schedule"]["timezone"] == "Asia/Tokyo"
    assert job["schedule"]["hour"] == "2"
    job = as_json(invoke("update", "Renamed", "--every", "30m", "--json"))
    assert job["schedule"] == {"type": "interval", "minutes": 30}
    job = as_json(invoke("update", "Renamed", "--no-schedule", "--json"))
    assert job["schedule"] is None and job["next_run"] is None


def test_update_with_bad_input_changes_nothing(app, db, invoke, echo_job):
    """A refused update leaves the job as it was."""
    result = invoke("update", echo_job["id"], "--cron", "0 25 * * *", "--title", "X")
    assert result.exit_code == 2
    assert "schedule.hour" in result.output
    result = invoke("update", echo_job["id"], "--arg", "count=x")
    assert result.exit_code == 2 and "run_args.count" in result.output
    job = as_json(invoke("show", echo_job["id"], "--json"))["job"]
    assert job["title"] == "Echo job"
    assert job["schedule"] == echo_job["schedule"]
    assert job["run_args"] == echo_job["run_args"]
    assert invoke("update", echo_job["id"]).exit_code == 2


def test_activate_and_deactivate(app, db, invoke, echo_job):
    """Deactivating drops the next run; activating computes it again."""
    result = invoke("deactivate", "Echo job")
    assert result.exit_code == 0, result.output
    assert "inactive" in result.output
    job = as_json(invoke("show", "Echo job", "--json"))["job"]
    assert job["active"] is False and job["next_run"] is None
    assert invoke("activate", echo_job["id"]).exit_code == 0
    job = as_json(invoke("show", "Echo job", "--json"))["job"]
    assert job["active"] is True and job["next_run"]


def test_delete_asks_unless_yes(app, db, invoke, echo_job):
    """Without ``--yes`` it asks; a no keeps the job."""
    result = invoke("delete", "Echo job", input="n\n")
    assert result.exit_code == 1
    assert job_count(invoke) == 1
    result = invoke("delete", "Echo job", "--yes")
    assert result.exit_code == 0, result.output
    assert job_count(invoke) == 0


def test_run_prints_the_run_id(app, db, invoke, controlled_job):
    """Without --wait: the run id alone, for scripts."""
    result = invoke("run", controlled_job["id"], "--title", "By hand")
    assert result.exit_code == 0, result.output
    run_id = result.output.strip()
    assert uuid.UUID(run_id)
    runs = as_json(invoke("runs", "Controlled", "--json"))["hits"]
    assert runs[0]["id"] == run_id and runs[0]["title"] == "By hand"


def test_run_wait_exit_0_on_success(app, db, invoke, controlled_job):
    """--wait ends with the status; SUCCESS is exit code 0."""
    result = invoke("run", "Controlled", "--wait", "--arg", "steps=3")
    assert result.exit_code == 0, result.output
    assert "Run ended: SUCCESS" in result.output
    run = as_json(invoke("runs", "Controlled", "--json"))["hits"][0]
    assert run["total_entries"] == 3 and run["inserted_entries"] == 3


@pytest.mark.parametrize(
    "arg, status, message",
    [
        ("fail=true", "FAILED", "RuntimeError: asked to fail"),
        ("partial=2", "PARTIAL_SUCCESS", "2 entries failed"),
    ],
)
def test_run_wait_exit_1_on_any_other_end(
    app, db, invoke, controlled_job, arg, status, message
):
    """FAILED and PARTIAL_SUCCESS are exit code 1, with the run's message."""
    result = invoke("run", "Controlled", "--wait", "--arg", arg)
    assert result.exit_code == 1, result.output
    assert f"Run ended: {status}" in result.output
    assert message in result.output


def test_run_wait_times_out_with_exit_1(app, db, invoke, controlled_job, no_dispatch):
    """A run that does not end within --timeout: exit 1, and it goes on."""
    result = invoke("run", "Controlled", "--wait", "--timeout", "0.3")
    assert result.exit_code == 1
    assert "Timed out after 0.3 s" in result.output


def test_run_with_arguments_refused_by_the_schema(app, db, invoke, controlled_job):
    """Bad run arguments: exit 2, named, and no run is created."""
    result = invoke("run", "Controlled", "--arg", "steps=lots")
    assert result.exit_code == 2
    assert "args.steps: Not a valid integer." in result.output
    assert as_json(invoke("runs", "Controlled", "--json"))["total"] == 0


def test_stop_cancels_a_queued_run(app, db, invoke, controlled_job, no_dispatch):
    """A run no worker took yet is cancelled at once."""
    run_id = invoke("run", "Controlled").output.strip()
    result = invoke("stop", run_id)
    assert result.exit_code == 0, result.output
    assert f"Run {run_id} is CANCELLED." in result.output


def test_stop_of_finished_or_unknown_run_is_exit_2(app, db, invoke, controlled_job):
    """Nothing to stop: one line, exit 2."""
    run_id = invoke("run", "Controlled").output.strip()
    result = invoke("stop", run_id)
    assert result.exit_code == 2
    assert "already finished (SUCCESS)" in result.output
    result = invoke("stop", "not-an-id")
    assert result.exit_code == 2
    assert "No run with id 'not-an-id'." in result.output


def test_runs_lists_and_filters_by_status(app, db, invoke, controlled_job):
    """Newest first; ``--status`` takes names or letters; ``--size`` pages."""
    invoke("run", "Controlled")
    invoke("run", "Controlled", "--arg", "fail=true")
    invoke("run", "Controlled")
    result = invoke("runs", "Controlled")
    assert result.exit_code == 0, result.output
    assert "FAILED" in result.output and "SUCCESS" in result.output
    every = as_json(invoke("runs", "Controlled", "--json"))
    assert every["total"] == 3
    failed = as_json(invoke("runs", "Controlled", "--status", "F", "--json"))
    assert [run["status"] for run in failed["hits"]] == ["FAILED"]
    page = as_json(invoke("runs", "Controlled", "--size", "2", "--json"))
    assert len(page["hits"]) == 2 and page["total"] == 3
    result = invoke("runs", "Controlled", "--status", "BOGUS")
    assert result.exit_code == 2
    assert "status: Unknown status 'BOGUS'." in result.output


def test_next_gives_local_and_utc_fire_times(app, db, invoke, echo_job):
    """02:00 in Zurich is 00:00 or 01:00 UTC, depending on the season."""
    data = as_json(invoke("next", "Echo job", "-n", "3", "--json"))
    assert data["timezone"] == "Europe/Zurich"
    assert len(data["next_runs"]) == 3
    for item in data["next_runs"]:
        local = datetime.fromisoformat(item["local"])
        utc = datetime.fromisoformat(item["utc"])
        assert (local.hour, local.minute) == (2, 0)
        assert utc.hour in (0, 1) and local == utc
    result = invoke("next", "Echo job")
    assert result.exit_code == 0, result.output
    assert "every day at 02:00 Europe/Zurich" in result.output
    assert "02:00:00 CE" in result.output


def test_next_of_an_unscheduled_job(app, db, invoke, controlled_job):
    """A job run by hand has no fire times."""
    result = invoke("next", "Controlled")
    assert result.exit_code == 0
    assert "is not scheduled" in result.output
    assert as_json(invoke("next", "Controlled", "--json"))["next_runs"] == []


def test_cron_previews_an_expression(app, db, invoke):
    """Weekdays at 06:30 in Tokyo: local times and UTC, nothing saved."""
    data = as_json(
        invoke("cron", "30 6 * * 1-5", "--timezone", "Asia/Tokyo", "-n", "5", "--json")
    )
    assert data["description"] == "at 06:30 Asia/Tokyo on Monday to Friday"
    for item in data["next_runs"]:
        local = datetime.fromisoformat(item["local"])
        assert (local.hour, local.minute) == (6, 30) and local.weekday() < 5
        assert datetime.fromisoformat(item["utc"]).hour == 21
    result = invoke("cron", "@daily")
    assert result.exit_code == 0, result.output
    assert "Local (UTC)" in result.output
    assert job_count(invoke) == 0


@pytest.mark.parametrize(
    "args, expected",
    [
        (("0 2 * * 9",), "schedule.day_of_week"),
        (("0 2 *",), "--cron: Invalid cron expression '0 2 *'"),
        (("0 2 * * *", "--timezone", "Nowhere/City"), "Unknown time zone"),
    ],
)
def test_cron_with_bad_expression_is_exit_2(app, db, invoke, args, expected):
    """An invalid expression or zone: one line, exit 2."""
    result = invoke("cron", *args)
    assert result.exit_code == 2
    assert expected in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_next_of_an_inactive_job_says_its_times_will_not_fire(
    app, db, invoke, echo_job
):
    """The schedule's times are shown, with a note that they do not fire."""
    assert invoke("deactivate", "Echo job").exit_code == 0
    result = invoke("next", "Echo job")
    assert result.exit_code == 0, result.output
    assert "The job is inactive: these times will not fire." in result.output
    data = as_json(invoke("next", "Echo job", "-n", "2", "--json"))
    assert len(data["next_runs"]) == 2


# -- InvenioRDM's spellings ----------------------------------------------------------
def run_summary(output: str) -> dict:
    """The name/value rows ``log`` prints above the lines."""
    rows = output.splitlines()[:12]
    return dict(row.strip().split(None, 1) for row in rows if row.strip())


def test_create_takes_inveniordm_task_option(app, db, invoke):
    """``create --title T --task ID`` is ``--type`` under InvenioRDM's name."""
    job = create(invoke, "--title", "From RDM", "--task", "mock_controlled")
    assert job["task"] == "mock_controlled"
    assert job["active"] is True
    result = invoke("create", "--title", "No type")
    assert result.exit_code == 2
    assert "--type" in result.output


def test_create_with_unknown_task_is_refused(app, db, invoke):
    """An unknown ``--task`` is named, exit 2, and no job is created."""
    result = invoke("create", "--title", "Nope", "--task", "no_such_type")
    assert result.exit_code == 2
    assert (
        "task: Job type: 'no_such_type' is not a registered job type" in result.output
    )
    assert job_count(invoke) == 0


def test_log_prints_the_run_summary_then_its_lines(app, db, invoke, controlled_job):
    """``log RUN`` shows the status and the counters, then the log."""
    run_id = invoke("run", "Controlled", "--arg", "steps=3").output.strip()
    result = invoke("log", run_id)
    assert result.exit_code == 0, result.output
    summary = run_summary(result.output)
    assert summary["Run"] == run_id
    assert summary["Status"] == "SUCCESS"
    assert summary["total_entries"] == "3"
    assert summary["inserted_entries"] == "3"
    assert summary["failed_subtasks"] == "0"


def test_log_shows_the_lines_of_the_run(app, db, invoke):
    """After the summary come the run's lines, as ``logs`` prints them."""
    job = current_jobs_service.create(
        system_identity, {"title": "Chatty", "task": "mock_chatty", "run_args": {}}
    )
    run = current_runs_service.create(
        system_identity, job.id, {"args": {"tag": "rdm", "lines": 2, "fail": True}}
    )
    result = invoke("log", run.id, "-f")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    status = next(i for i, line in enumerate(lines) if line.startswith("Status"))
    first = next(i for i, line in enumerate(lines) if "rdm: main 0" in line)
    assert "FAILED" in lines[status] and status < first
    assert "ValueError: rdm broke" in result.output
    assert result.output.rstrip().endswith("Run ended: FAILED")
    assert invoke("logs", run.id).output.strip() in result.output


def test_log_of_a_job_id_is_its_last_run(app, db, invoke, controlled_job):
    """A job id instead of a run id: the job's last run."""
    invoke("run", "Controlled", "--title", "first")
    last = invoke("run", "Controlled", "--title", "second").output.strip()
    result = invoke("log", controlled_job["id"])
    assert result.exit_code == 0, result.output
    assert run_summary(result.output)["Run"] == last


@pytest.mark.parametrize("ref", ["nope", str(uuid.uuid4())])
def test_log_of_unknown_run_is_one_line_exit_2(app, db, invoke, ref):
    """Neither a run nor a job: one line, exit 2."""
    result = invoke("log", ref)
    assert result.exit_code == 2
    assert f"No run with id '{ref}'" in result.output


def test_log_of_a_job_without_runs_is_exit_2(app, db, invoke, controlled_job):
    """A job that never ran has no log to show."""
    result = invoke("log", controlled_job["id"])
    assert result.exit_code == 2
    assert "has no runs yet" in result.output


def test_schedule_shows_three_fire_times_and_saves_with_yes(
    app, db, invoke, controlled_job
):
    """``schedule JOB --schedule CRON --tz TZ --yes`` sets a cron schedule."""
    result = invoke(
        "schedule",
        controlled_job["id"],
        *("--schedule", "*/5 * * * *", "--tz", "Europe/Zurich", "--yes"),
    )
    assert result.exit_code == 0, result.output
    assert "every 5 minutes" in result.output
    assert len([line for line in result.output.splitlines() if " CE" in line]) == 3
    job = as_json(invoke("show", controlled_job["id"], "--json"))["job"]
    assert job["schedule"]["minute"] == "*/5"
    assert job["schedule"]["timezone"] == "Europe/Zurich"
    assert job["next_run"] is not None


def test_schedule_without_tz_uses_the_default_time_zone(
    app, db, invoke, controlled_job
):
    """No ``--tz``: the schedule is in ``JOBS_SCHEDULER_TIMEZONE``."""
    result = invoke("schedule", "Controlled", "--schedule", "0 3 * * *", "-y")
    assert result.exit_code == 0, result.output
    job = as_json(invoke("show", "Controlled", "--json"))["job"]
    assert job["schedule"]["hour"] == "3"
    assert job["schedule"]["timezone"] == app.config["JOBS_SCHEDULER_TIMEZONE"]


def test_schedule_asks_first_and_a_no_changes_nothing(app, db, invoke, controlled_job):
    """Without ``--yes`` it asks; answering no leaves the job unscheduled."""
    result = invoke("schedule", "Controlled", "--schedule", "0 3 * * *", input="n\n")
    assert result.exit_code == 1
    assert "Use this schedule for job 'Controlled'" in result.output
    assert as_json(invoke("show", "Controlled", "--json"))["job"]["schedule"] is None
    result = invoke("schedule", "Controlled", "--schedule", "0 3 * * *", input="y\n")
    assert result.exit_code == 0, result.output
    assert as_json(invoke("show", "Controlled", "--json"))["job"]["schedule"]


@pytest.mark.parametrize(
    "args, expected",
    [
        (("--schedule", "*/5 * * *"), "--schedule: Invalid cron expression"),
        (("--schedule", "61 * * * *"), "--schedule"),
        (("--schedule", "0 3 * * *", "--tz", "Mars/Olympus"), "--tz"),
    ],
)
def test_schedule_with_bad_input_is_exit_2_and_changes_nothing(
    app, db, invoke, controlled_job, args, expected
):
    """A bad schedule or time zone is named; the job stays unscheduled."""
    result = invoke("schedule", "Controlled", *args, "--yes")
    assert result.exit_code == 2
    assert expected in result.output
    assert as_json(invoke("show", "Controlled", "--json"))["job"]["schedule"] is None


def test_delete_takes_inveniordm_yes_flag(app, db, invoke, controlled_job):
    """``delete JOB --yes`` deletes without asking."""
    result = invoke("delete", controlled_job["id"], "--yes")
    assert result.exit_code == 0, result.output
    assert job_count(invoke) == 0


def test_job_type_without_arguments_schema_is_listed_created_and_run(app, db, invoke):
    """A type made with ``JobType.create(arguments_schema=None)`` works end to end."""
    result = invoke("types")
    assert result.exit_code == 0, result.output
    items = {item["id"]: item for item in as_json(invoke("types", "--json"))}
    assert items["no_schema"]["arguments"] == []
    job = create(invoke, "--title", "Embargoes", "--task", "no_schema")
    assert job["task"] == "no_schema"
    result = invoke("run", job["id"], "--wait")
    assert result.exit_code == 0, result.output
    assert "Run ended: SUCCESS" in result.output
