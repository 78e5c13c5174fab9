"""Shared fixtures: the cast of personas, the configured channels, the taxonomy.

Tests marked `postgres` need PostgreSQL's row locking and real concurrent transactions; on
SQLite they are skipped here rather than passing by accident.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from tests import factories, personas


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _italian_again() -> Iterator[None]:
    """Every test starts and ends in the default language: a request made in English (the
    language tests) leaves its language active in the thread otherwise."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _no_cached_alerts() -> Iterator[None]:
    """No test sees the alerts another test cached (`knowledge.alerts`): the cache outlives the
    rollback of a test's rows, and two tests may pin the clock at the same instant."""
    from ascolto.knowledge.alerts import forget_cached_alerts

    forget_cached_alerts()
    yield
    forget_cached_alerts()


@pytest.fixture(autouse=True)
def _no_kept_choice_lists() -> Iterator[None]:
    """No test sees the case page's choice lists another test kept (`web.forms.case`): the copy
    outlives the rollback of a test's offices, teams and users."""
    from ascolto.web.forms.case import forget_choice_rows

    forget_choice_rows()
    yield
    forget_choice_rows()


@pytest.fixture(autouse=True)
def _no_learned_comment_themes() -> Iterator[None]:
    """No test suggests survey comments' themes from cues learned on another test's cases
    (`surveys.themes`): the copy outlives the rollback, and two tests may end with the same
    latest case."""
    from ascolto.surveys.themes import forget

    forget()
    yield
    forget()


@pytest.fixture(autouse=True)
def _no_rate_limit_counts() -> None:
    """Every test starts with no request counted against the public endpoints' rate limits
    (`core.ratelimit`): counts live in the cache, which outlives a test, and every test client
    shares one address."""
    from ascolto.core.ratelimit import forget_counts

    forget_counts()


@pytest.fixture(autouse=True)
def _privacy_notice_read_again() -> None:
    """The Scrivi form keeps its stored privacy notice a minute (`scrivi.request._notice`); a
    test's rollback removes the stored row, so every test starts with none kept."""
    from ascolto.web.views.scrivi import request

    request._notice.forget()


@pytest.fixture(autouse=True)
def _no_drain_thought_scheduled() -> None:
    """Every test starts with no drain of the intake queue thought already scheduled by this
    process (`channels.queue._quiet_until`): a test that scheduled one leaves the next test's
    submissions undrained for up to a second otherwise."""
    from ascolto.channels import queue

    queue._quiet_until = 0.0


@pytest.fixture(autouse=True)
def _force_login_verifies_second_factor() -> Iterator[None]:
    """`client.force_login(user)` stands for a whole sign-in: the password and, for the roles
    that require it, the second factor (`personas.verify_second_factor`). The requirement stays
    on; the tests of the second factor sign in with `personas.password_only_login`."""
    from django.test import Client

    def force_login(client: Client, user: Any, backend: str | None = None) -> None:
        personas.password_only_login(client, user, backend)
        personas.verify_second_factor(client, user)

    # A patcher of its own: a test's `monkeypatch.undo()` must not take this away.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "force_login", force_login)
        yield


@pytest.fixture
def taxonomy(db: None) -> None:
    """The city's taxonomy, seeded by migration; reloaded when a transactional test flushed it."""
    factories.ensure_taxonomy()


@pytest.fixture
def cast(db: None, taxonomy: None) -> personas.Cast:
    """Offices, teams, staff personas and the configured channels of a small city."""
    return personas.build_cast()


@pytest.fixture
def scrivi(cast: personas.Cast):  # type: ignore[no-untyped-def]
    return cast.scrivi
