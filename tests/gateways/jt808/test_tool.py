"""The ``zhian jt808 decode`` contract: one JSON object per line, fields as documented."""

from __future__ import annotations

import json

from zhian.gateways.jt808.tool import decode_line, decode_lines

# SmallChi/JT808 JT808_0x0200Test.cs (Test5), as the tests there write it: spaced hex.
SPACED_2013 = (
    "7E 02 00 00 26 11 22 33 44 55 66 22 B8 00 00 00 01 00 00 00 02 00 BA 7F 0E 07 E4 F1 1C"
    " 00 28 00 3C 00 00 18 07 15 10 10 10 01 04 00 00 00 64 02 02 00 37 57 7E"
)
# makeclan/xtream-codec codec-utils.ts (BuiltinMessage0200): 2019, south latitude.
COMPACT_2019 = (
    "7e02004026010000000001391234432900000000006f0000001601dc9a0707456246007b004200032501"
    "292233440202006401040000000c417e"
)


def test_location_2013_fields() -> None:
    out = decode_line(SPACED_2013)
    assert out["msg_id"] == 0x0200 and isinstance(out["msg_id"], int)
    assert out["phone"] == "112233445566"
    assert out["serial"] == 8888
    assert out["version"] == 2013
    assert out["checksum_ok"] is True
    assert out["lat"] == 12.222222 and out["lon"] == 132.444444
    assert out["altitude_m"] == 40 and out["speed_kmh"] == 6.0 and out["heading"] == 0
    assert out["time"] == "2018-07-15T10:10:10+08:00"
    assert out["alarm"] == 1 and out["status"] == 2
    assert out["extras"] == {"1": 10.0, "2": 5.5}
    assert out["alarm_flags"] == ["emergency"]
    assert out["status_flags"]["positioned"] is True


def test_location_2019_without_delimiters_keeps_phone_digits() -> None:
    out = decode_line(COMPACT_2019[2:-2])
    assert out["version"] == 2019
    assert out["phone"] == "00000000013912344329"
    assert out["lat"] == -31.234567 and out["lon"] == 121.987654
    assert out["time"] == "2025-01-29T22:33:44+08:00"
    assert out["extras"] == {"2": 10.0, "1": 1.2}


def test_bad_checksum_is_reported_not_hidden() -> None:
    line = SPACED_2013.replace("57 7E", "58 7E")
    out = decode_line(line)
    assert out["checksum_ok"] is False
    assert out["lat"] == 12.222222


def test_undecodable_lines_give_an_error() -> None:
    for line in ("hello", "7E 02 00 7E", "7E 02 00 00 26 11 22 7E", SPACED_2013 + SPACED_2013):
        out = decode_line(line)
        assert set(out) == {"error"} and out["error"], line
    # A 0x0200 frame whose body is too short for the basic information.
    assert "error" in decode_line("7E02000001112233445566000100" + "23" + "7E")


def test_other_messages() -> None:
    register = decode_line(
        "7E 01 00 00 2D 00 01 23 45 67 89 00 0A 00 28 00 32 31 32 33 34 30 73 6D 61 6C 6C 63 68"
        " 69 31 32 33 30 30 30 30 30 30 30 30 30 43 48 49 31 32 33 30 01 D4 C1 41 31 32 33 34"
        " 35 BA 7E"
    )
    assert register["msg_id"] == 0x0100 and register["plate"] == "粤A12345"
    auth = decode_line("7E 01 02 00 09 01 23 45 67 89 00 30 39 34 35 36 31 32 31 31 31 31 BE 7E")
    assert auth["auth_code"] == "456121111" and auth["phone"] == "012345678900"
    reply = decode_line("7E80010005012345678900000A0064020000617E")
    assert (reply["reply_serial"], reply["reply_msg_id"], reply["result"]) == (100, 0x0200, 0)
    heartbeat = decode_line("7e 0002 0000 013800138000 0001 a9 7e")
    assert heartbeat["msg_id"] == 2 and heartbeat["checksum_ok"] is True


def test_decode_lines_is_one_object_per_line_and_json_safe() -> None:
    lines = [SPACED_2013 + "\n", "\n", "zz\n", COMPACT_2019 + "\n"]
    out = list(decode_lines(lines))
    assert len(out) == 4
    assert out[1] == {"error": "empty line"} and "error" in out[2]
    assert out[3]["msg_id"] == 0x0200
    for obj in out:
        assert json.loads(json.dumps(obj, ensure_ascii=False)) == obj


def test_cli_decode_answers_every_line_in_order() -> None:
    from typer.testing import CliRunner

    from zhian.cli import app

    heartbeat = "7E0002000001234567890000067E"
    result = CliRunner().invoke(app, ["jt808", "decode"], input=f"{heartbeat}\n\nzz\n")
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert result.exit_code == 0
    assert len(lines) == 3
    assert "error" in lines[1] and "error" in lines[2]
