"""Demo custody ledger for the Weinan profile: enterprises, licences, magazines and a week of
traffic, written through the services (so chains, stock, alerts and audit are real).

Explosives go produce → sell (to the seller) → receive → ship → deliver (to a blasting
operator) → store → issue for blasting → use, the odd charge returned; chemicals are produced
and sold by the lot; a security company's duty guns go out and come back with their rounds.
The last evening a physical count at 金石爆破's magazine misses one detonator (``PLANTED``
names it), so the demo opens with a discrepancy alert listing that code. One licence ends
within 30 days and an old one has expired. The week's days are sealed (Merkle roots), so an
item's timeline shows its inclusion proofs.

Deterministic: the same ``now`` gives the same ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhian.core.scope import Actor
from zhian.core.time import SHANGHAI, as_utc, local
from zhian.domains.firearms import service as firearms
from zhian.domains.firearms.schemas import GunCreate, IssueIn, LotCreate, ReturnIn
from zhian.domains.hazmat import alerts, service, verify
from zhian.domains.hazmat.schemas import (
    CountIn,
    CountLine,
    EnterpriseCreate,
    EventIn,
    LicenceCreate,
    SiteCreate,
)
from zhian.domains.places.models import Division

DAYS = 7
REGULATOR = Actor(
    user_id=None, username="demo:渭南市公安局治安支队", role="regulator", division="610500"
)
# Detonator shell codes (13 characters): factory, year digit, month, day, feature, serial.
FACTORY = "53"
DETONATORS_PER_DAY = 5
CASES_PER_DAY = 1


@dataclass
class Firm:
    """A demo enterprise, its first site and the keeper who records its events."""

    id: int
    site: int
    keeper: Actor


@dataclass
class DemoLedger:
    """What the seed made: enterprises by key, the planted missing code, the counts."""

    firms: dict[str, Firm]
    planted: str
    events: int = 0
    alert_id: int | None = None
    days: list[date] = field(default_factory=list)


# key, name, kind, county, address, offset from the county seat (deg), licences, site, capacity
ENTERPRISES: tuple[
    tuple[str, str, str, str, str, tuple[float, float], str, dict[str, str]], ...
] = (
    (
        "maker",
        "渭南秦华民爆器材有限公司",
        "producer",
        "610502",
        "临渭区龙背街道秦华路",
        (0.05, -0.06),
        "秦华民爆成品总库",
        {"1.1": "2000"},
    ),
    (
        "seller",
        "陕西华岳民爆物品销售有限公司",
        "seller",
        "610503",
        "华州区莲花寺镇",
        (0.03, -0.05),
        "华岳民爆中转库",
        {"1.1": "1000"},
    ),
    (
        "blaster",
        "渭南金石爆破工程有限公司",
        "blasting",
        "610502",
        "临渭区阳郭镇",
        (0.08, -0.09),
        "金石爆破阳郭药库",
        {"1.1": "300"},
    ),
    (
        "hc_blaster",
        "韩城市龙门爆破工程有限公司",
        "blasting",
        "610581",
        "韩城市龙门镇",
        (0.06, 0.07),
        "龙门爆破药库",
        {"1.1": "300"},
    ),
    (
        "chem",
        "蒲城清洁能源化工有限责任公司",
        "producer",
        "610526",
        "蒲城县罕井镇",
        (-0.04, 0.08),
        "清洁能源成品罐区",
        {"5.1": "300000", "3": "800000"},
    ),
    (
        "chem_seller",
        "富平县恒通化工贸易有限公司",
        "seller",
        "610528",
        "富平县庄里镇",
        (0.04, 0.03),
        "恒通危化品仓库",
        {"5.1": "60000", "3": "120000"},
    ),
    (
        "guards",
        "渭南市押运保安服务有限公司",
        "security_company",
        "610502",
        "临渭区胜利大街",
        (0.01, 0.01),
        "押运公司枪弹库",
        {"firearm": "20", "1.4": "10000"},
    ),
)


def _seats(session: Session) -> dict[str, tuple[float, float]]:
    rows = session.execute(select(Division.adcode, Division.seat_lon, Division.seat_lat)).all()
    return {str(c): (float(x), float(y)) for c, x, y in rows if x is not None and y is not None}


def _licences(key: str, today: date) -> list[tuple[str, dict[str, str], date, date]]:
    """(number, limits per event, from, until): one ends within 30 days, one has expired."""
    long_ago, later = date(today.year - 2, 1, 1), date(today.year + 2, 12, 31)
    table: dict[str, list[tuple[str, dict[str, str], date, date]]] = {
        "maker": [
            (
                "陕民爆生许〔2021〕017",
                {"1.1": "5000"},
                date(today.year - 5, 1, 1),
                today - timedelta(days=300),
            ),
            ("陕民爆生许〔2024〕017", {"1.1": "5000"}, long_ago, later),
        ],
        "seller": [
            ("陕民爆销许〔2023〕042", {"1.1": "2000"}, long_ago, today + timedelta(days=21))
        ],
        "blaster": [("陕爆破许〔2024〕0611", {"1.1": "500"}, long_ago, later)],
        "hc_blaster": [("陕爆破许〔2025〕0817", {"1.1": "500"}, long_ago, later)],
        "chem": [("陕危化生许〔2022〕0093", {"5.1": "50000", "3": "50000"}, long_ago, later)],
        "chem_seller": [
            ("陕危化经许〔2024〕0310", {"5.1": "20000", "3": "20000"}, long_ago, later)
        ],
        "guards": [("陕公枪配许〔2023〕008", {"firearm": "10", "1.4": "5000"}, long_ago, later)],
    }
    return table[key]


def _firms(session: Session, today: date) -> dict[str, Firm]:
    seats = _seats(session)
    firms: dict[str, Firm] = {}
    for n, (key, name, kind, county, address, (dx, dy), site_name, capacity) in enumerate(
        ENTERPRISES, start=1
    ):
        lon, lat = seats[county]
        ent = service.create_enterprise(
            session,
            actor=REGULATOR,
            data=EnterpriseCreate(
                name=name, kind=kind, division=county, address=address, lon=lon, lat=lat
            ),
        )
        for number, limits, start, end in _licences(key, today):
            service.add_licence(
                session,
                actor=REGULATOR,
                enterprise_id=ent.id,
                data=LicenceCreate.model_validate(
                    {"number": number, "limits": limits, "valid_from": start, "valid_until": end}
                ),
            )
        # A magazine lies away from the office, out of town: located by its point alone.
        site = service.add_site(
            session,
            actor=REGULATOR,
            enterprise_id=ent.id,
            data=SiteCreate.model_validate(
                {
                    "name": site_name,
                    "capacity": capacity,
                    "lon": lon + dx,
                    "lat": lat + dy,
                    # Its intrusion panel and two cameras (gate, store room), by reference.
                    "alarm_account": f"{county[-3:]}{n:03d}",
                    "camera_ids": [f"{county}{n:04d}13200{k:05d}" for k in (1, 2)],
                }
            ),
        )
        keeper = Actor(
            user_id=None, username=f"{name[:6]}·保管员", role="unit_security", division=county
        )
        firms[key] = Firm(ent.id, site.id, keeper)
    return firms


class _Writer:
    """Records events through the service, counting them."""

    def __init__(self, session: Session, firms: dict[str, Firm]) -> None:
        self.session, self.firms, self.events = session, firms, 0

    def __call__(
        self,
        kind: str,
        key: str,
        code: str,
        at: datetime,
        *,
        quantity: str = "1",
        item: dict[str, Any] | None = None,
        site: bool = True,
        to: str | None = None,
        reference: str = "",
        payload: dict[str, Any] | None = None,
    ) -> None:
        firm = self.firms[key]
        data = EventIn.model_validate(
            {
                "event": kind,
                "enterprise_id": firm.id,
                "item": item or {"kind": "explosive", "code": code},
                "quantity": quantity,
                "site_id": firm.site if site else None,
                "to_enterprise_id": self.firms[to].id if to else None,
                "reference": reference,
                "payload": payload or {},
            }
        )
        service.record_event(self.session, actor=firm.keeper, data=data, at=at)
        self.events += 1


def seed_hazmat(session: Session, *, now: datetime) -> DemoLedger:
    """Seed the demo ledger: the week before ``now`` (Asia/Shanghai days), sealed."""
    today = local(now).date()
    days = [today - timedelta(days=DAYS - d) for d in range(DAYS)]
    firms = _firms(session, today)
    write = _Writer(session, firms)

    def at(day: date, hh: int, mm: int = 0) -> datetime:
        return as_utc(datetime.combine(day, time(hh, mm), tzinfo=SHANGHAI))

    guns = _register_guns(session, firms, at(days[0], 7))
    in_magazine: dict[str, list[str]] = {"blaster": [], "hc_blaster": []}
    for n, day in enumerate(days):
        stamp = f"{day:%y%m%d}"[1:]  # year digit, month, day
        made = [f"{FACTORY}{stamp}A{n * 100 + i + 1:05d}" for i in range(DETONATORS_PER_DAY)]
        cases = [f"{FACTORY}{stamp}E{n * 100 + i + 1:05d}" for i in range(CASES_PER_DAY)]
        for i, code in enumerate(made + cases):
            item = {
                "kind": "explosive",
                "code_type": "detonator" if i < len(made) else "case",
                "code": code,
                "hazard_class": "1.1",
            }
            write("produce", "maker", code, at(day, 8, i), item=item, reference=f"生产批 {stamp}")
        # The seller buys most of the day's output and takes it into its depot.
        bought = made[:4] + cases[:1]
        for i, code in enumerate(bought):
            write(
                "transfer",
                "maker",
                code,
                at(day, 10, i),
                to="seller",
                reference=f"销售合同 XS{stamp}",
            )
            write("receive", "seller", code, at(day, 11, i), reference=f"入库单 RK{stamp}")
        # Then ships to the two blasting operators, each load delivered and stored that day.
        for i, code in enumerate(bought):
            buyer = "blaster" if i < 4 else "hc_blaster"
            due = at(day, 20).isoformat()
            write(
                "ship",
                "seller",
                code,
                at(day, 13, i),
                reference=f"运单 YD{stamp}{i:02d}",
                payload={"due_at": due},
            )
            write(
                "deliver",
                "seller",
                code,
                at(day, 15, i),
                site=False,
                to=buyer,
                reference=f"交付单 JF{stamp}{i:02d}",
            )
            write("store", buyer, code, at(day, 16, i), reference=f"入库单 {stamp}{i:02d}")
            in_magazine[buyer].append(code)
        # The morning after: charges issued for blasting, most used, one brought back.
        if n > 0:
            _blast(write, in_magazine, day, at, stamp)
        _chemicals(write, day, at, stamp)
        _duty(session, firms, guns, day, at, n)
    # The evening count at 金石爆破's magazine: one detonator is not there.
    held = sorted(in_magazine["blaster"])
    planted = next(c for c in reversed(held) if c[7] == "A")
    last = days[-1]
    found = [CountLine(code=c) for c in held if c != planted]
    keeper = firms["blaster"].keeper
    counted = alerts.count_site(
        session,
        actor=keeper,
        site_id=firms["blaster"].site,
        data=CountIn(items=found),
        at=at(last, 20),
    )
    # A clean count at the seller's depot the same evening writes nothing to the ledger.
    seller_held = [
        CountLine(code=s.code, quantity=s.quantity)
        for s in service.stock(session, actor=REGULATOR, site_id=firms["seller"].site)
    ]
    alerts.count_site(
        session,
        actor=firms["seller"].keeper,
        site_id=firms["seller"].site,
        data=CountIn(items=seller_held),
        at=at(last, 19),
    )
    for day in days:
        verify.seal_day(session, day, now=now)
    return DemoLedger(
        firms=firms, planted=planted, events=write.events, alert_id=counted.alert_id, days=days
    )


def _blast(
    write: _Writer, in_magazine: dict[str, list[str]], day: date, at: Any, stamp: str
) -> None:
    for buyer in ("blaster", "hc_blaster"):
        out = in_magazine[buyer][:2]
        if not out:
            continue
        for i, code in enumerate(out):
            due = at(day, 19).isoformat()
            write(
                "issue",
                buyer,
                code,
                at(day, 7, i),
                reference=f"爆破作业单 BP{stamp}",
                payload={"due_at": due},
            )
        for i, code in enumerate(out[:-1]):
            write(
                "use",
                buyer,
                code,
                at(day, 11, i),
                site=False,
                reference=f"爆破记录 BP{stamp}",
                payload={"blast_site": "采石场东采区", "at": at(day, 11, i).isoformat()},
            )
            in_magazine[buyer].remove(code)
        # The last charge was not needed: back into the magazine.
        write("return", buyer, out[-1], at(day, 17), reference=f"退库单 TK{stamp}")


def _chemicals(write: _Writer, day: date, at: Any, stamp: str) -> None:
    for lot, un, cls, made, sold in (
        (f"AN-{stamp}", "UN1942", "5.1", "20000", "5000"),
        (f"ME-{stamp}", "UN1230", "3", "30000", "8000"),
    ):
        item = {"kind": "chemical", "code": lot, "hazard_class": cls, "un_number": un, "unit": "kg"}
        write(
            "produce", "chem", lot, at(day, 9), quantity=made, item=item, reference=f"生产批 {lot}"
        )
        write(
            "transfer",
            "chem",
            lot,
            at(day, 14),
            quantity=sold,
            item=item,
            to="chem_seller",
            reference=f"销售合同 HX{stamp}",
        )
        write(
            "receive",
            "chem_seller",
            lot,
            at(day, 17),
            quantity=sold,
            item=item,
            reference=f"入库单 HT{stamp}",
        )


def _register_guns(session: Session, firms: dict[str, Firm], when: datetime) -> list[str]:
    guards = firms["guards"]
    serials = [f"WN17-{n:04d}" for n in range(1, 5)]
    for serial in serials:
        firearms.register_gun(
            session,
            actor=REGULATOR,
            data=GunCreate(
                serial=serial,
                gun_type="pistol",
                calibre="9mm",
                maker="国营二九六厂",
                holder_id=guards.id,
                site_id=guards.site,
            ),
            at=when,
        )
    firearms.register_lot(
        session,
        actor=REGULATOR,
        data=LotCreate(
            lot="DJ9-2025-11",
            calibre="9mm",
            maker="国营二九六厂",
            holder_id=guards.id,
            site_id=guards.site,
            rounds=2000,
        ),
        at=when,
    )
    return serials


def _duty(
    session: Session, firms: dict[str, Firm], guns: list[str], day: date, at: Any, n: int
) -> None:
    guards = firms["guards"]
    for i, serial in enumerate(guns[n % 2 :: 2]):
        firearms.issue_duty(
            session,
            actor=guards.keeper,
            data=IssueIn(
                serial=serial, site_id=guards.site, due_at=at(day, 20), lot="DJ9-2025-11", rounds=12
            ),
            at=at(day, 7, 30 + i),
        )
        fired = 2 if n == 3 and i == 0 else 0  # one warning shot, reported
        firearms.return_duty(
            session,
            actor=guards.keeper,
            data=ReturnIn(
                serial=serial, site_id=guards.site, rounds_returned=12 - fired, rounds_fired=fired
            ),
            at=at(day, 18, i),
        )
