"""The event model and the in-process bus: matching, dedupe, durable positions, redelivery."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from zhian.core.bus import Event, InMemoryBus, make_bus, subject_matches
from zhian.core.bus.nats import JetStreamBus


def run(main: Callable[[], Awaitable[None]]) -> None:
    """Run an async test body with an overall bound, so no test can hang."""

    async def bounded() -> None:
        async with asyncio.timeout(10):
            await main()

    asyncio.run(bounded())


def ev(subject: str = "jt808.position", **data: object) -> Event:
    return Event.new(subject, "gateway.test", dict(data))


class Recorder:
    """A handler that records events and fails the first ``fail`` deliveries of each."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.ids: list[str] = []

    async def __call__(self, event: Event) -> None:
        self.ids.append(event.id)
        if self.ids.count(event.id) <= self.fail:
            raise RuntimeError("handler failed")


def on_bus(
    **kwargs: Any,
) -> Callable[[Callable[[InMemoryBus], Awaitable[None]]], Callable[[], None]]:
    """Make an async body taking a started bus into a plain test, bounded in time."""

    def decorate(body: Callable[[InMemoryBus], Awaitable[None]]) -> Callable[[], None]:
        def test() -> None:
            async def main() -> None:
                bus = InMemoryBus(**({"backoff": 0.01} | kwargs))
                await bus.start()
                try:
                    await body(bus)
                finally:
                    await bus.close()

            run(main)

        return test

    return decorate


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("jt808.position", "jt808.position", True),
        ("jt808.*", "jt808.position", True),
        ("jt808.*", "jt808.position.extra", False),
        ("jt808.*", "jt808", False),
        ("*.position", "jt808.position", True),
        ("jt808.>", "jt808.position.extra", True),
        ("jt808.>", "jt808", False),
        (">", "dc09.signal", True),
        ("jt808.position", "jt808.alarm", False),
        ("jt808.position", "jt808.position.x", False),
    ],
)
def test_subject_matches(pattern: str, subject: str, expected: bool) -> None:
    assert subject_matches(pattern, subject) is expected


def test_event_round_trips_through_bytes() -> None:
    shanghai = timezone(timedelta(hours=8))
    event = Event.new(
        "dc09.signal",
        "gateway.dc09",
        {"zone": 3, "text": "火警"},
        time=datetime(2026, 1, 2, 8, 0, tzinfo=shanghai),
    )
    back = Event.from_bytes(event.to_bytes())
    assert back == event
    assert back.time == datetime(2026, 1, 2, 0, 0, tzinfo=UTC)
    assert back.time.utcoffset() == timedelta(0)
    assert len(Event.new("a.b", "s", {}).id) == 32


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff", "UTF-8"),
        (b"[]", "JSON object"),
        (b'{"id": "1", "subject": "a", "source": "s", "data": {}}', "'time'"),
        (
            b'{"id": "1", "subject": "a", "source": "s", "time": "2026-01-01T00:00", "data": {}}',
            "aware",
        ),
    ],
)
def test_event_from_bad_bytes_names_the_problem(raw: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Event.from_bytes(raw)


@pytest.mark.parametrize("subject", ["", "a..b", "a.*", "a.>", "a b", "a.b*"])
def test_event_subject_must_be_concrete(subject: str) -> None:
    with pytest.raises(ValueError, match="subject"):
        Event.new(subject, "s", {})


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"id": "a b"}, "id"), ({"source": ""}, "source"), ({"time": datetime(2026, 1, 1)}, "time")],
)
def test_event_fields_are_checked(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=f"event {field}"):
        Event(**({"subject": "a.b", "source": "s", "data": {}} | kwargs))


def test_invalid_subscriptions_are_refused() -> None:
    async def main() -> None:
        bus = InMemoryBus()
        with pytest.raises(RuntimeError, match="start"):
            await bus.publish(ev())
        await bus.start()
        with pytest.raises(ValueError, match="'>' must be the last"):
            await bus.subscribe("a.>.b", "ok", Recorder())
        with pytest.raises(ValueError, match="durable"):
            await bus.subscribe("a.b", "has.dot", Recorder())
        await bus.subscribe("a.b", "once", Recorder())
        with pytest.raises(RuntimeError, match="already"):
            await bus.subscribe("a.b", "once", Recorder())
        await bus.close()

    run(main)


@on_bus()
async def test_delivers_by_subject_and_fans_out_to_each_durable(bus: InMemoryBus) -> None:
    positions, everything = Recorder(), Recorder()
    await bus.subscribe("jt808.position", "positions", positions)
    await bus.subscribe(">", "audit", everything)
    a, b = ev("jt808.position"), ev("dc09.signal")
    await bus.publish(a)
    await bus.publish(b)
    await bus.wait_idle()
    assert positions.ids == [a.id]
    assert everything.ids == [a.id, b.id]


def test_duplicate_id_is_dropped_inside_the_window_only() -> None:
    now = [0.0]

    async def main() -> None:
        bus = InMemoryBus(dedupe_window=60.0, clock=lambda: now[0])
        await bus.start()
        rec = Recorder()
        await bus.subscribe(">", "c", rec)
        event = ev()
        await bus.publish(event)
        now[0] = 59.0
        await bus.publish(event)
        await bus.wait_idle()
        assert rec.ids == [event.id]
        now[0] = 120.0
        await bus.publish(event)
        await bus.wait_idle()
        assert rec.ids == [event.id, event.id]
        await bus.close()

    run(main)


@on_bus()
async def test_durable_resumes_where_it_stopped(bus: InMemoryBus) -> None:
    first = Recorder()
    sub = await bus.subscribe("jt808.*", "positions", first)
    e1 = ev()
    await bus.publish(e1)
    await bus.wait_idle()
    await sub.stop()
    e2, e3 = ev(), ev()
    await bus.publish(e2)
    await bus.publish(e3)
    second = Recorder()
    await bus.subscribe("jt808.*", "positions", second)
    await bus.wait_idle()
    assert first.ids == [e1.id]
    assert second.ids == [e2.id, e3.id]


@on_bus()
async def test_new_durable_gets_events_published_before_it_existed(bus: InMemoryBus) -> None:
    early = ev()
    await bus.publish(early)
    rec = Recorder()
    await bus.subscribe(">", "late", rec)
    await bus.wait_idle()
    assert rec.ids == [early.id]


@on_bus(backoff=0.2)  # far longer than handling b takes, even under load
async def test_failed_event_is_redelivered_until_handled(bus: InMemoryBus) -> None:
    rec = Recorder(fail=2)
    await bus.subscribe(">", "c", rec)
    a, b = ev(), ev()
    await bus.publish(a)
    await bus.publish(b)
    await bus.wait_idle()
    # Each fails twice; a failing event does not hold back the ones after it.
    assert rec.ids == [a.id, b.id, a.id, b.id, a.id, b.id]
    health = await bus.health()
    assert health["consumers"]["c"] == {"active": True, "behind": 0, "retrying": 0, "dead": 0}


def test_event_is_dead_after_max_deliver(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        bus = InMemoryBus(max_deliver=3, backoff=0.01)
        await bus.start()
        rec = Recorder(fail=1000)
        await bus.subscribe(">", "c", rec)
        event = ev()
        await bus.publish(event)
        await bus.wait_idle()
        await asyncio.sleep(0.1)  # several backoffs: a retry now would be a bug
        assert rec.ids == [event.id] * 3
        assert (await bus.health())["consumers"]["c"]["dead"] == 1
        await bus.close()

    with caplog.at_level(logging.ERROR, logger="zhian.core.bus.memory"):
        run(main)
    assert any("dead" in r.getMessage() for r in caplog.records)


class BatchRecorder:
    """A batch handler that records each batch and fails the events it is told to, once."""

    def __init__(self, fail_once: set[str] | None = None) -> None:
        self.batches: list[list[str]] = []
        self.fail_once = set(fail_once or ())

    async def __call__(self, events: list[Event]) -> dict[str, Exception]:
        self.batches.append([e.id for e in events])
        failed: dict[str, Exception] = {}
        for e in events:
            if e.id in self.fail_once:
                self.fail_once.discard(e.id)
                failed[e.id] = RuntimeError("failed once")
        return failed


@on_bus(backoff=0.01)
async def test_batches_take_what_waits_and_redeliver_only_the_failed(bus: InMemoryBus) -> None:
    events = [ev() for _ in range(7)]
    for e in events:  # published before the consumer exists: all waiting at once
        await bus.publish(e)
    rec = BatchRecorder(fail_once={events[3].id})
    await bus.subscribe_batch(">", "batched", rec, max_batch=3)
    await bus.wait_idle()
    ids = [e.id for e in events]
    assert rec.batches == [ids[0:3], ids[3:6], ids[6:7], [ids[3]]]
    health = await bus.health()
    assert health["consumers"]["batched"] == {
        "active": True,
        "behind": 0,
        "retrying": 0,
        "dead": 0,
    }


@on_bus(backoff=0.01, max_deliver=2)
async def test_a_broken_batch_handler_retries_the_batch_then_gives_up(bus: InMemoryBus) -> None:
    calls: list[list[str]] = []

    async def broken(events: list[Event]) -> dict[str, Exception]:
        calls.append([e.id for e in events])
        raise RuntimeError("database down")

    a, b = ev(), ev()
    await bus.publish(a)
    await bus.publish(b)
    await bus.subscribe_batch(">", "broken", broken)
    await bus.wait_idle()
    assert calls[0] == [a.id, b.id]  # waiting events come as one batch
    delivered = [i for batch in calls for i in batch]
    assert sorted(delivered) == sorted([a.id, a.id, b.id, b.id])  # max_deliver each
    assert (await bus.health())["consumers"]["broken"]["dead"] == 2


@on_bus()
async def test_batch_size_must_be_positive(bus: InMemoryBus) -> None:
    with pytest.raises(ValueError, match="max_batch"):
        await bus.subscribe_batch(">", "none", BatchRecorder(), max_batch=0)


@on_bus()
async def test_stop_while_handling_redelivers_on_resubscribe(bus: InMemoryBus) -> None:
    entered = asyncio.Event()

    async def hang(event: Event) -> None:
        entered.set()
        await asyncio.Event().wait()

    sub = await bus.subscribe(">", "c", hang)
    event = ev()
    await bus.publish(event)
    await asyncio.wait_for(entered.wait(), 2)
    with pytest.raises(TimeoutError):
        await bus.wait_idle(timeout=0.05)
    await sub.stop()
    rec = Recorder()
    await bus.subscribe(">", "c", rec)
    await bus.wait_idle()
    assert rec.ids == [event.id]


@on_bus(max_messages=2)
async def test_log_keeps_only_the_newest_max_messages(bus: InMemoryBus) -> None:
    events = [ev() for _ in range(3)]
    for e in events:
        await bus.publish(e)
    rec = Recorder()
    await bus.subscribe(">", "c", rec)
    await bus.wait_idle()
    assert rec.ids == [e.id for e in events[1:]]
    assert (await bus.health())["messages"] == 2


def test_make_bus() -> None:
    assert isinstance(make_bus("memory"), InMemoryBus)
    nats_bus = make_bus("nats://10.0.0.5:4222")
    assert isinstance(nats_bus, JetStreamBus)
    assert nats_bus.url == "nats://10.0.0.5:4222"
    with pytest.raises(ValueError, match="memory"):
        make_bus("redis://localhost")
