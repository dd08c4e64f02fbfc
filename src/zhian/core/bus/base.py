"""The bus interface: events, handlers, subscriptions, and the abstract ``Bus``."""

from __future__ import annotations

import json
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from zhian.core.time import as_utc, utcnow

DEFAULT_MAX_DELIVER = 10
# JetStream consumer names allow no dots or wildcards; the memory bus holds to the same rule so
# that a name that works in development works in production.
_DURABLE = re.compile(r"[A-Za-z0-9_-]{1,64}")


# A subject without wildcards; the check below answers it in one match (every event is checked).
_CONCRETE = re.compile(r"[^\s.*>]+(?:\.[^\s.*>]+)*")
_SPACE = re.compile(r"\s")


def check_subject(subject: str, *, wildcards: bool = False) -> None:
    """Raise ValueError unless ``subject`` is valid (wildcards only where ``wildcards``)."""
    if _CONCRETE.fullmatch(subject):
        return
    tokens = subject.split(".")
    if not subject or any(not t or any(c.isspace() for c in t) for t in tokens):
        raise ValueError(f"subject {subject!r}: dot-separated non-empty tokens expected")
    for i, token in enumerate(tokens):
        if token in ("*", ">"):
            if not wildcards:
                raise ValueError(f"subject {subject!r}: wildcards only in subscriptions")
            if token == ">" and i != len(tokens) - 1:
                raise ValueError(f"subject {subject!r}: '>' must be the last token")
        elif "*" in token or ">" in token:
            raise ValueError(f"subject {subject!r}: a wildcard must be a whole token")


def check_durable(name: str) -> None:
    """Raise ValueError unless ``name`` is a valid durable consumer name."""
    if not _DURABLE.fullmatch(name):
        raise ValueError(f"durable {name!r}: 1-64 of A-Z, a-z, 0-9, '_' or '-' expected")


def subject_matches(pattern: str, subject: str) -> bool:
    """Whether ``subject`` matches ``pattern`` (``*`` one token, ``>`` one or more at the end)."""
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]):
            return False
    return len(want) == len(have)


# Subjects found valid already: every event's subject is checked, and a gateway publishes
# thousands of events a second on two or three subjects.
_CHECKED_SUBJECTS: set[str] = set()


@dataclass(frozen=True, kw_only=True)
class Event:
    """A fact that happened, published once and delivered at least once.

    ``id`` is what makes redelivery harmless: the bus drops a re-publish of the same id within
    its dedupe window, and consumers record the ids they have applied.
    """

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    subject: str
    source: str
    time: datetime = field(default_factory=utcnow)
    data: dict[str, Any]

    def __post_init__(self) -> None:
        if self.subject not in _CHECKED_SUBJECTS:
            check_subject(self.subject)
            if len(_CHECKED_SUBJECTS) < 1024:  # a program publishes a handful of subjects
                _CHECKED_SUBJECTS.add(self.subject)
        if not self.id or _SPACE.search(self.id):
            # It travels as the Nats-Msg-Id header, where whitespace would break the frame.
            raise ValueError("event id: a non-empty string without whitespace expected")
        if not self.source:
            raise ValueError("event source: must not be empty")
        if self.time.tzinfo is None:
            raise ValueError("event time: an aware datetime is required")
        # Normalised so that the same instant serialises identically whatever zone it came in.
        if self.time.tzinfo is not UTC:
            object.__setattr__(self, "time", as_utc(self.time))

    @classmethod
    def new(
        cls,
        subject: str,
        source: str,
        data: dict[str, Any],
        *,
        id: str | None = None,
        time: datetime | None = None,
    ) -> Event:
        """A new event; id and time are generated unless given (to republish an event as is)."""
        return cls(
            subject=subject,
            source=source,
            data=data,
            id=id or uuid.uuid4().hex,
            time=time or utcnow(),
        )

    def to_bytes(self) -> bytes:
        """The wire form: UTF-8 JSON."""
        body = {
            "id": self.id,
            "subject": self.subject,
            "source": self.source,
            "time": self.time.isoformat(),
            "data": self.data,
        }
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Event:
        """Parse the wire form; ValueError names what is wrong."""
        try:
            body = json.loads(raw.decode())
            if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
                raise ValueError("event: a JSON object with an object 'data' expected")
            return cls(
                id=str(body["id"]),
                subject=str(body["subject"]),
                source=str(body["source"]),
                time=datetime.fromisoformat(str(body["time"])),
                data=body["data"],
            )
        except KeyError as exc:
            raise ValueError(f"event: missing field {exc.args[0]!r}") from exc
        except UnicodeDecodeError as exc:
            raise ValueError("event: not UTF-8") from exc


Handler = Callable[[Event], Awaitable[None]]
# A handler of many events at once: it returns the events that failed (by id, with their
# error); every other event of the batch is acknowledged.
BatchHandler = Callable[[list[Event]], Awaitable[dict[str, Exception]]]
DEFAULT_MAX_BATCH = 256


class Subscription(ABC):
    """A running consumer; ``stop()`` ends delivery but keeps the durable's position."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop delivering; an unfinished message stays unacknowledged and comes back later."""


class Bus(ABC):
    """Publish events; consume them through named durable consumers with explicit ack.

    A handler that returns acknowledges the event; one that raises gets it again later, up to
    ``max_deliver`` deliveries in all, after which the event is logged as dead.
    """

    @abstractmethod
    async def start(self) -> None:
        """Connect and prepare storage; call once before anything else."""

    @abstractmethod
    async def close(self) -> None:
        """Stop every subscription and release the connection."""

    @abstractmethod
    async def publish(self, event: Event) -> None:
        """Store the event for every consumer whose subject matches it."""

    @abstractmethod
    async def subscribe(self, subject: str, durable: str, handler: Handler) -> Subscription:
        """Deliver events matching ``subject`` to ``handler`` under the durable name."""

    @abstractmethod
    async def subscribe_batch(
        self,
        subject: str,
        durable: str,
        handler: BatchHandler,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> Subscription:
        """Like ``subscribe``, but hand the handler up to ``max_batch`` waiting events at once.

        For consumers whose cost is a commit per event: one transaction for a batch. Events
        the handler reports failed are redelivered (or dead) one by one, as with ``subscribe``.
        """

    @abstractmethod
    async def health(self) -> dict[str, Any]:
        """A small report for the health endpoint: at least ``kind`` and ``ok``."""
