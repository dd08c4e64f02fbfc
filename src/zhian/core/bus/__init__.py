"""The event bus: gateways publish what devices report; domain consumers apply it.

::

    gateway ── publish(Event) ──► Bus ──► durable consumer "transport-positions"
                                   │        handler = idempotent(name, sessions, effect)
                                   │          unit of work: insert (consumer, event id)
                                   │                        + effect, commit
                                   │        returns → ack     raises → redelivered later
                                   └─────► durable consumer "incidents-avl" ...

    Bus                    publish / subscribe(subject, durable, handler) / health
    ├── InMemoryBus        the embedded default: one process, positions kept while it runs
    └── JetStreamBus       NATS JetStream: stream "ZHIAN" on zhian.>, pull consumers

Delivery is at least once. An event carries an id: the bus drops a re-publish of the same id
within its dedupe window (JetStream's ``Nats-Msg-Id``), and ``idempotent`` makes a consumer
apply each id once, by writing the id in the same transaction as the effect. A message is
acknowledged only after that transaction commits; a handler that raises has it redelivered
with a growing delay, up to ``max_deliver`` times, after which it is logged as dead.
Subjects are dot-separated (``jt808.position``); subscriptions may use ``*`` (one token) and
``>`` (the rest).
"""

from zhian.core.bus.base import Bus, Event, Handler, Subscription, subject_matches
from zhian.core.bus.consumer import Effect, idempotent
from zhian.core.bus.factory import make_bus
from zhian.core.bus.memory import InMemoryBus

__all__ = [
    "Bus",
    "Effect",
    "Event",
    "Handler",
    "InMemoryBus",
    "Subscription",
    "idempotent",
    "make_bus",
    "subject_matches",
]
