"""Acknowledging an alert the terminal raised confirms it to the terminal (JT/T 808 0x8203).

An emergency button latches alarm bit 0 in the terminal until the platform confirms it by
hand ("manual alarm confirmation": the platform has seen the alarm). So when an operator
acknowledges an emergency alert, the terminal is told; a resolve tells it too, unless a
confirmation already got through. The domain never imports the gateway: the app hands in a
:class:`TerminalDownlink` (the in-process gateway) or nothing (no gateway in this process).
The acknowledge or resolve never depends on the terminal: it stands whether the
confirmation was delivered or not, and the answer says which.

The change is committed before the 0x8203 goes out (``commit``, handed in by whoever owns
the unit of work): waiting up to :data:`ANSWER_TIMEOUT_S` for a silent terminal inside the
transaction would hold its locks (on SQLite the one write lock, taken at BEGIN) and stall
position ingest. The outcome is then recorded in a short transaction of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhian.core.audit import service as audit
from zhian.core.scope import Actor
from zhian.domains.transport import tracking
from zhian.domains.transport.choices import AlertKind
from zhian.domains.transport.models import Alert

# The alarm bits of JT/T 808 table 24 behind each alert kind a terminal raises itself.
TERMINAL_ALARM_BITS: dict[str, int] = {AlertKind.EMERGENCY: 1 << 0}
CONFIRMED = "confirmed"
NOT_CONNECTED = "not_connected"
# How long the operator's request waits for the terminal's answer.
ANSWER_TIMEOUT_S = 5.0

# Commits the unit of work so far; what follows runs in a new transaction.
Commit = Callable[[], Awaitable[None]]


class TerminalDownlink(Protocol):
    """Commands to terminals connected to this process (the JT/T 808 gateway)."""

    async def confirm_alarm(self, phone: str, alarm_types: int, *, timeout: float) -> str:
        """Send 0x8203 for ``alarm_types`` and wait for the answer: ``confirmed``,
        ``refused``, ``no_answer`` or ``not_connected``."""
        ...


@dataclass(frozen=True)
class Handled:
    """An acknowledged or resolved alert and what became of its confirmation to the terminal."""

    alert: Alert
    # ``None`` when the alert kind is not one a terminal holds (nothing to confirm).
    confirmation: str | None

    @property
    def terminal_confirmed(self) -> bool | None:
        """Whether the terminal acknowledged the confirmation (``None``: nothing to confirm)."""
        return None if self.confirmation is None else self.confirmation == CONFIRMED


async def acknowledge_and_confirm(
    session: Session,
    *,
    actor: Actor,
    alert_id: int,
    downlink: TerminalDownlink | None,
    commit: Commit,
) -> Handled:
    """Acknowledge the alert, then confirm the terminal's alarm through ``downlink``."""
    alert = await run_in_threadpool(
        tracking.acknowledge_alert, session, actor=actor, alert_id=alert_id
    )
    return await _confirm(session, actor, alert, downlink, commit)


async def resolve_and_confirm(
    session: Session,
    *,
    actor: Actor,
    alert_id: int,
    note: str,
    downlink: TerminalDownlink | None,
    commit: Commit,
) -> Handled:
    """Resolve the alert, then confirm the terminal's alarm unless that got through already.

    The confirmation goes out after the resolve has passed every check and been committed,
    so a refused resolve never reaches the terminal.
    """
    alert = await run_in_threadpool(
        tracking.resolve_alert, session, actor=actor, alert_id=alert_id, note=note
    )
    return await _confirm(session, actor, alert, downlink, commit)


async def _confirm(
    session: Session,
    actor: Actor,
    alert: Alert,
    downlink: TerminalDownlink | None,
    commit: Commit,
) -> Handled:
    bits = TERMINAL_ALARM_BITS.get(alert.kind)
    if bits is None:
        return Handled(alert, None)
    if alert.terminal_confirmation == CONFIRMED:
        return Handled(alert, CONFIRMED)  # the terminal has cleared it: nothing to send again
    await commit()
    outcome = NOT_CONNECTED
    if downlink is not None:
        outcome = str(
            await downlink.confirm_alarm(
                alert.vehicle.terminal_phone, bits, timeout=ANSWER_TIMEOUT_S
            )
        )
    await run_in_threadpool(_record, session, actor, alert, bits, outcome)
    return Handled(alert, outcome)


def _record(session: Session, actor: Actor, alert: Alert, bits: int, outcome: str) -> None:
    alert.terminal_confirmation = outcome
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="confirm_terminal_alarm",
        outcome="success" if outcome == CONFIRMED else "failure",
        record_type="transport_alert",
        record_id=str(alert.id),
        division=alert.division,
        detail={"vehicle_id": alert.vehicle_id, "alarm_types": bits, "result": outcome},
    )
