"""A production configuration passes Django's deployment checks with no warning."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ASCOLTO_")}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    # Set for the browser tests in this process (tests/browser/conftest.py); never in production.
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    environment.update(env)
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "ascolto", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("secret_from", ["variable", "file"])
def test_check_deploy_passes_in_production(secret_from: str, tmp_path) -> None:
    key = secrets.token_urlsafe(64)
    env = {"ASCOLTO_ENV": "production", "ASCOLTO_VAR_DIR": str(tmp_path / "var")}
    if secret_from == "file":
        path = tmp_path / "secret_key"
        path.write_text(key + "\n", encoding="utf-8")
        env["ASCOLTO_SECRET_KEY_FILE"] = str(path)
    else:
        env["ASCOLTO_SECRET_KEY"] = key

    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_without_a_secret_key_refuses_to_start(tmp_path) -> None:
    result = _manage("check", ASCOLTO_ENV="production", ASCOLTO_VAR_DIR=str(tmp_path / "var"))

    assert result.returncode != 0
    assert "ASCOLTO_SECRET_KEY is not set" in result.stderr


def test_the_development_defaults_fail_the_deploy_check(tmp_path) -> None:
    """The check is not vacuous: a development configuration does not pass it."""
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", ASCOLTO_VAR_DIR=str(tmp_path / "var")
    )

    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG is on


def test_database_connections_are_checked_before_reuse(tmp_path) -> None:
    """After a database restart a kept connection is dead: it is replaced, not used (no 500)."""
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])",
        DATABASE_URL="postgres://ascolto@127.0.0.1:5432/ascolto",
        ASCOLTO_VAR_DIR=str(tmp_path / "var"),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["60", "True"]
