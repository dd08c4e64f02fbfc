"""Named alarm and status bits, and the normalized position the gateway puts on the bus.

Bit meanings follow JT/T 808-2013 table 24/25 (alarm/status); 2019 keeps them. Coordinates
are WGS-84 in the standard, so they pass through unchanged; time becomes UTC.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC
from typing import Any

from zhian.gateways.jt808.messages import BATCH_BLIND_AREA, ExtraValue, Location

ALARM_BITS: dict[int, str] = {
    0: "emergency",
    1: "overspeed",
    2: "fatigue",
    3: "danger_warning",
    4: "gnss_fault",
    5: "gnss_antenna_cut",
    6: "gnss_antenna_short",
    7: "power_undervoltage",
    8: "power_lost",
    9: "display_fault",
    10: "tts_fault",
    11: "camera_fault",
    12: "ic_card_fault",
    13: "overspeed_warning",
    14: "fatigue_warning",
    18: "driving_overtime_today",
    19: "parking_overtime",
    20: "area_in_out",
    21: "route_in_out",
    22: "route_time_abnormal",
    23: "route_deviation",
    24: "vss_fault",
    25: "fuel_abnormal",
    26: "stolen",
    27: "illegal_ignition",
    28: "illegal_displacement",
    29: "collision",
    30: "rollover",
    31: "illegal_door_open",
}

STATUS_BITS: dict[int, str] = {
    0: "acc_on",
    1: "positioned",
    2: "south",
    3: "west",
    4: "out_of_service",
    5: "coords_encrypted",
    10: "oil_cut",
    11: "circuit_cut",
    12: "doors_locked",
    13: "door1_open",
    14: "door2_open",
    15: "door3_open",
    16: "door4_open",
    17: "door5_open",
    18: "gps",
    19: "beidou",
    20: "glonass",
    21: "galileo",
    22: "moving",
}
POSITIONED = 1 << 1  # STATUS_BITS[1]


def positioned(status: int) -> bool:
    """Whether the fix is a real GNSS fix (status bit 1). A terminal without one still
    reports, with a zero or its last position and no usable speed."""
    return bool(status & POSITIONED)


# Bits 8-9 together: the load state of the vehicle.
LOAD_STATES = ("empty", "half", "reserved", "full")

EXTRA_NAMES: dict[int, str] = {
    0x01: "mileage_km",
    0x02: "fuel_l",
    0x03: "recorder_speed_kmh",
    0x04: "alarm_event_id",
    0x25: "vehicle_signals",
    0x2A: "io_status",
    0x2B: "analog",
    0x30: "signal_strength",
    0x31: "satellites",
}


def alarm_flags(alarm: int) -> list[str]:
    """Names of the alarm bits set, low bit first; undefined bits appear as ``bitN``."""
    if not alarm:
        return []  # nearly every fix: no alarm
    return list(_alarm_flags(alarm))


@functools.lru_cache(maxsize=1024)
def _alarm_flags(alarm: int) -> tuple[str, ...]:
    return tuple(ALARM_BITS.get(bit, f"bit{bit}") for bit in range(32) if alarm >> bit & 1)


def status_flags(status: int) -> dict[str, bool | str]:
    """Every named status bit as a boolean, plus ``load`` from bits 8-9."""
    # A fleet reports a handful of distinct status words: each is spelled out once, and
    # every event gets its own copy (a consumer may change its event's data).
    return dict(_status_flags(status))


@functools.lru_cache(maxsize=1024)
def _status_flags(status: int) -> dict[str, bool | str]:
    flags: dict[str, bool | str] = {
        name: bool(status >> bit & 1) for bit, name in STATUS_BITS.items()
    }
    flags["load"] = LOAD_STATES[status >> 8 & 3]
    return flags


def extras_json(extras: dict[int, ExtraValue]) -> dict[str, int | float | str]:
    """Additional items keyed by decimal id; raw items become hex strings."""
    return {str(k): v.hex() if isinstance(v, bytes) else v for k, v in extras.items()}


def position_event_id(phone: str, loc: Location) -> str:
    """A deterministic id for one fix, so a retransmitted report dedupes on the bus.

    It hashes the fix itself rather than the serial: a terminal that missed our answer
    resends the same fix later, often inside a 0x0704 blind-area batch with a new serial.
    """
    # One f-string (str() of each value, as the ids have always been made): ids must not
    # change, or a fix resent across an upgrade would be stored twice.
    key = (
        f"{phone}|{loc.time.isoformat()}|{loc.lat}|{loc.lon}|{loc.alarm}|{loc.status}"
        f"|{loc.speed_kmh}|{loc.heading}|{loc.altitude_m}"
    )
    return "jt808-" + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


def position_event(
    phone: str, loc: Location, *, version: int, serial: int, batch: int | None = None
) -> dict[str, Any]:
    """The normalized position: WGS-84 degrees, UTC ISO time, km/h, heading, named bits."""
    event: dict[str, Any] = {
        "phone": phone,
        "version": version,
        "serial": serial,
        "time": loc.time.astimezone(UTC).isoformat(),
        "lat": loc.lat,
        "lon": loc.lon,
        "altitude_m": loc.altitude_m,
        "speed_kmh": loc.speed_kmh,
        "heading": loc.heading,
        "alarm": loc.alarm,
        "alarms": alarm_flags(loc.alarm),
        "status": loc.status,
        "status_flags": status_flags(loc.status),
        "extras": extras_json(loc.extras),
        "source": "batch" if batch is not None else "report",
        "blind_area": batch == BATCH_BLIND_AREA,
    }
    for item, name in EXTRA_NAMES.items():
        value = loc.extras.get(item)
        if value is not None and not isinstance(value, bytes):
            event[name] = value
    return event
