"""Helpers of the sign-in tests: a persona's password, the real sign-in form, and the codes an
authenticator app would show (computed from the device's secret, as the app does)."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ascolto.organisation import twofactor

PASSWORD = "una frase lunga per la console"  # noqa: S105
# A fast hasher for these tests only: what they check is the sign-in, not the hashing.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def with_password(user: Any, password: str = PASSWORD) -> Any:
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def sign_in(
    client: Client, username: str, password: str = PASSWORD, next: str = "", **extra: Any
) -> Any:
    """The password step of the console's sign-in form (`extra`: request headers)."""
    data = {"username": username, "password": password, "next": next}
    return client.post(reverse("console:login"), data, **extra)


def app_code(device: TOTPDevice) -> str:
    """The 6 digits the authenticator app shows now for `device`."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def enrolled(user: Any) -> tuple[TOTPDevice, list[str]]:
    """`user` with a confirmed authenticator app and ten recovery codes, as enrolment leaves
    them."""
    device = twofactor.start_enrolment(user)
    codes = twofactor.confirm_enrolment(device, app_code(device))
    assert codes is not None
    device.refresh_from_db()
    return device, codes
