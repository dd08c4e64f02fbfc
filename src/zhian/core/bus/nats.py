"""The bus on NATS JetStream, for deployments that outgrow one process.

One stream (``ZHIAN``) holds every subject under the prefix (``zhian.>``); each durable name is
a pull consumer with explicit ack. The server keeps the position, the unacknowledged messages
and the delivery count, so a consumer that dies is redelivered its work after ``ack_wait``.
Publishing sets ``Nats-Msg-Id`` to the event id, which the stream deduplicates within its
``duplicate_window``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig

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
)

log = logging.getLogger(__name__)


def _report_death(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("bus: consumer %s stopped", task.get_name(), exc_info=task.exception())


class _JetStreamSubscription(Subscription):
    def __init__(self, psub: JetStreamContext.PullSubscription, task: asyncio.Task[None]) -> None:
        self._psub = psub
        self._task: asyncio.Task[None] | None = task

    async def stop(self) -> None:
        """Stop fetching; messages fetched but not acked return after ``ack_wait``."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        # gather, not await: a worker that already died must not make stopping fail too.
        await asyncio.gather(task, return_exceptions=True)
        with contextlib.suppress(nats.errors.Error):
            await self._psub.unsubscribe()


class JetStreamBus(Bus):
    """The JetStream bus.

    >>> bus = JetStreamBus("nats://127.0.0.1:4222")
    >>> await bus.start()  # creates or updates the stream
    >>> await bus.subscribe("jt808.*", "transport-positions", handle)
    """

    def __init__(
        self,
        url: str = "nats://127.0.0.1:4222",
        stream: str = "ZHIAN",
        subjects_prefix: str = "zhian",
        *,
        ack_wait: float = 30.0,
        max_deliver: int = DEFAULT_MAX_DELIVER,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        duplicate_window: float = 120.0,
        max_age: float = 7 * 86400.0,
        batch: int = 10,
        fetch_timeout: float = 1.0,
        connect_timeout: float = 10.0,
    ) -> None:
        check_subject(subjects_prefix)
        self.url = url
        self.stream = stream
        self.prefix = subjects_prefix
        self.ack_wait = ack_wait
        self.max_deliver = max_deliver
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._duplicate_window = duplicate_window
        self._max_age = max_age
        self._batch = batch
        self._fetch_timeout = fetch_timeout
        self._connect_timeout = connect_timeout
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._subs: list[_JetStreamSubscription] = []

    async def start(self) -> None:
        """Connect (reconnecting forever afterwards) and create or update the stream."""
        # Reconnecting forever also retries the first connect forever: bound that one, so a
        # wrong URL fails the start instead of hanging it.
        connecting = nats.connect(self.url, name="zhian", max_reconnect_attempts=-1)
        try:
            self._nc = await asyncio.wait_for(connecting, self._connect_timeout)
        except TimeoutError:
            where = urlsplit(self.url).netloc.rpartition("@")[2]  # no credentials in logs
            raise ConnectionError(
                f"bus: no NATS server answered at {where} in {self._connect_timeout:g}s"
            ) from None
        self._js = self._nc.jetstream()
        wanted: dict[str, Any] = {
            "subjects": [f"{self.prefix}.>"],
            "duplicate_window": self._duplicate_window,
            "max_age": self._max_age,
        }
        try:
            info = await self._js.stream_info(self.stream)
        except nats.js.errors.NotFoundError:
            config = StreamConfig(name=self.stream, storage=StorageType.FILE, **wanted)
            await self._js.add_stream(config)
            return
        # Only the settings this class owns are compared, so an operator's own tuning
        # (replicas, limits) survives a restart.
        current = {key: getattr(info.config, key) for key in wanted}
        if current != wanted:
            await self._js.update_stream(info.config.evolve(**wanted))

    async def close(self) -> None:
        """Stop every subscription, flush pending acks and disconnect."""
        for sub in self._subs:
            await sub.stop()
        self._subs.clear()
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(nats.errors.Error, TimeoutError):
                await self._nc.flush(timeout=2)
            await self._nc.close()
        self._nc = self._js = None

    async def publish(self, event: Event) -> None:
        """Publish and wait for the stream to store it (or report it a duplicate)."""
        ack = await self._jetstream().publish(
            f"{self.prefix}.{event.subject}",
            event.to_bytes(),
            stream=self.stream,
            headers={"Nats-Msg-Id": event.id},
        )
        if ack.duplicate:
            log.debug("bus: duplicate event %s on %s dropped", event.id, event.subject)

    async def subscribe(self, subject: str, durable: str, handler: Handler) -> Subscription:
        """Create or update the durable pull consumer and start fetching from it."""
        check_subject(subject, wildcards=True)
        check_durable(durable)
        psub = await self._pull_consumer(subject, durable)
        task = asyncio.create_task(self._run(psub, durable, handler), name=f"bus:{durable}")
        task.add_done_callback(_report_death)
        sub = _JetStreamSubscription(psub, task)
        self._subs.append(sub)
        return sub

    async def subscribe_batch(
        self,
        subject: str,
        durable: str,
        handler: BatchHandler,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> Subscription:
        """Like ``subscribe``, fetching up to ``max_batch`` messages and handing them over."""
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        check_subject(subject, wildcards=True)
        check_durable(durable)
        psub = await self._pull_consumer(subject, durable)
        task = asyncio.create_task(
            self._run_batches(psub, durable, handler, max_batch), name=f"bus:{durable}"
        )
        task.add_done_callback(_report_death)
        sub = _JetStreamSubscription(psub, task)
        self._subs.append(sub)
        return sub

    async def _pull_consumer(self, subject: str, durable: str) -> JetStreamContext.PullSubscription:
        js = self._jetstream()
        config = ConsumerConfig(
            durable_name=durable,
            filter_subject=f"{self.prefix}.{subject}",
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_deliver=self.max_deliver,
        )
        await js.add_consumer(self.stream, config)
        return await js.pull_subscribe_bind(durable=durable, stream=self.stream)

    async def health(self) -> dict[str, Any]:
        """Kind, connection state and the stream's message count (no URL: it may hold a secret)."""
        report: dict[str, Any] = {"kind": "nats", "ok": False, "stream": self.stream}
        if self._nc is None or not self._nc.is_connected or self._js is None:
            return report
        try:
            info = await self._js.stream_info(self.stream)
        except (nats.errors.Error, TimeoutError) as exc:
            report["error"] = str(exc) or type(exc).__name__
            return report
        report.update(ok=True, messages=info.state.messages)
        return report

    def _jetstream(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("bus not started: call start() first")
        return self._js

    async def _run(
        self, psub: JetStreamContext.PullSubscription, durable: str, handler: Handler
    ) -> None:
        while True:
            try:
                msgs = await psub.fetch(self._batch, timeout=self._fetch_timeout)
            except TimeoutError:
                # An empty fetch; nats-py raises its own TimeoutError or asyncio's, by path.
                continue
            except Exception:
                # Whatever the client raises (disconnected, reconnecting), this loop is the
                # consumer: it must outlive the error. The client reconnects by itself.
                log.warning("bus: %s fetch failed", durable, exc_info=True)
                await asyncio.sleep(1.0)
                continue
            pending = list(msgs)
            async with self._held(pending):
                while pending:
                    try:
                        await self._handle(durable, handler, pending[0])
                    except Exception:
                        # The ack was lost (connection down): the server redelivers the message.
                        log.warning("bus: %s could not acknowledge", durable, exc_info=True)
                    pending.pop(0)

    @contextlib.asynccontextmanager
    async def _held(self, pending: list[Msg]) -> AsyncIterator[None]:
        keepalive = asyncio.create_task(self._keep_alive(pending))
        try:
            yield
        finally:
            keepalive.cancel()

    async def _keep_alive(self, pending: list[Msg]) -> None:
        # A batch waits while its first messages are handled: tell the server the rest are
        # still held, or a slow handler would get them redelivered to another subscriber.
        while True:
            await asyncio.sleep(self.ack_wait / 2)
            for msg in list(pending):
                with contextlib.suppress(nats.errors.Error):
                    await msg.in_progress()

    async def _handle(self, durable: str, handler: Handler, msg: Msg) -> None:
        try:
            event = Event.from_bytes(msg.data)
        except ValueError:
            log.exception("bus: %s got an unreadable message on %s: dropped", durable, msg.subject)
            await msg.term()
            return
        try:
            await handler(event)
        except Exception as exc:
            await self._failed(durable, msg, event, exc)
            return
        await msg.ack()

    async def _failed(self, durable: str, msg: Msg, event: Event, exc: Exception) -> None:
        count = msg.metadata.num_delivered
        if count >= self.max_deliver:
            log.error(
                "bus: %s gave up on event %s (%s) after %d deliveries: dead",
                durable,
                event.id,
                event.subject,
                count,
                exc_info=exc,
            )
            await msg.term()
            return
        delay = min(self._backoff * 2 ** (count - 1), self._max_backoff)
        log.warning(
            "bus: %s failed on event %s (delivery %d), retry in %.2fs",
            durable,
            event.id,
            count,
            delay,
            exc_info=exc,
        )
        await msg.nak(delay=delay)

    async def _run_batches(
        self,
        psub: JetStreamContext.PullSubscription,
        durable: str,
        handler: BatchHandler,
        max_batch: int,
    ) -> None:
        while True:
            try:
                msgs = await psub.fetch(max_batch, timeout=self._fetch_timeout)
            except TimeoutError:
                continue
            except Exception:
                log.warning("bus: %s fetch failed", durable, exc_info=True)
                await asyncio.sleep(1.0)
                continue
            batch: list[tuple[Msg, Event]] = []
            for msg in msgs:
                try:
                    batch.append((msg, Event.from_bytes(msg.data)))
                except ValueError:
                    log.exception(
                        "bus: %s got an unreadable message on %s: dropped", durable, msg.subject
                    )
                    with contextlib.suppress(nats.errors.Error):
                        await msg.term()
            if not batch:
                continue
            failed = await self._handle_batch(handler, batch)
            for msg, event in batch:
                try:
                    error = failed.get(event.id)
                    if error is None:
                        await msg.ack()
                    else:
                        await self._failed(durable, msg, event, error)
                except Exception:
                    # The ack was lost (connection down): the server redelivers the message.
                    log.warning("bus: %s could not acknowledge", durable, exc_info=True)

    async def _handle_batch(
        self, handler: BatchHandler, batch: list[tuple[Msg, Event]]
    ) -> dict[str, Exception]:
        async with self._held([m for m, _ in batch]):
            try:
                return await handler([event for _, event in batch])
            except Exception as exc:
                # The handler itself broke (not one event): the whole batch comes back.
                return {event.id: exc for _, event in batch}
