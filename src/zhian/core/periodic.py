"""Periodic jobs inside the app process: a check every N seconds, in a worker thread.

Each run owns its transaction (the job opens a ``unit_of_work``); a failing run is logged
and the next one runs on schedule, so one bad row cannot stop a check for good. The tasks
start with the app's lifespan and are cancelled when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """A set of named jobs, each run every so many seconds while started."""

    def __init__(self) -> None:
        self._jobs: list[tuple[str, float, Callable[[], object]]] = []
        self._tasks: list[asyncio.Task[None]] = []

    def add(self, name: str, seconds: float, job: Callable[[], object]) -> None:
        """Run ``job`` every ``seconds`` (first run right after start)."""
        if not seconds > 0:
            raise ValueError(f"{name}: the period must be positive")
        self._jobs.append((name, seconds, job))

    async def _loop(self, name: str, seconds: float, job: Callable[[], object]) -> None:
        while True:
            try:
                await asyncio.to_thread(job)
            except Exception:
                log.exception("periodic job %s failed; it runs again in %.0f s", name, seconds)
            await asyncio.sleep(seconds)

    def names(self) -> list[str]:
        """The jobs added, by name."""
        return [name for name, _, _ in self._jobs]

    def running(self) -> list[str]:
        """The jobs whose loop is running now, by name."""
        return [t.get_name() for t in self._tasks if not t.done()]

    def start(self) -> None:
        """Start every job's loop on the running event loop."""
        for name, seconds, job in self._jobs:
            self._tasks.append(asyncio.create_task(self._loop(name, seconds, job), name=name))

    async def stop(self) -> None:
        """Cancel the loops and wait for them (a run in progress finishes its thread)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
