"""Two operators at the same instant (PostgreSQL: real concurrent transactions): of two claims
one wins, and two queue loads add each thread once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection

from ascolto.social import actions, queue
from ascolto.social.models import SocialThread
from tests import factories, personas
from tests.social.helpers import page_channel, replay


def _race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released at the same instant; results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = calls[index]()
        except BaseException as exc:  # noqa: BLE001 - the test reads it
            results[index] = exc
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers), "a call never finished"
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_of_two_operators_claiming_at_once_exactly_one_wins() -> None:
    factories.ensure_taxonomy()
    cast = personas.build_cast()
    replay(page_channel(), "feed_comment_add")
    results = _race([queue.sync, queue.sync])
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert SocialThread.objects.count() == 1  # each thread added once
    thread = SocialThread.objects.get()
    for _round in range(5):  # a race is a matter of timing: give it several chances to bite
        SocialThread.objects.filter(pk=thread.pk).update(claimed_by=None, claimed_until=None)
        results = _race(
            [
                partial(actions.claim, thread.pk, cast.operator),
                partial(actions.claim, thread.pk, cast.supervisor),
            ]
        )
        won = [r for r in results if isinstance(r, SocialThread)]
        lost = [r for r in results if isinstance(r, actions.ClaimedByOther)]
        assert (len(won), len(lost)) == (1, 1), results
        assert SocialThread.objects.get().claimed_by == won[0].claimed_by
