"""Serve the local OpenID Connect provider (a stand-in for the city's directory, to try single
sign-on on a developer's machine): `oidc_sandbox --port N --group crm-supervisori`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ascolto.organisation.oidc_sandbox import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    OIDCSandbox,
    default_user,
)


class Command(BaseCommand):
    help = (
        "Serve a local OpenID Connect provider that signs in one test user without a password "
        "(a test peer, never a real directory); point ASCOLTO_OIDC_ISSUER at the URL it prints."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        user = default_user()
        parser.add_argument("--port", type=int, default=8766)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--client-id", dest="client_id", default=DEFAULT_CLIENT_ID)
        parser.add_argument("--client-secret", dest="client_secret", default=DEFAULT_CLIENT_SECRET)
        parser.add_argument("--username", default=user["preferred_username"])
        parser.add_argument("--email", default=user["email"])
        parser.add_argument("--given-name", dest="given_name", default=user["given_name"])
        parser.add_argument("--family-name", dest="family_name", default=user["family_name"])
        parser.add_argument(
            "--group",
            dest="groups",
            action="append",
            default=[],
            help="a directory group of the user (repeat; default: crm-operatori)",
        )
        parser.add_argument(
            "--office", default=user["department"], help="the office claim (an office code)"
        )
        parser.add_argument(
            "--no-mfa",
            dest="mfa",
            action="store_false",
            help="an ID token without amr=mfa: the console asks for its own second factor",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = default_user()
        user.update(
            preferred_username=options["username"],
            sub=f"sandbox-{options['username']}",
            email=options["email"],
            given_name=options["given_name"],
            family_name=options["family_name"],
            groups=options["groups"] or user["groups"],
            department=options["office"],
            amr=["pwd", "mfa"] if options["mfa"] else ["pwd"],
        )
        sandbox = OIDCSandbox(
            host=options["host"],
            port=options["port"],
            client_id=options["client_id"],
            client_secret=options["client_secret"],
            user=user,
        ).start()
        self.stdout.write(f"OpenID Connect sandbox on {sandbox.url}")
        self.stdout.write(f"  ASCOLTO_OIDC_ISSUER={sandbox.url}")
        self.stdout.write(f"  ASCOLTO_OIDC_CLIENT_ID={sandbox.client_id}")
        self.stdout.write(f"  ASCOLTO_OIDC_CLIENT_SECRET={sandbox.client_secret}")
        self.stdout.write(
            f"Signs in {user['preferred_username']} (groups {', '.join(user['groups'])}, "
            f"office {user['department']}, amr {' '.join(user['amr'])}) without a password."
        )
        try:
            sandbox.wait()
        except KeyboardInterrupt:
            sandbox.stop()
