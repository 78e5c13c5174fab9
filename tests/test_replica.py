"""The reports read from a replica when one is configured (issue 19, `core/replica.py`).

The "replica" is a copy of the test database taken at one moment (`createdb -T`), so it lags
the primary by everything written after: a page that reads the replica does not show it, a
page that reads the primary does. The pages run in a process of their own with
`ASCOLTO_REPLICA_URL` set, as a deployment runs them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from django.db import connection

from ascolto.tickets.models import Campaign
from tests import personas

PROBE = """
import json, os
import django
django.setup()
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from ascolto.core import replica
from ascolto.organisation.models import User
from ascolto.tickets.models import Campaign
from tests import personas

analyst = User.objects.get(username="paolo")
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(analyst)
personas.verify_second_factor(client, analyst)
report = client.get(reverse("console:reports-campaigns")).content.decode()

def names():
    return sorted(Campaign.objects.values_list("code", flat=True))

with replica.reading():
    replica_names = names()
    with replica.primary():
        pinned = names()
    with transaction.atomic():
        in_transaction = names()
outside = names()
print(json.dumps({
    "report_before": "campagna-prima" in report,
    "report_after": "campagna-dopo" in report,
    "replica": replica_names,
    "pinned": pinned,
    "in_transaction": in_transaction,
    "outside": outside,
    "replica_connected": connections["replica"].connection is not None,
}))
"""


def _campaign(code: str) -> None:
    Campaign.objects.create(
        code=code, name=code, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
    )


def _admin(*args: str) -> None:
    settings = connection.settings_dict
    subprocess.run(  # noqa: S603 - PostgreSQL's own client programs
        [args[0], "-h", settings["HOST"], "-U", settings["USER"], *args[1:]], check=True
    )


@pytest.fixture
def take_a_copy() -> Iterator[Callable[[], str]]:
    """Copies the test database now (`createdb -T`), as a replica that stops receiving."""
    name = f"{connection.settings_dict['NAME']}_replica"

    def take() -> str:
        _admin("dropdb", "--if-exists", name)
        connection.close()  # `createdb -T` refuses a template somebody is connected to
        _admin("createdb", "-T", connection.settings_dict["NAME"], name)
        return _url(name)

    yield take
    _admin("dropdb", "--if-exists", name)


def _url(name: str) -> str:
    settings = connection.settings_dict
    return f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{name}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_reports_read_the_replica_and_everything_else_the_primary(
    take_a_copy: Callable[[], str],
) -> None:
    personas.build_cast()
    _campaign("campagna-prima")
    # The copy is taken after the cast and the first campaign: the second exists only on the
    # primary, as a row the replica has not received yet.
    copy = take_a_copy()
    _campaign("campagna-dopo")

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ascolto.config.settings",
        "DATABASE_URL": _url(connection.settings_dict["NAME"]),
        "ASCOLTO_REPLICA_URL": copy,
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    assert seen["report_before"] is True
    assert seen["report_after"] is False, "the campaigns report read the primary"
    assert seen["replica"] == ["campagna-prima"]
    assert seen["pinned"] == ["campagna-dopo", "campagna-prima"]
    assert seen["in_transaction"] == ["campagna-dopo", "campagna-prima"]
    assert seen["outside"] == ["campagna-dopo", "campagna-prima"]
    assert seen["replica_connected"] is True
