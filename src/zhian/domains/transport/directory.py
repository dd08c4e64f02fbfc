"""The JT/T 808 gateway's terminal directory, backed by the vehicle registry.

The gateway defines :class:`~zhian.gateways.jt808.directory.TerminalDirectory` and never
imports a domain; this class implements it over the database. A terminal is known only once
a vehicle carrying it is provisioned; registering issues a fresh random auth code (only its
digest is stored) and is audited; a logout forgets it.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session, sessionmaker

from zhian.core.db import unit_of_work
from zhian.core.scope import SYSTEM_ROLE, Actor
from zhian.domains.transport import service
from zhian.gateways.jt808.directory import TerminalRecord, terminal_key
from zhian.gateways.jt808.messages import (
    REG_OK,
    REG_TERMINAL_UNKNOWN,
    REG_VEHICLE_UNKNOWN,
    Register,
)

GATEWAY = Actor(
    user_id=None, username="gateway:jt808", role=SYSTEM_ROLE, division="", via="gateway"
)


def _same_plate(reported: str, provisioned: str) -> bool:
    return "".join(reported.split()).upper() == provisioned


class DbDirectory:
    """A :class:`TerminalDirectory` over ``transport_vehicle``; database work runs in threads."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.factory = session_factory

    async def lookup(self, phone: str) -> TerminalRecord | None:
        """The provisioned terminal, or ``None``."""
        return await asyncio.to_thread(self._lookup, terminal_key(phone))

    async def register(self, phone: str, body: Register) -> tuple[int, str | None]:
        """Result 4 for an unknown terminal, 2 for another vehicle, else 0 and a new code."""
        return await asyncio.to_thread(self._register, terminal_key(phone), body)

    async def authenticate(self, phone: str, auth_code: str) -> bool:
        """Whether ``auth_code`` is the one last issued to the terminal."""
        return await asyncio.to_thread(self._authenticate, terminal_key(phone), auth_code)

    async def unregister(self, phone: str) -> None:
        """Forget the terminal's auth code."""
        await asyncio.to_thread(self._unregister, terminal_key(phone))

    def _lookup(self, phone: str) -> TerminalRecord | None:
        with self.factory() as session:
            vehicle = service.find_by_terminal(session, phone)
            if vehicle is None:
                return None
            return TerminalRecord(vehicle.terminal_phone, vehicle.plate, vehicle.plate_color)

    def _register(self, phone: str, body: Register) -> tuple[int, str | None]:
        with unit_of_work(self.factory) as session:
            vehicle = service.find_by_terminal(session, phone)
            if vehicle is None:
                return REG_TERMINAL_UNKNOWN, None
            if (
                not _same_plate(body.plate, vehicle.plate)
                or body.plate_color != vehicle.plate_color
            ):
                return REG_VEHICLE_UNKNOWN, None
            return REG_OK, service.issue_auth_code(session, actor=GATEWAY, vehicle=vehicle)

    def _authenticate(self, phone: str, auth_code: str) -> bool:
        with self.factory() as session:
            vehicle = service.find_by_terminal(session, phone)
            return vehicle is not None and service.auth_code_matches(vehicle, auth_code)

    def _unregister(self, phone: str) -> None:
        with unit_of_work(self.factory) as session:
            vehicle = service.find_by_terminal(session, phone)
            if vehicle is not None:
                service.revoke_auth_code(session, actor=GATEWAY, vehicle=vehicle)
