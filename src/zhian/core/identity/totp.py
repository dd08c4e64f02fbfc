"""TOTP second factor (RFC 6238, 30 s steps, 6 digits); each code is accepted once."""

from __future__ import annotations

import io

import pyotp
import segno

ISSUER = "zhian"
STEP = 30
# One step either side tolerates a phone clock a little off.
WINDOW = 1


def new_secret() -> str:
    """A fresh base32 secret for enrolment."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline-safe SVG markup."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, xmldecl=False)
    return out.getvalue().decode("utf-8")


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step a code belongs to (within the window), or None if it matches none."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // STEP)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if totp.at(step * STEP) == code:
            return step
    return None


def accept(secret: str, code: str, last_step: int | None, now: float) -> int | None:
    """The step to record if the code is valid and newer than the last one used, else None."""
    step = matching_step(secret, code, now)
    if step is None or (last_step is not None and step <= last_step):
        return None
    return step
