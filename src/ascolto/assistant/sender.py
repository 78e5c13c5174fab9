"""A drained batch's replies, sent right after its commit by the process that drained it.

`actions.take_turns` commits the batch's `Reply` rows with its turns, then hands their ids to
`send_after_commit`. Where tasks run later (the database task backend of a deployment), a thread
of this process sends them (`actions.send_due`) while the drain goes on with the next batch: no
task queue and no worker's poll stand between a citizen's message and the answer, and the drain
never waits for the Graph API. Where tasks run at once (the immediate backend of the tests and
the demo), they are sent at once, in the caller's thread, as before.

Nothing is lost if the process dies: the rows are committed before they are handed over, and
`assistant_tick` sends any still queued (one a dead sender had claimed, once its lease ends).
At exit the process waits a few seconds for the thread to finish what it was given (`flush`).
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
from collections.abc import Sequence

from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)

EXIT_WAIT = 10.0  # seconds the process waits at exit for replies being sent
IDLE = 1.0  # seconds without replies after which the thread closes its database connection

_queue: queue.SimpleQueue[list[int]] = queue.SimpleQueue()
_started = threading.Lock()
_thread: threading.Thread | None = None
_idle = threading.Condition()
_pending = 0  # batches handed over and not yet sent


def send_after_commit(ids: Sequence[int]) -> None:
    """Send the replies `ids` now: in a thread where tasks are deferred, else in this one. Never
    raises (the rows are committed: the tick sends them)."""
    from ascolto.assistant import actions

    try:
        if in_background():
            submit(ids)
        else:
            actions.send_due(ids)
    except Exception:
        logger.exception("assistant: replies not sent after commit; the tick sends them")


def in_background() -> bool:
    """Whether replies go to the sending thread: where the task backend defers tasks (a
    deployment), not where it runs them at once (the tests, the demo)."""
    from django_tasks import default_task_backend

    return bool(default_task_backend.supports_defer)


def submit(ids: Sequence[int]) -> None:
    """Hand `ids` to this process's sending thread (started on first use)."""
    global _pending
    with _idle:
        _pending += 1
    _queue.put(list(ids))
    _ensure_thread()


def flush(timeout: float = EXIT_WAIT) -> bool:
    """Wait until the thread sent everything handed over; False if `timeout` passed first."""
    with _idle:
        return _idle.wait_for(lambda: _pending == 0, timeout=timeout)


def _ensure_thread() -> None:
    global _thread
    with _started:
        if _thread is not None and _thread.is_alive():
            return
        first = _thread is None
        _thread = threading.Thread(target=_run, name="assistant-sender", daemon=True)
        _thread.start()
    if first:
        atexit.register(flush)


def _run() -> None:
    global _pending
    from ascolto.assistant import actions

    while True:
        try:
            ids = _queue.get(timeout=IDLE)
        except queue.Empty:
            connection.close()  # idle: no connection kept open meanwhile
            continue
        taken = 1
        while True:  # the batches handed over meanwhile go together
            try:
                ids.extend(_queue.get_nowait())
            except queue.Empty:
                break
            taken += 1
        try:
            close_old_connections()
            actions.send_due(ids)
        except Exception:
            logger.exception("assistant: replies not sent; the tick sends them")
            connection.close()  # opened again for the next batch
        finally:
            with _idle:
                _pending -= taken
                _idle.notify_all()
