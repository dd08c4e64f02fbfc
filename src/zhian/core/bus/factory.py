"""Choose the bus from the settings string."""

from __future__ import annotations

from zhian.core.bus.base import Bus
from zhian.core.bus.memory import InMemoryBus


def make_bus(spec: str) -> Bus:
    """``"memory"`` for the embedded bus, ``"nats://host:port"`` (or ``tls://``) for JetStream."""
    spec = spec.strip()
    if spec == "memory":
        return InMemoryBus()
    if spec.startswith(("nats://", "tls://")):
        # Imported here so that the embedded default does not load the NATS client.
        from zhian.core.bus.nats import JetStreamBus

        return JetStreamBus(spec)
    raise ValueError(f"bus: {spec!r} is neither 'memory' nor a nats:// URL")
