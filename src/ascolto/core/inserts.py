"""One row inserted in the fewest round trips to the database, on the hot paths that accept a
request with one insert (the intake queue, the API's idempotency keys).

Django's `transaction.atomic()` around a single `INSERT` in autocommit costs a `BEGIN` and a
`COMMIT` besides the statement: three round trips where one commits the row just as surely.
Inside a caller's transaction the insert still needs its savepoint, so that a conflict (the
`IntegrityError` the caller handles) leaves that transaction usable.
"""

from __future__ import annotations

from django.db import router, transaction
from django.db.models import Model


def insert(row: Model) -> None:
    """`INSERT` `row` (never an `UPDATE`), committed by the time this returns in autocommit;
    `IntegrityError` on a conflict, with the caller's transaction, if any, still usable."""
    using = router.db_for_write(type(row), instance=row)
    if transaction.get_connection(using).in_atomic_block:
        with transaction.atomic(using=using):  # a savepoint
            row.save(force_insert=True, using=using)
    else:
        row.save(force_insert=True, using=using)  # the statement commits on its own
