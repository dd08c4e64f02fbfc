"""Periodic jobs: run on schedule, survive a failing run, and stop only after a run ends."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from zhian.core.periodic import Periodic


def test_a_failing_run_does_not_stop_the_job(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first run fails")

    async def scenario() -> int:
        periodic = Periodic()
        periodic.add("flaky", 0.01, flaky)
        periodic.start()
        async with asyncio.timeout(10):
            while periodic.rounds("flaky") < 3:
                await asyncio.sleep(0.01)
        await periodic.stop()
        assert periodic.running() == []
        return periodic.rounds("flaky")

    assert asyncio.run(scenario()) >= 3 and len(calls) >= 3
    assert any("flaky failed" in r.getMessage() for r in caplog.records)


def test_stop_waits_for_a_run_in_progress() -> None:
    started, finished = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        time.sleep(0.3)
        finished.set()

    async def scenario() -> bool:
        periodic = Periodic()
        periodic.add("slow", 60, slow)
        periodic.start()
        while not started.is_set():
            await asyncio.sleep(0.01)
        await periodic.stop()
        return finished.is_set()

    assert asyncio.run(scenario()) is True


def test_jobs_are_checked() -> None:
    periodic = Periodic()
    with pytest.raises(ValueError, match="positive"):
        periodic.add("never", 0, lambda: None)
    periodic.add("once", 1, lambda: None)
    with pytest.raises(ValueError, match="exists"):
        periodic.add("once", 1, lambda: None)
