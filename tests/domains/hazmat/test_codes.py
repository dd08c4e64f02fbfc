"""Item codes: detonator shell codes (GA 441), package bar codes and CAS numbers."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domains.hazmat.builders import AT, REG, enterprise, event
from zhian.domains.hazmat import service, verify
from zhian.domains.hazmat.codes import (
    CodeType,
    ShellCode,
    check_cas,
    check_code,
    parse_shell_code,
)
from zhian.domains.hazmat.models import Item
from zhian.domains.hazmat.schemas import EventIn, ItemIn


def test_a_shell_code_parts() -> None:
    # Producer 53, made 2026-03-15 (year digit 6), feature code A, serial 00042.
    assert parse_shell_code("5360315A00042") == ShellCode("53", 6, 3, 15, "A", "00042")
    assert parse_shell_code("0190229700001").day == 29  # 29 February: some year has it


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("5360315A0004", "13 位"),  # 12 characters
        ("5360315A000421", "13 位"),  # 14
        ("0060315A00042", "企业代号"),
        ("5361315A00042", "月份"),
        ("5360431A00042", "日期"),  # 31 April
        ("5360300A00042", "日期"),
        ("5360315o00042", "特征号"),  # lower-case o reads as zero on a shell
        ("5360315-00042", "特征号"),
        ("536031AA00042", "企业代号2位"),  # a letter where the day goes
        ("5360315A0004X", "流水号5位"),
        ("５360315A00042", "企业代号2位"),  # a full-width digit: another identity
        ("5360315²00042", "特征号"),
    ],
)
def test_malformed_shell_codes_are_refused_saying_why(code: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_shell_code(code)


def test_package_codes_are_code_128() -> None:
    assert check_code("BOX-5360315A000", CodeType.BOX) == "BOX-5360315A000"
    with pytest.raises(ValueError, match="Code 128"):
        check_code("箱5360315", CodeType.CASE)
    with pytest.raises(ValueError, match="Code 128"):
        check_code("X" * 49, CodeType.BOX)


def test_cas_check_digit() -> None:
    assert check_cas("7664-93-9") == "7664-93-9"  # sulphuric acid
    assert check_cas("7732-18-5") == "7732-18-5"  # water
    assert check_cas("50-00-0") == "50-00-0"  # formaldehyde
    with pytest.raises(ValueError, match="校验码"):
        check_cas("7664-93-8")
    with pytest.raises(ValueError, match="格式"):
        check_cas("766493-9")
    with pytest.raises(ValueError, match="格式"):
        check_cas("７６６４-９３-９")


def test_the_event_input_checks_the_code_against_its_type() -> None:
    ok = ItemIn.model_validate(
        {"kind": "explosive", "code": "5360315A00042", "code_type": "detonator"}
    )
    assert ok.code == "5360315A00042"
    with pytest.raises(ValidationError) as bad:
        ItemIn.model_validate(
            {"kind": "explosive", "code": "5360431A00042", "code_type": "detonator"}
        )
    assert bad.value.errors()[0]["loc"] == ("code",)
    assert "日期" in bad.value.errors()[0]["msg"]
    with pytest.raises(ValidationError) as cas:
        ItemIn.model_validate(
            {"kind": "chemical", "code": "LOT-1", "cas": "7664-93-8", "un_number": "UN1830"}
        )
    assert cas.value.errors()[0]["loc"] == ("cas",)
    with pytest.raises(ValidationError) as wrong:
        ItemIn.model_validate({"kind": "chemical", "code": "LOT-1", "code_type": "box"})
    assert wrong.value.errors()[0]["loc"] == ("code_type",)


def test_produced_items_keep_their_code_type_and_cas(session: Session) -> None:
    ent, site = enterprise(session)
    service.record_event(
        session,
        actor=REG,
        data=EventIn.model_validate(
            {
                "event": "produce",
                "enterprise_id": ent,
                "site_id": site,
                "item": {
                    "kind": "explosive",
                    "code_type": "detonator",
                    "code": "5360315A00042",
                    "hazard_class": "1.1",
                },
                "quantity": "1",
            }
        ),
        at=AT,
    )
    event(
        session,
        "produce",
        ent,
        "LOT-H2SO4",
        item_kind="chemical",
        hazard_class="3",
        quantity="10",
        site_id=site,
        item={"cas": "7664-93-9"},
    )
    rows = dict(session.execute(select(Item.code, Item.code_type)).all())
    assert rows["5360315A00042"] == "detonator"
    assert session.scalar(select(Item.cas).where(Item.code == "LOT-H2SO4")) == "7664-93-9"
    assert verify.verify_all(session).ok
