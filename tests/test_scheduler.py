"""`python -m ascolto scheduler`: the deployment's scheduled commands (core/schedule.py)."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command, get_commands

from ascolto.core.schedule import JOBS, Job, run_job

DEPLOY = Path(__file__).resolve().parent.parent / "docs" / "deploy.md"


def test_every_scheduled_job_is_a_command_of_ours() -> None:
    commands = get_commands()
    assert [job.argv[0] for job in JOBS if job.argv[0] not in commands] == []


def test_the_deploy_guide_lists_the_schedulers_jobs() -> None:
    what_runs = DEPLOY.read_text(encoding="utf-8").split("## Settings")[0]
    scheduler_row = next(line for line in what_runs.splitlines() if line.startswith("| scheduler"))
    listed = set(re.findall(r"`([a-z_]+)(?: --all)?`", scheduler_row))
    assert {job.argv[0] for job in JOBS} == listed - {"scheduler"}


def test_the_list_shows_each_job_with_its_time() -> None:
    out = StringIO()
    call_command("scheduler", "--list", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(JOBS)
    assert "every 1 min        relay_outbox" in lines
    assert "daily at 02:20     prune_tables" in lines


def test_a_job_runs_as_its_own_process_and_reports_its_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="ascolto.core.schedule")
    # A command that needs no database: the job's process has its own settings, not the tests'.
    assert run_job(Job(("scheduler", "--list"), at="02:20", timeout=120)) == 0
    assert "scheduler: scheduler --list done in" in caplog.text
    assert caplog.text.rstrip().endswith("staffing")  # the output's last line


def test_a_failing_job_is_logged_with_its_exit_status(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="ascolto.core.schedule")
    assert run_job(Job(("prune_tables", "--only", "nothing"), at="02:20", timeout=120)) != 0
    assert "scheduler: prune_tables --only nothing failed (exit 1)" in caplog.text


def test_an_unknown_job_is_refused() -> None:
    with pytest.raises(CommandError, match="no scheduled job 'nothing'"):
        call_command("scheduler", "--run", "nothing", stdout=StringIO())
