"""The deploy guide and scripts/deploy-check do not drift: every command the guide tells a
deployer to run, and every setting it lists, is one the check runs or sets."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
# The script with its continued lines joined, as the shell reads them.
SCRIPT = re.sub(r"\\\n\s*", "", (ROOT / "scripts" / "deploy-check").read_text(encoding="utf-8"))
COMMAND = re.compile(r"^(?:\./scripts/|python -m ascolto |gunicorn )")


def guide_commands() -> list[str]:
    quoted = re.findall(r"`([^`\n]+)`", GUIDE)
    fenced = [
        line.strip()
        for block in re.findall(r"```\n(.*?)```", GUIDE, re.S)
        for line in block.splitlines()
    ]
    commands = [c for c in quoted + fenced if COMMAND.match(c)]
    # The check binds gunicorn to a free port where the guide shows 8000.
    return [c.replace("--bind 127.0.0.1:8000", '--bind "127.0.0.1:$port"') for c in commands]


def guide_settings() -> list[str]:
    block = GUIDE[GUIDE.index("## Settings") :]
    block = re.search(r"```\n(.*?)```", block, re.S).group(1)  # type: ignore[union-attr]
    return [line.split("=", 1)[0] for line in block.splitlines() if "=" in line]


def test_the_guide_names_its_commands() -> None:
    commands = guide_commands()
    assert "./scripts/uv run --frozen --no-dev python -m ascolto migrate" in commands
    assert any(c.startswith("gunicorn ascolto.config.wsgi") for c in commands)
    assert "python -m ascolto db_worker" in commands


def test_every_command_of_the_guide_is_run_by_the_deploy_check() -> None:
    missing = [c for c in guide_commands() if c not in SCRIPT]
    assert missing == [], "docs/deploy.md and scripts/deploy-check differ on these commands"


def test_every_setting_of_the_guide_is_set_by_the_deploy_check() -> None:
    settings = guide_settings()
    assert "ASCOLTO_ENV" in settings and "DATABASE_URL" in settings
    missing = [
        name
        for name in settings
        if not re.search(rf"^export {name.removesuffix('_FILE')}(_FILE)?=", SCRIPT, re.M)
        and name != "ASCOLTO_EMAIL_URL"  # the check sends its emails to the worker's log
    ]
    assert missing == []
