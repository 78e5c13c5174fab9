"""Staff's second factor (decision 0019): an authenticator app's codes (TOTP) and ten recovery
codes for a lost phone, both django-otp devices.

Who needs one: administrators, supervisors and analysts always (they reach every office's
figures, and administrators the admin); operators when `ASCOLTO_OTP_OPERATORS` is "required", or
when they turned it on themselves. Enrolment is two steps: `start_enrolment` makes an unconfirmed
TOTP device (its secret shown as a QR code), `confirm_enrolment` checks a code from the app, then
confirms the device and returns the recovery codes, shown once.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user, user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ascolto.core.roles import Role

RECOVERY_CODES = 10
# The name the console gives each device (an administrator reads it in the admin).
APP_DEVICE = "app"
RECOVERY_DEVICE = "codici di recupero"

# Roles that reach every office's data (or the admin): two factors always.
ALWAYS = frozenset({Role.ADMINISTRATOR, Role.SUPERVISOR, Role.ANALYST})


def required_for(user: Any) -> bool:
    """Whether `user`'s role (or superuser status) requires a second factor."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False) or getattr(user, "role", "") in ALWAYS:
        return True
    return getattr(settings, "ASCOLTO_OTP_OPERATORS", "optional") == "required"


def has_device(user: Any) -> bool:
    """Whether `user` has a confirmed second factor (an app or recovery codes left)."""
    return bool(user_has_device(user, confirmed=True))


def has_app(user: Any) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def start_enrolment(user: Any) -> TOTPDevice:
    """The user's unconfirmed app device, made now with a new secret if there is none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The device's `otpauth://` address as an SVG QR code, drawn here (no outside service): one
    path, to sit inline in the page (django-otp's own drawing uses `svg:`-prefixed elements,
    which an HTML page does not draw)."""
    import qrcode  # here: only the enrolment page draws one
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    return str(image.to_string(encoding="unicode"))


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    from base64 import b32encode

    text = b32encode(device.bin_key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def confirm_enrolment(device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm `device` with a code from the app; None if the code is wrong. On success the user's
    earlier devices are replaced and ten new recovery codes are returned (to show once)."""
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if locked.confirmed or not locked.verify_token(_digits(token)):
            return None
        user = locked.user
        TOTPDevice.objects.filter(user=user).exclude(pk=locked.pk).delete()
        locked.confirmed = True
        locked.save(update_fields=["confirmed"])
        return new_recovery_codes(user)


def new_recovery_codes(user: Any) -> list[str]:
    """Ten new single-use recovery codes for `user`, replacing any earlier ones."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        static = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return codes


def recovery_codes_left(user: Any) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def verify(user: Any, token: str) -> Device | None:
    """The device of `user` that accepts `token` (a code of the app, or a recovery code, which
    is used up), or None. Each device's own throttling (django-otp) slows repeated guesses."""
    digits = _digits(token)
    # Six digits are the app's; anything else is tried as a recovery code only, so a recovery
    # code does not count as a wrong guess against the app (and the reverse).
    app_code = len(digits) == 6 and digits.isdigit()
    kind = TOTPDevice if app_code else StaticDevice
    candidate = digits if app_code else token.strip().lower()
    if not candidate:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if isinstance(device, kind) and device.verify_token(candidate):
                return device
    return None


def retry_after(user: Any, token: str) -> int:
    """Seconds before the device this kind of code goes to (the app's, or the recovery codes)
    takes another try: django-otp doubles the wait after each wrong code (1, 2, 4, 8 s...)."""
    digits = _digits(token)
    kind = TOTPDevice if len(digits) == 6 and digits.isdigit() else StaticDevice
    wait = 0.0
    for device in kind.objects.filter(user=user, confirmed=True):
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            wait = max(wait, (data["locked_until"] - timezone.now()).total_seconds())
    return math.ceil(wait)


def _digits(token: str) -> str:
    """A code as typed ("123 456") without its spaces."""
    return "".join(token.split())
