"""0x8203 from the gateway to a connected terminal, and the terminal's 0x0001 answer."""

from __future__ import annotations

import asyncio

import pytest

from tests.gateways.jt808.test_server import (
    PHONE,
    PLATE,
    START,
    connected,
    eventually,
    gateway,
    route,
    run,
)
from zhian.gateways.jt808.downlink import Outcome
from zhian.gateways.jt808.messages import (
    CONFIRM_EMERGENCY,
    TERMINAL_RESPONSE,
    AlarmConfirmation,
    GeneralResponse,
    encode_body,
)
from zhian.sim.jt808_terminal import SimTerminal


@pytest.mark.parametrize("version", [2013, 2019])
def test_confirmed_emergency_clears_the_terminals_bit(version: int) -> None:
    async def scenario() -> None:
        async with gateway() as (server, bus):
            t = await connected(server, PHONE, version)
            assert await t.run([]) == []
            t.press_emergency()
            assert await t.locate(109.5, 34.5, 40, START) == 0
            assert bus.of("jt808.position")[-1][1]["alarms"] == ["emergency"]

            outcome, confirm = await asyncio.gather(
                server.confirm_alarm(PHONE, CONFIRM_EMERGENCY), t.wait_confirmation()
            )
            assert outcome is Outcome.CONFIRMED
            assert confirm == AlarmConfirmation(0, CONFIRM_EMERGENCY)
            # Framed as the terminal frames: its version and its phone digits.
            assert t.last_command is not None and t.last_command.version == version
            assert t.last_command.phone.lstrip("0") == PHONE

            assert await t.locate(109.501, 34.5, 40, START.replace(second=10)) == 0
            assert bus.of("jt808.position")[-1][1]["alarm"] == 0
            await t.close()

    run(scenario())


def test_not_connected_unless_authenticated_here() -> None:
    async def scenario() -> None:
        async with gateway() as (server, _):
            assert await server.confirm_alarm(PHONE, CONFIRM_EMERGENCY) is Outcome.NOT_CONNECTED
            t = await connected(server)
            assert await t.register() == 0  # registered, not yet authenticated
            assert await server.confirm_alarm(PHONE, CONFIRM_EMERGENCY) is Outcome.NOT_CONNECTED
            assert await t.authenticate() == 0
            assert server.downlink.connected(PHONE)
            await t.close()
            await eventually(lambda: not server.downlink.connected(PHONE))
            assert await server.confirm_alarm(PHONE, CONFIRM_EMERGENCY) is Outcome.NOT_CONNECTED

    run(scenario())


def test_a_newer_connection_takes_over_and_the_older_ones_close_keeps_it() -> None:
    async def scenario() -> None:
        async with gateway() as (server, _):
            old = await connected(server)
            await old.run([])
            new = SimTerminal(PHONE, plate=PLATE, auth_code=old.auth_code, timeout=5.0)
            await new.connect("127.0.0.1", server.port)
            assert await new.authenticate() == 0
            await old.close()
            await asyncio.sleep(0.1)
            outcome, _ = await asyncio.gather(
                server.confirm_alarm(PHONE, CONFIRM_EMERGENCY), new.wait_confirmation()
            )
            assert outcome is Outcome.CONFIRMED
            assert old.confirmations == []
            await new.close()

    run(scenario())


def test_refused_and_unanswered_commands() -> None:
    async def scenario() -> None:
        async with gateway() as (server, bus):
            t = await connected(server)
            await t.run([])
            t.press_emergency()
            t.command_result = 1
            outcome, _ = await asyncio.gather(
                server.confirm_alarm(PHONE, CONFIRM_EMERGENCY), t.wait_confirmation()
            )
            assert outcome is Outcome.REFUSED and t.alarm == CONFIRM_EMERGENCY
            # Still latched: every fix carries it, batched or not.
            assert await t.send_batch(route(2)) == 0
            assert await t.run(route(1)) == [0]
            assert [e[1]["alarm"] for e in bus.of("jt808.position")] == [1, 1, 1]

            # A silent terminal, and an answer naming another serial, leave the command open.
            t.command_result = None
            pending = asyncio.ensure_future(
                server.confirm_alarm(PHONE, CONFIRM_EMERGENCY, timeout=0.5)
            )
            await t.wait_confirmation()
            assert t.last_command is not None
            wrong = GeneralResponse((t.last_command.serial + 1) & 0xFFFF, 0x8203, 0)
            await t.send(TERMINAL_RESPONSE, encode_body(wrong))
            assert await pending is Outcome.NO_ANSWER
            assert t.alarm == CONFIRM_EMERGENCY
            # The connection is still good.
            assert await t.heartbeat() == 0
            await t.close()

    run(scenario())
