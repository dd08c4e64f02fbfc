"""The event bus: gateways publish what devices report; domain consumers apply it.

::

    gateway ── publish(Event) ──► Bus ──► durable consumer "transport-positions"
                                   │        handler = idempotent(name, sessions, effect)
                                   │          unit of work: insert (consumer, event id)
                                   │                        + effect, commit
                                   │        returns → ack     raises → redelivered later
                                   └─────► durable consumer "incidents-avl" ...

    Bus                    publish / subscribe(subject, durable, handler) / health
                           subscribe_batch(subject, durable, batch handler, max_batch)
    ├── InMemoryBus        the embedded default: one process, positions kept while it runs
    └── JetStreamBus       NATS JetStream: stream "ZHIAN" on zhian.>, pull consumers

Delivery is at least once. An event carries an id: the bus drops a re-publish of the same id
within its dedupe window (JetStream's ``Nats-Msg-Id``), and ``idempotent`` makes a consumer
apply each id once, by writing the id in the same transaction as the effect. A message is
acknowledged only after that transaction commits; a handler that raises has it redelivered
with a growing delay, up to ``max_deliver`` times, after which it is logged as dead.
A consumer whose cost is the commit (positions: one fsync each) subscribes with
``subscribe_batch`` and ``idempotent_batch``: up to ``max_batch`` waiting events in one
transaction, each in its own savepoint so that one bad event is redelivered alone; with a
``whole`` batch effect the batch is first applied as one unit (its keys in one insert), and
only if that fails event by event.
Subjects are dot-separated (``jt808.position``); subscriptions may use ``*`` (one token) and
``>`` (the rest).
"""

from zhian.core.bus.base import (
    BatchHandler,
    Bus,
    Event,
    Handler,
    Subscription,
    subject_matches,
)
from zhian.core.bus.consumer import BatchEffect, Effect, idempotent, idempotent_batch
from zhian.core.bus.factory import make_bus
from zhian.core.bus.memory import InMemoryBus

__all__ = [
    "BatchEffect",
    "BatchHandler",
    "Bus",
    "Effect",
    "Event",
    "Handler",
    "InMemoryBus",
    "Subscription",
    "idempotent",
    "idempotent_batch",
    "make_bus",
    "subject_matches",
]
