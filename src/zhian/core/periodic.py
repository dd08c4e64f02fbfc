"""Periodic jobs inside the app process: a check every N seconds, in a worker thread.

Each run owns its transaction (the job opens a ``unit_of_work``); a failing run is logged
and the next one runs on schedule, so one bad row cannot stop a check for good. The jobs
start with the app's lifespan and stop with it: stopping waits for a run in progress to
finish, because its thread cannot be interrupted and must not outlive the engine it uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class _Job:
    name: str
    seconds: float
    run: Callable[[], object]
    rounds: int = 0
    task: asyncio.Task[None] | None = None
    current: asyncio.Future[object] | None = field(default=None, repr=False)


class Periodic:
    """A set of named jobs, each run every so many seconds while started."""

    def __init__(self) -> None:
        self._jobs: dict[str, _Job] = {}

    def add(self, name: str, seconds: float, job: Callable[[], object]) -> None:
        """Run ``job`` every ``seconds`` (first run right after start)."""
        if not seconds > 0:
            raise ValueError(f"{name}: the period must be positive")
        if name in self._jobs:
            raise ValueError(f"{name}: a job of that name exists")
        self._jobs[name] = _Job(name, seconds, job)

    def names(self) -> list[str]:
        """The jobs added, by name."""
        return list(self._jobs)

    def running(self) -> list[str]:
        """The jobs whose loop is running now, by name."""
        return [j.name for j in self._jobs.values() if j.task is not None and not j.task.done()]

    def rounds(self, name: str) -> int:
        """How many runs of the job have finished (failed ones included)."""
        return self._jobs[name].rounds

    async def _loop(self, job: _Job) -> None:
        loop = asyncio.get_running_loop()
        while True:
            job.current = loop.run_in_executor(None, job.run)
            try:
                # Shielded: cancelling the loop must not orphan the thread's unit of work.
                await asyncio.shield(job.current)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "periodic job %s failed; it runs again in %g s", job.name, job.seconds
                )
            finally:
                job.rounds += 1
            await asyncio.sleep(job.seconds)

    def start(self) -> None:
        """Start every job's loop on the running event loop."""
        for job in self._jobs.values():
            if job.task is None:
                job.task = asyncio.create_task(self._loop(job), name=job.name)

    async def stop(self) -> None:
        """Cancel the loops, then wait for a run still in its thread to finish."""
        for job in self._jobs.values():
            if job.task is not None:
                job.task.cancel()
        for job in self._jobs.values():
            task, job.task = job.task, None
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            current, job.current = job.current, None
            if current is not None:  # stopped while a run was in its thread
                await asyncio.wait([current])
                job.rounds += 1
                if not current.cancelled() and current.exception() is not None:
                    log.error("the last run of %s failed", job.name, exc_info=current.exception())
