"""Platform-to-terminal commands: which terminals this gateway holds, and their answers.

A command goes to the terminal's authenticated connection and waits, bounded, for the
terminal's 0x0001 general response naming the command's serial and id. The gateway holds
only its own connections: a terminal connected to another process is ``not_connected`` here.
"""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum
from typing import Protocol

from zhian.gateways.jt808.messages import RESULT_OK, GeneralResponse

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    """What became of one command."""

    CONFIRMED = "confirmed"  # the terminal answered 0x0001 result 0
    REFUSED = "refused"  # it answered with another result (failure, message error, unsupported)
    NO_ANSWER = "no_answer"  # sent, but no answer in time (or the connection went away)
    NOT_CONNECTED = "not_connected"  # no authenticated connection here for that terminal


class Link(Protocol):
    """One authenticated terminal connection, as the downlink sees it."""

    def next_serial(self) -> int:
        """Take the connection's next platform serial."""
        ...

    async def command(self, msg_id: int, body: bytes, serial: int) -> None:
        """Write one platform message to the terminal under ``serial``."""
        ...


class Downlink:
    """The authenticated connections by canonical phone, and the commands awaiting answers."""

    def __init__(self) -> None:
        self._links: dict[str, Link] = {}
        self._pending: dict[tuple[str, int, int], asyncio.Future[int]] = {}

    def attach(self, phone: str, link: Link) -> None:
        """``link`` is now the terminal's connection (a newer one replaces an older one)."""
        self._links[phone] = link

    def detach(self, phone: str, link: Link) -> None:
        """The connection is gone; a newer connection of the same terminal stays."""
        if self._links.get(phone) is link:
            del self._links[phone]

    def connected(self, phone: str) -> bool:
        """Whether the terminal has an authenticated connection to this gateway."""
        return phone in self._links

    def answered(self, phone: str, link: Link, response: GeneralResponse) -> bool:
        """Hand a terminal's 0x0001 to the command it answers; ``False`` if none waits."""
        if self._links.get(phone) is not link:
            return False
        key = (phone, response.reply_serial, response.reply_msg_id)
        future = self._pending.get(key)
        if future is None or future.done():
            return False
        future.set_result(response.result)
        return True

    async def command(self, phone: str, msg_id: int, body: bytes, timeout: float) -> Outcome:
        """Send ``msg_id`` with ``body`` to the terminal and wait up to ``timeout`` seconds."""
        link = self._links.get(phone)
        if link is None:
            return Outcome.NOT_CONNECTED
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        # Waiting before writing: the answer may be read while the write still drains.
        key = (phone, link.next_serial(), msg_id)
        self._pending[key] = future
        try:
            async with asyncio.timeout(timeout):
                await link.command(msg_id, body, key[1])
                result = await future
        except (TimeoutError, OSError) as exc:
            log.info("jt808: 0x%04x to %s not answered: %r", msg_id, phone, exc)
            return Outcome.NO_ANSWER
        finally:
            self._pending.pop(key, None)
        return Outcome.CONFIRMED if result == RESULT_OK else Outcome.REFUSED
