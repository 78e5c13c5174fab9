"""The load test's console accounts, made in the seeded demo city (run by `loadtest/run.py`
through `python -m ascolto shell`): operators like the demo's first-level operator (its office
and teams, so the Scrivi requests reach their inbox) and a supervisor with the authenticator app
set up (its secret returned, so the load computes its codes as the app would). Prints one JSON
line: the accounts, and case codes of the generated city for the status page.

Reads LOADTEST_OPERATORS and LOADTEST_SUPERVISORS (how many of each).
"""

import json
import os
import secrets

from django_otp.plugins.otp_totp.models import TOTPDevice

from ascolto.organisation.models import User
from ascolto.tickets.models import Ticket

model = User.objects.get(username="operatore")
accounts = []
for i in range(int(os.environ["LOADTEST_OPERATORS"])):
    password = secrets.token_urlsafe(12)
    user, _ = User.objects.update_or_create(
        username=f"lt-operatore-{i}",
        defaults={"role": model.role, "office": model.office, "first_name": "Carico"},
    )
    user.set_password(password)
    user.save(update_fields=["password"])
    for team in model.teams.all():
        team.members.add(user)
    accounts.append({"username": user.username, "password": password})

supervisors = []
for i in range(int(os.environ["LOADTEST_SUPERVISORS"])):
    password = secrets.token_urlsafe(12)
    boss = User.objects.get(username="supervisore")
    user, _ = User.objects.update_or_create(
        username=f"lt-supervisore-{i}",
        defaults={"role": boss.role, "office": boss.office, "first_name": "Carico"},
    )
    user.set_password(password)
    user.save(update_fields=["password"])
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    supervisors.append({"username": user.username, "password": password, "totp_key": device.key})

known = list(Ticket.objects.order_by("-pk").values_list("code", flat=True)[:200])
print(json.dumps({"operators": accounts, "supervisors": supervisors, "known_codes": known}))
