"""The periodic checks of the incidents domain, as one small in-process task.

Started and stopped with the app's lifespan (``create_app``). Every ``interval_s`` it opens
its own unit of work in a worker thread and runs the checks with one clock reading: overdue
incidents (``alerts.check_overdue``) and patrol zones short of units (``zones.check_zones``).
A failing round is logged and the next one runs as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from zhian.core.db import unit_of_work
from zhian.core.time import utcnow
from zhian.domains.incidents import alerts, zones

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Round:
    """What one round of checks did."""

    overdue_raised: int
    zone_alerts_raised: int
    zone_alerts_closed: int


def run_checks(factory: sessionmaker[Session], *, now: datetime) -> Round:
    """One round of checks at ``now``, committed as one unit of work."""
    with unit_of_work(factory) as session:
        raised = alerts.check_overdue(session, now=now)
        opened, closed = zones.check_zones(session, now=now)
    return Round(len(raised), len(opened), len(closed))


class PeriodicChecks:
    """Runs ``run_checks`` every ``interval_s`` seconds until closed."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        interval_s: float,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.factory = factory
        self.interval_s = interval_s
        self.clock = clock
        self.rounds = 0
        self._task: asyncio.Task[None] | None = None
        self._round: asyncio.Future[Round] | None = None

    def start(self) -> None:
        """Begin the checks in the running event loop."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="incidents-checks")

    async def close(self) -> None:
        """Stop the checks; returns once a round in progress has finished (the worker thread
        is not abandoned), so the caller may then dispose of the engine."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._round is not None:  # its thread cannot be interrupted: let it finish
            await asyncio.wait([self._round])
            if not self._round.cancelled() and self._round.exception() is not None:
                log.error("the last incident checks failed", exc_info=self._round.exception())

    async def run_once(self) -> Round | None:
        """One round now; None if it failed (logged)."""
        loop = asyncio.get_running_loop()
        self._round = loop.run_in_executor(
            None, functools.partial(run_checks, self.factory, now=self.clock())
        )
        try:
            # Shielded: cancelling the loop must not orphan the thread's unit of work.
            result = await asyncio.shield(self._round)
        except Exception:  # a bad round must not stop the next ones
            log.exception("incident checks failed")
            return None
        finally:
            self.rounds += 1
        return result

    async def _loop(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self.interval_s)
