"""The demo registry: dense enough, inside each county, unique codes, seeded once."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhian.domains.places import service as places
from zhian.domains.places.registry.models import House, Organization, Road
from zhian.sim.registry import seed_registry


def test_demo_registry_is_dense_inside_its_counties_and_seeded_once(session: Session) -> None:
    counts = seed_registry(session)
    assert counts["place_house"] >= 50_000 and counts["place_organization"] >= 300
    rows = session.execute(
        select(House.lon, House.lat, Road.division).join(Road, House.road_id == Road.id)
    ).all()
    assert len({r[2] for r in rows}) == 11
    locator = places.locator(session)
    where = locator.locate_many([r[0] for r in rows], [r[1] for r in rows])
    assert all(
        i >= 0 and locator.areas[i].adcode.startswith(r[2])
        for i, r in zip(where, rows, strict=True)
    )
    codes = session.scalar(select(func.count(func.distinct(House.code))))
    assert codes == len(rows)
    assert session.scalar(select(func.count(Organization.id))) == counts["place_organization"]
    assert seed_registry(session) == {}
