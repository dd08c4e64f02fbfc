"""Idempotent consumers on SQLite and PostgreSQL: each event's effect is committed once."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from zhian.core.bus import Event, InMemoryBus, idempotent
from zhian.core.bus import consumer as consumer_module
from zhian.core.bus.models import ProcessedEvent
from zhian.core.db import make_engine, make_sessionmaker

CONSUMER = "test-consumer"
EFFECT = "test-effect"  # the effect under test writes a row of its own, under another name


class Effect:
    """A DB effect that records its calls and fails the first ``fail`` of them."""

    def __init__(self, fail: int = 0, name: str = EFFECT) -> None:
        self.fail = fail
        self.name = name
        self.calls = 0

    def __call__(self, session: Session, event: Event) -> None:
        self.calls += 1
        session.add(ProcessedEvent(consumer=self.name, event_id=event.id, subject=event.subject))
        session.flush()
        if self.calls <= self.fail:
            raise RuntimeError("effect failed")


def rows(factory: sessionmaker[Session], consumer: str) -> int:
    with factory() as session:
        query = select(func.count()).where(ProcessedEvent.consumer == consumer)
        return session.scalar(query) or 0


def event() -> Event:
    return Event.new("jt808.position", "gateway.jt808", {"plate": "陕E12345"})


def test_same_event_twice_changes_the_database_once(
    session_factory: sessionmaker[Session],
) -> None:
    effect = Effect()
    handle = idempotent(CONSUMER, session_factory, effect)
    e = event()
    asyncio.run(handle(e))
    asyncio.run(handle(e))
    assert effect.calls == 1
    assert rows(session_factory, EFFECT) == 1
    assert rows(session_factory, CONSUMER) == 1


def test_each_consumer_applies_the_event_for_itself(
    session_factory: sessionmaker[Session],
) -> None:
    e = event()
    first, second = Effect(name="effect-a"), Effect(name="effect-b")
    asyncio.run(idempotent("consumer-a", session_factory, first)(e))
    asyncio.run(idempotent("consumer-b", session_factory, second)(e))
    asyncio.run(idempotent("consumer-a", session_factory, first)(e))
    assert (first.calls, second.calls) == (1, 1)
    assert rows(session_factory, "consumer-a") == rows(session_factory, "consumer-b") == 1


def test_failed_effect_rolls_back_with_its_key(session_factory: sessionmaker[Session]) -> None:
    handle = idempotent(CONSUMER, session_factory, Effect(fail=1))
    with pytest.raises(RuntimeError, match="effect failed"):
        asyncio.run(handle(event()))
    assert rows(session_factory, CONSUMER) == 0
    assert rows(session_factory, EFFECT) == 0


def test_lost_race_is_caught_by_the_unique_key(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    e = event()
    effect = Effect()
    assert consumer_module.apply_once(CONSUMER, session_factory, effect, e) is True
    # As if a concurrent delivery committed between our check and our insert.
    monkeypatch.setattr(consumer_module, "already_applied", lambda *_: False)
    assert consumer_module.apply_once(CONSUMER, session_factory, effect, e) is False
    assert effect.calls == 1
    assert rows(session_factory, EFFECT) == 1


def test_concurrent_deliveries_on_separate_connections_apply_once(
    backend: str, fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: the later one fails, and is redelivered")
    engine = make_engine(fresh_url)
    factory = make_sessionmaker(engine)
    inside, go = threading.Event(), threading.Event()
    effect = Effect()

    def slow_effect(session: Session, event: Event) -> None:
        inside.set()
        go.wait(10)
        effect(session, event)

    # Both pass the check, so the second one's insert must wait on the first one's key.
    monkeypatch.setattr(consumer_module, "already_applied", lambda *_: False)
    e = event()
    try:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(consumer_module.apply_once, CONSUMER, factory, slow_effect, e)
            assert inside.wait(10)
            second = pool.submit(consumer_module.apply_once, CONSUMER, factory, slow_effect, e)
            go.set()
            assert (first.result(10), second.result(10)) == (True, False)
        assert effect.calls == 1
        assert rows(factory, EFFECT) == 1
    finally:
        go.set()
        engine.dispose()


def run_on_bus(factory: sessionmaker[Session], effect: Effect, *events: Event) -> None:
    """Publish the events to a memory bus with no dedupe window and wait until handled."""

    async def main() -> None:
        bus = InMemoryBus(dedupe_window=0, backoff=0.01)
        await bus.start()
        await bus.subscribe("jt808.>", CONSUMER, idempotent(CONSUMER, factory, effect))
        for e in events:
            await bus.publish(e)
        await bus.wait_idle(timeout=10)
        await bus.close()

    asyncio.run(main())


def test_redelivered_event_through_the_bus_applies_once(
    session_factory: sessionmaker[Session],
) -> None:
    e = event()
    effect = Effect()
    run_on_bus(session_factory, effect, e, e, event())
    assert effect.calls == 2
    assert rows(session_factory, EFFECT) == 2
    assert rows(session_factory, CONSUMER) == 2


def test_failed_effect_is_retried_by_the_bus_and_applied_once(
    session_factory: sessionmaker[Session],
) -> None:
    effect = Effect(fail=2)
    run_on_bus(session_factory, effect, event())
    assert effect.calls == 3
    assert rows(session_factory, EFFECT) == 1
    assert rows(session_factory, CONSUMER) == 1


class PickyEffect:
    """A DB effect that refuses the events whose data says so, and records the rest."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, session: Session, event: Event) -> None:
        self.calls.append(event.id)
        session.add(ProcessedEvent(consumer=EFFECT, event_id=event.id, subject=event.subject))
        session.flush()
        if event.data.get("bad"):
            raise RuntimeError("refused")


def test_a_batch_commits_once_and_a_bad_event_rolls_back_alone(
    session_factory: sessionmaker[Session],
) -> None:
    effect = PickyEffect()
    good = [event() for _ in range(5)]
    bad = Event.new("jt808.position", "gateway.jt808", {"bad": True})
    batch = [*good[:2], bad, *good[2:], good[0]]  # good[0] twice in one batch
    failed = consumer_module.apply_batch(CONSUMER, session_factory, effect, batch)
    assert list(failed) == [bad.id] and isinstance(failed[bad.id], RuntimeError)
    assert effect.calls == [*(e.id for e in good[:2]), bad.id, *(e.id for e in good[2:])]
    # The bad event's effect and key rolled back; every good one is applied exactly once.
    assert rows(session_factory, EFFECT) == 5 and rows(session_factory, CONSUMER) == 5
    again = consumer_module.apply_batch(CONSUMER, session_factory, effect, [*good, bad])
    assert list(again) == [bad.id]
    assert effect.calls[-1] == bad.id and len(effect.calls) == 7  # only the bad one re-ran
    assert rows(session_factory, EFFECT) == 5


def test_a_failed_commit_fails_the_whole_batch(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    effect = PickyEffect()

    def broken_commit(self: Session) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Session, "commit", broken_commit)
    with pytest.raises(RuntimeError, match="disk full"):
        consumer_module.apply_batch(CONSUMER, session_factory, effect, [event(), event()])
    monkeypatch.undo()
    assert rows(session_factory, EFFECT) == 0 and rows(session_factory, CONSUMER) == 0


class WholeBatch:
    """A whole-batch effect: one row per event, refusing any batch with a bad event in it."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, session: Session, events: list[Event]) -> None:
        self.batches.append([e.id for e in events])
        for e in events:
            session.add(ProcessedEvent(consumer=EFFECT, event_id=e.id, subject=e.subject))
        session.flush()
        if any(e.data.get("bad") for e in events):
            raise RuntimeError("refused")


def test_a_whole_batch_is_one_unit_and_skips_what_was_applied(
    session_factory: sessionmaker[Session],
) -> None:
    effect, whole = PickyEffect(), WholeBatch()
    good = [event() for _ in range(4)]
    failed = consumer_module.apply_batch(
        CONSUMER, session_factory, effect, [*good[:2], good[0]], whole=whole
    )
    assert failed == {} and effect.calls == []
    assert whole.batches == [[good[0].id, good[1].id]]  # the repeat within the batch dropped
    failed = consumer_module.apply_batch(CONSUMER, session_factory, effect, good, whole=whole)
    assert failed == {} and whole.batches[-1] == [good[2].id, good[3].id]
    assert rows(session_factory, EFFECT) == 4 and rows(session_factory, CONSUMER) == 4


def test_a_failed_whole_batch_falls_back_to_one_event_at_a_time(
    session_factory: sessionmaker[Session],
) -> None:
    effect, whole = PickyEffect(), WholeBatch()
    good = [event() for _ in range(3)]
    bad = Event.new("jt808.position", "gateway.jt808", {"bad": True})
    failed = consumer_module.apply_batch(
        CONSUMER, session_factory, effect, [good[0], bad, *good[1:]], whole=whole
    )
    assert list(failed) == [bad.id] and isinstance(failed[bad.id], RuntimeError)
    # The whole batch rolled back (its rows and keys), then each event ran alone.
    assert effect.calls == [good[0].id, bad.id, good[1].id, good[2].id]
    assert rows(session_factory, EFFECT) == 3 and rows(session_factory, CONSUMER) == 3
