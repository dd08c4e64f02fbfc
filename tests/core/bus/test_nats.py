"""The JetStream bus against the machine's nats-server: each test has a stream of its own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import nats
import pytest

from zhian.core.bus import Event
from zhian.core.bus.nats import JetStreamBus

pytestmark = pytest.mark.nats

URL = "nats://127.0.0.1:4222"
BusFactory = Callable[..., Awaitable[JetStreamBus]]


def run(main: Callable[[], Awaitable[None]]) -> None:
    """Run an async test body with an overall bound, so no test can hang."""

    async def bounded() -> None:
        async with asyncio.timeout(30):
            await main()

    asyncio.run(bounded())


@asynccontextmanager
async def buses() -> AsyncIterator[BusFactory]:
    """Started buses on one fresh stream and subject prefix, closed and deleted afterwards."""
    tag = uuid.uuid4().hex[:12]
    stream, prefix = f"TEST_{tag}", f"test{tag}"
    opened: list[JetStreamBus] = []

    async def make(**kwargs: Any) -> JetStreamBus:
        settings: dict[str, Any] = {"ack_wait": 1.0, "backoff": 0.1, "fetch_timeout": 0.2}
        bus = JetStreamBus(URL, stream, prefix, **(settings | kwargs))
        await bus.start()
        opened.append(bus)
        return bus

    try:
        yield make
    finally:
        try:
            for bus in opened:
                await bus.close()
        finally:
            nc = await nats.connect(URL)
            try:
                await nc.jetstream().delete_stream(stream)
            finally:
                await nc.close()


class Inbox:
    """A handler that records events, can fail the first deliveries, and can be awaited."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    async def __call__(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()
        if len(self.events) <= self.fail:
            raise RuntimeError("handler failed")

    async def wait_for(self, count: int, timeout: float = 10) -> list[str]:
        """The ids received, once there are at least ``count`` of them."""
        async with asyncio.timeout(timeout):
            while len(self.events) < count:
                self._changed.clear()
                await self._changed.wait()
        return [e.id for e in self.events]


def ev(subject: str = "jt808.position") -> Event:
    return Event.new(subject, "gateway.test", {"speed": 42})


async def consumer_state(bus: JetStreamBus, durable: str) -> tuple[int, int]:
    """(unacknowledged, not yet delivered) messages of a durable, as the server counts them."""
    assert bus._js is not None
    info = await bus._js.consumer_info(bus.stream, durable)
    return info.num_ack_pending, info.num_pending


def test_publish_subscribe_by_subject_and_health() -> None:
    async def main() -> None:
        async with buses() as make:
            bus = await make()
            inbox = Inbox()
            await bus.subscribe("jt808.*", "positions", inbox)
            wanted, other = ev("jt808.position"), ev("dc09.signal")
            await bus.publish(other)
            await bus.publish(wanted)
            assert await inbox.wait_for(1) == [wanted.id]
            assert inbox.events[0] == wanted
            assert await bus.health() == {
                "kind": "nats",
                "ok": True,
                "stream": bus.stream,
                "messages": 2,
            }

    run(main)


def test_duplicate_message_id_is_stored_once() -> None:
    async def main() -> None:
        async with buses() as make:
            bus = await make()
            event = ev()
            await bus.publish(event)
            await bus.publish(event)
            assert (await bus.health())["messages"] == 1
            inbox = Inbox()
            await bus.subscribe(">", "all", inbox)
            assert await inbox.wait_for(1) == [event.id]
            await asyncio.sleep(0.3)  # room for a wrongly delivered second copy to show up
            assert len(inbox.events) == 1

    run(main)


def test_handler_error_means_no_ack_and_redelivery() -> None:
    async def main() -> None:
        async with buses() as make:
            bus = await make()
            inbox = Inbox(fail=1)
            await bus.subscribe(">", "retry", inbox)
            event = ev()
            await bus.publish(event)
            assert await inbox.wait_for(2) == [event.id, event.id]
            async with asyncio.timeout(5):
                while await consumer_state(bus, "retry") != (0, 0):
                    await asyncio.sleep(0.05)

    run(main)


def test_batches_ack_the_handled_and_redeliver_the_failed() -> None:
    async def main() -> None:
        async with buses() as make:
            bus = await make()
            events = [ev() for _ in range(5)]
            for e in events:
                await bus.publish(e)
            seen: list[list[str]] = []
            failing = {events[2].id}
            done = asyncio.Event()

            async def handle(batch: list[Event]) -> dict[str, Exception]:
                seen.append([e.id for e in batch])
                failed: dict[str, Exception] = {}
                for e in batch:
                    if e.id in failing:
                        failing.discard(e.id)
                        failed[e.id] = RuntimeError("failed once")
                if sum(map(len, seen)) >= 6:
                    done.set()
                return failed

            await bus.subscribe_batch(">", "batched", handle, max_batch=10)
            await done.wait()
            handled = [i for batch in seen for i in batch]
            assert sorted(handled) == sorted([e.id for e in events] + [events[2].id])
            assert handled[-1] == events[2].id  # the failed one came back, alone
            assert max(map(len, seen)) > 1  # waiting messages came as one batch
            async with asyncio.timeout(5):
                while await consumer_state(bus, "batched") != (0, 0):
                    await asyncio.sleep(0.05)

    run(main)


def test_event_is_dead_after_max_deliver() -> None:
    async def main() -> None:
        async with buses() as make:
            bus = await make(max_deliver=3)
            inbox = Inbox(fail=1000)
            await bus.subscribe(">", "doomed", inbox)
            event = ev()
            await bus.publish(event)
            assert await inbox.wait_for(3) == [event.id] * 3
            async with asyncio.timeout(5):
                while await consumer_state(bus, "doomed") != (0, 0):
                    await asyncio.sleep(0.05)
            await asyncio.sleep(1.5)  # longer than ack_wait and the backoff: no 4th delivery
            assert len(inbox.events) == 3

    run(main)


def test_consumer_that_dies_unacked_is_redelivered_to_the_next() -> None:
    async def main() -> None:
        async with buses() as make:
            doomed = await make()
            received = asyncio.Event()

            async def never_finishes(event: Event) -> None:
                received.set()
                await asyncio.Event().wait()

            await doomed.subscribe(">", "worker", never_finishes)
            event = ev()
            await doomed.publish(event)
            await asyncio.wait_for(received.wait(), 10)
            await doomed.close()  # dies holding the message, never acked

            survivor = await make()
            inbox = Inbox()
            await survivor.subscribe(">", "worker", inbox)
            assert await inbox.wait_for(1) == [event.id]

    run(main)


def test_durable_resumes_where_it_stopped() -> None:
    async def main() -> None:
        async with buses() as make:
            bus = await make()
            first = Inbox()
            sub = await bus.subscribe(">", "resume", first)
            e1 = ev()
            await bus.publish(e1)
            assert await first.wait_for(1) == [e1.id]
            async with asyncio.timeout(5):  # the ack is asynchronous: wait until it is counted
                while await consumer_state(bus, "resume") != (0, 0):
                    await asyncio.sleep(0.05)
            await sub.stop()
            e2 = ev()
            await bus.publish(e2)
            second = Inbox()
            await bus.subscribe(">", "resume", second)
            assert await second.wait_for(1) == [e2.id]
            await asyncio.sleep(0.3)
            assert len(second.events) == 1

    run(main)


def test_restart_keeps_the_stream_and_updates_its_settings() -> None:
    async def main() -> None:
        async with buses() as make:
            bus = await make()
            await bus.publish(ev())
            again = await make(duplicate_window=30.0)
            assert again._js is not None
            info = await again._js.stream_info(again.stream)
            assert info.config.duplicate_window == 30.0
            assert info.state.messages == 1

    run(main)


def test_unreachable_server_fails_the_start_without_leaking_credentials() -> None:
    async def main() -> None:
        bus = JetStreamBus("nats://user:secret@127.0.0.1:1", connect_timeout=0.5)
        with pytest.raises(ConnectionError, match=r"127\.0\.0\.1:1 ") as raised:
            await bus.start()
        assert "secret" not in str(raised.value)

    run(main)
