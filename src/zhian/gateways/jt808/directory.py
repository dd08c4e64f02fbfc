"""Who may connect: the seam between the JT/T 808 gateway and whoever provisions terminals.

The gateway never imports a domain or the database; the transport domain implements
:class:`TerminalDirectory` and hands it in. :class:`MemoryDirectory` is the in-process fake for
tests and the demo. Phones here are canonical (leading zeros dropped, see
:func:`terminal_key`), so a terminal is the same whether it speaks 2013 or 2019.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from zhian.gateways.jt808.messages import (
    REG_OK,
    REG_TERMINAL_TAKEN,
    REG_TERMINAL_UNKNOWN,
    REG_VEHICLE_TAKEN,
    REG_VEHICLE_UNKNOWN,
    Register,
)


def terminal_key(phone: str) -> str:
    """The canonical terminal number: the BCD digits without the header's zero padding."""
    return phone.lstrip("0") or "0"


def terminal_number(value: object) -> str:
    """A terminal number as typed by whoever provisions it, as its canonical key.

    Raises ValueError with the reason (input validators turn it into a field error).
    """
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,20}", value.strip()):
        raise ValueError("1 to 20 digits expected")
    key = terminal_key(value.strip())
    if key == "0":
        raise ValueError("a terminal number cannot be all zeros")
    return key


@dataclass(frozen=True, slots=True)
class TerminalRecord:
    """A provisioned terminal and the vehicle it is fitted to."""

    phone: str
    plate: str | None = None
    plate_color: int | None = None


class TerminalDirectory(Protocol):
    """What the gateway asks about terminals; every method may touch storage, so all await."""

    async def lookup(self, phone: str) -> TerminalRecord | None:
        """The provisioned terminal, or ``None`` if this phone is unknown."""
        ...

    async def register(self, phone: str, body: Register) -> tuple[int, str | None]:
        """A 0x8100 result code and, with code 0, the auth code to hand out."""
        ...

    async def authenticate(self, phone: str, auth_code: str) -> bool:
        """Whether ``auth_code`` is the one issued to ``phone``."""
        ...

    async def unregister(self, phone: str) -> None:
        """Forget the registration (0x0003 logout): the next session must register again."""
        ...


class MemoryDirectory:
    """An in-memory :class:`TerminalDirectory` for tests and the demo.

    Registering again with the same vehicle returns the same auth code, so a restarted
    simulator can rejoin; with ``allow_reregister=False`` it gets result 3 instead.
    """

    def __init__(
        self, terminals: Iterable[TerminalRecord] = (), *, allow_reregister: bool = True
    ) -> None:
        self.allow_reregister = allow_reregister
        self._terminals: dict[str, TerminalRecord] = {}
        self._codes: dict[str, str] = {}
        self._vehicles: dict[str, str] = {}
        for record in terminals:
            self.provision(record)

    def provision(self, record: TerminalRecord) -> None:
        """Add or replace a terminal."""
        self._terminals[terminal_key(record.phone)] = record

    def issue(self, phone: str, auth_code: str) -> None:
        """Record an auth code as if the terminal had registered earlier."""
        self._codes[terminal_key(phone)] = auth_code

    async def lookup(self, phone: str) -> TerminalRecord | None:
        """The provisioned terminal, or ``None``."""
        return self._terminals.get(terminal_key(phone))

    async def register(self, phone: str, body: Register) -> tuple[int, str | None]:
        """Check terminal and vehicle, then issue (or re-issue) an auth code."""
        key = terminal_key(phone)
        record = self._terminals.get(key)
        if record is None:
            return REG_TERMINAL_UNKNOWN, None
        if record.plate is not None and body.plate != record.plate:
            return REG_VEHICLE_UNKNOWN, None
        holder = self._vehicles.get(body.plate)
        if holder is not None and holder != key:
            return REG_VEHICLE_TAKEN, None
        if key in self._codes:
            if not self.allow_reregister:
                return REG_TERMINAL_TAKEN, None
            return REG_OK, self._codes[key]
        code = secrets.token_hex(8)
        self._codes[key] = code
        self._vehicles[body.plate] = key
        return REG_OK, code

    async def authenticate(self, phone: str, auth_code: str) -> bool:
        """Constant-time comparison with the issued code."""
        issued = self._codes.get(terminal_key(phone))
        return issued is not None and hmac.compare_digest(issued.encode(), auth_code.encode())

    async def unregister(self, phone: str) -> None:
        """Drop the auth code and free the vehicle."""
        key = terminal_key(phone)
        self._codes.pop(key, None)
        for plate in [p for p, holder in self._vehicles.items() if holder == key]:
            del self._vehicles[plate]
