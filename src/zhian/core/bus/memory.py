"""The embedded bus: one asyncio process, JetStream's delivery rules in miniature.

Events go into one retained log (the newest ``max_messages``). Each durable consumer keeps its
own position in the log and its own set of failed events waiting for redelivery, so stopping
and subscribing again under the same name resumes where it left off. Nothing survives the
process: a deployment that must not lose events across restarts uses JetStream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from zhian.core.bus.base import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_DELIVER,
    BatchHandler,
    Bus,
    Event,
    Handler,
    Subscription,
    check_durable,
    check_subject,
    subject_matches,
)

log = logging.getLogger(__name__)


@dataclass(eq=False)
class _Consumer:
    name: str
    pattern: str
    next_seq: int  # the first log sequence this consumer has not looked at yet
    deliveries: dict[int, int] = field(default_factory=dict)  # unacked seq -> times delivered
    retry_at: dict[int, float] = field(default_factory=dict)  # failed seq -> loop time due
    busy: bool = False
    dead: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class _MemorySubscription(Subscription):
    def __init__(self, consumer: _Consumer) -> None:
        self._consumer = consumer

    async def stop(self) -> None:
        """Cancel the consumer's worker; an event it was handling will be redelivered."""
        task, self._consumer.task = self._consumer.task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


class InMemoryBus(Bus):
    """The in-process bus, the default for one machine and for tests.

    >>> bus = InMemoryBus()
    >>> await bus.start()
    >>> await bus.subscribe("jt808.*", "transport.positions", handle)
    >>> await bus.publish(Event.new("jt808.position", "gateway.jt808", {"lon": 109.5}))
    >>> await bus.wait_idle()
    """

    def __init__(
        self,
        *,
        max_deliver: int = DEFAULT_MAX_DELIVER,
        dedupe_window: float = 120.0,
        backoff: float = 0.05,
        max_backoff: float = 5.0,
        max_messages: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_deliver < 1 or max_messages < 1:
            raise ValueError("max_deliver and max_messages must be at least 1")
        self.max_deliver = max_deliver
        self._dedupe_window = dedupe_window
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._max_messages = max_messages
        self._clock = clock  # only for the dedupe window, so tests can move it by hand
        # seq -> event for the retained seqs, first_seq .. next_seq - 1. The oldest is found
        # by its number: a dict trimmed from the front (next(iter(...))) walks over every slot
        # deleted since it was last resized, and this one is trimmed on every publish.
        self._log: dict[int, Event] = {}
        self._first_seq = 1
        self._next_seq = 1
        self._seen: dict[str, float] = {}  # event id -> publish time
        self._seen_order: deque[tuple[str, float]] = deque()  # the same, oldest first
        self._consumers: dict[str, _Consumer] = {}
        self._started = False

    async def start(self) -> None:
        """Nothing to connect to; marks the bus usable."""
        self._started = True

    async def close(self) -> None:
        """Stop every consumer; the log and positions stay until the object is dropped."""
        for consumer in self._consumers.values():
            await _MemorySubscription(consumer).stop()
        self._started = False

    async def publish(self, event: Event) -> None:
        """Append the event unless its id was published within the dedupe window."""
        self._require_started()
        now = self._clock()
        seen_order = self._seen_order
        while seen_order and now - seen_order[0][1] >= self._dedupe_window:
            oldest_id, _ = seen_order.popleft()
            del self._seen[oldest_id]
        if event.id in self._seen:
            log.debug("bus: duplicate event %s on %s dropped", event.id, event.subject)
            return
        if self._dedupe_window > 0:
            self._seen[event.id] = now
            seen_order.append((event.id, now))
        self._log[self._next_seq] = event
        self._next_seq += 1
        while self._next_seq - self._first_seq > self._max_messages:
            del self._log[self._first_seq]
            self._first_seq += 1
        for consumer in self._consumers.values():
            consumer.wake.set()

    async def subscribe(self, subject: str, durable: str, handler: Handler) -> Subscription:
        """Start the durable consumer; a new name starts at the oldest retained event."""
        return await self._subscribe(subject, durable, lambda c: self._run(c, handler))

    async def subscribe_batch(
        self,
        subject: str,
        durable: str,
        handler: BatchHandler,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> Subscription:
        """Start the durable consumer, handing over up to ``max_batch`` waiting events a time."""
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        return await self._subscribe(
            subject, durable, lambda c: self._run_batches(c, handler, max_batch)
        )

    async def _subscribe(
        self,
        subject: str,
        durable: str,
        run: Callable[[_Consumer], Coroutine[Any, Any, None]],
    ) -> Subscription:
        self._require_started()
        check_subject(subject, wildcards=True)
        check_durable(durable)
        consumer = self._consumers.get(durable)
        if consumer is None:
            first = self._first_seq
            consumer = self._consumers[durable] = _Consumer(durable, subject, first)
        elif consumer.task is not None:
            raise RuntimeError(f"durable {durable!r} already has a subscriber")
        # Like a JetStream consumer update: a new filter applies from the current position on.
        consumer.pattern = subject
        consumer.task = asyncio.create_task(run(consumer), name=f"bus:{durable}")
        return _MemorySubscription(consumer)

    async def health(self) -> dict[str, Any]:
        """Kind, state, retained events and each consumer's backlog."""
        return {
            "kind": "memory",
            "ok": self._started,
            "messages": len(self._log),
            "consumers": {
                c.name: {
                    "active": c.task is not None,
                    "behind": self._next_seq - c.next_seq,
                    "retrying": len(c.retry_at),
                    "dead": c.dead,
                }
                for c in self._consumers.values()
            },
        }

    async def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until every running consumer has handled (or given up on) all it was sent.

        Raises TimeoutError after ``timeout`` seconds, so a test can never hang on it.
        """
        async with asyncio.timeout(timeout):
            while not self._idle():
                await asyncio.sleep(0.005)

    def _idle(self) -> bool:
        return all(
            not c.busy and not c.retry_at and c.next_seq >= self._next_seq
            for c in self._consumers.values()
            if c.task is not None
        )

    def _require_started(self) -> None:
        if not self._started:
            raise RuntimeError("bus not started: call start() first")

    def _next_for(self, consumer: _Consumer, now: float) -> int | None:
        due = [seq for seq, at in consumer.retry_at.items() if at <= now]
        if due:
            seq = min(due)
            del consumer.retry_at[seq]
            return seq
        consumer.next_seq = max(consumer.next_seq, self._first_seq)
        while consumer.next_seq < self._next_seq:
            seq = consumer.next_seq
            consumer.next_seq += 1
            if subject_matches(consumer.pattern, self._log[seq].subject):
                return seq
        return None

    async def _run(self, consumer: _Consumer, handler: Handler) -> None:
        loop = asyncio.get_running_loop()
        while True:
            consumer.wake.clear()
            seq = self._next_for(consumer, loop.time())
            if seq is None:
                wait = min(consumer.retry_at.values(), default=None)
                with contextlib.suppress(TimeoutError):
                    timeout = None if wait is None else max(0.0, wait - loop.time())
                    await asyncio.wait_for(consumer.wake.wait(), timeout)
                continue
            event = self._log.get(seq)
            if event is None:  # pushed out of the log by max_messages while it waited
                log.warning("bus: %s lost event seq %d (log limit)", consumer.name, seq)
                consumer.deliveries.pop(seq, None)
                continue
            await self._deliver(consumer, handler, seq, event, loop.time)

    async def _deliver(
        self,
        consumer: _Consumer,
        handler: Handler,
        seq: int,
        event: Event,
        now: Callable[[], float],
    ) -> None:
        count = consumer.deliveries[seq] = consumer.deliveries.get(seq, 0) + 1
        consumer.busy = True
        try:
            await handler(event)
        except asyncio.CancelledError:
            # Stopped mid-handling: not acknowledged, so it is the first thing on resubscribe.
            consumer.retry_at[seq] = now()
            raise
        except Exception as exc:
            self._failed(consumer, seq, event, count, exc, now())
        else:
            del consumer.deliveries[seq]
        finally:
            consumer.busy = False

    async def _run_batches(
        self, consumer: _Consumer, handler: BatchHandler, max_batch: int
    ) -> None:
        loop = asyncio.get_running_loop()
        while True:
            consumer.wake.clear()
            batch: list[tuple[int, Event]] = []
            while len(batch) < max_batch:
                seq = self._next_for(consumer, loop.time())
                if seq is None:
                    break
                event = self._log.get(seq)
                if event is None:
                    log.warning("bus: %s lost event seq %d (log limit)", consumer.name, seq)
                    consumer.deliveries.pop(seq, None)
                    continue
                batch.append((seq, event))
            if not batch:
                wait = min(consumer.retry_at.values(), default=None)
                with contextlib.suppress(TimeoutError):
                    timeout = None if wait is None else max(0.0, wait - loop.time())
                    await asyncio.wait_for(consumer.wake.wait(), timeout)
                continue
            await self._deliver_batch(consumer, handler, batch, loop.time)

    async def _deliver_batch(
        self,
        consumer: _Consumer,
        handler: BatchHandler,
        batch: list[tuple[int, Event]],
        now: Callable[[], float],
    ) -> None:
        counts = {}
        for seq, _ in batch:
            counts[seq] = consumer.deliveries[seq] = consumer.deliveries.get(seq, 0) + 1
        consumer.busy = True
        try:
            failed = await handler([event for _, event in batch])
        except asyncio.CancelledError:
            for seq, _ in batch:
                consumer.retry_at[seq] = now()
            raise
        except Exception as exc:
            # The handler itself broke (not one event): the whole batch comes back.
            failed = {event.id: exc for _, event in batch}
        finally:
            consumer.busy = False
        at = now()  # one due time for the batch's failures, so they come back together
        for seq, event in batch:
            error = failed.get(event.id)
            if error is None:
                del consumer.deliveries[seq]
            else:
                self._failed(consumer, seq, event, counts[seq], error, at)

    def _failed(
        self,
        consumer: _Consumer,
        seq: int,
        event: Event,
        count: int,
        exc: Exception,
        now: float,
    ) -> None:
        if count >= self.max_deliver:
            consumer.dead += 1
            del consumer.deliveries[seq]
            log.error(
                "bus: %s gave up on event %s (%s) after %d deliveries: dead",
                consumer.name,
                event.id,
                event.subject,
                count,
                exc_info=exc,
            )
        else:
            delay = min(self._backoff * 2 ** (count - 1), self._max_backoff)
            consumer.retry_at[seq] = now + delay
            log.warning(
                "bus: %s failed on event %s (delivery %d), retry in %.2fs",
                consumer.name,
                event.id,
                count,
                delay,
                exc_info=exc,
            )
