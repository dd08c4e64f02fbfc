"""The jurisdiction scope suite: every domain's endpoints run it by declaring their records.

A subclass says how to make a record in a division and where its list and detail live; the
suite then proves that a county user sees only their county (lists and by id), that another
county's record is a 404 indistinguishable from a missing one, that the city sees all, and
that a denied read is audited.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.helpers import App, running_app
from zhian.core.audit.models import AuditEntry

HOME = "610502"  # 临渭区
OTHER = "610581"  # 韩城市
CITY = "610500"


class JurisdictionScopeSuite:
    """Subclass, set the class attributes, implement ``make_record``."""

    list_path: ClassVar[str]
    detail_path: ClassVar[str]  # with {key}
    key_field: ClassVar[str] = "id"
    record_type: ClassVar[str]
    reader_role: ClassVar[str] = "leader"

    def make_record(self, session: Session, division: str, n: int) -> str:
        """Create one record in ``division`` and return its key as the API shows it."""
        raise NotImplementedError

    @pytest.fixture()
    def world(self, fresh_url: str) -> Iterator[dict[str, Any]]:
        """Records in two counties, and readers in one county and in the city."""
        with running_app(fresh_url) as app:
            from zhian.core.db import unit_of_work

            with unit_of_work(app.factory) as session:
                home = [self.make_record(session, HOME, i) for i in range(2)]
                other = [self.make_record(session, OTHER, i + 10) for i in range(2)]
            yield {
                "app": app,
                "home": home,
                "other": other,
                "county": app.headers(
                    app.token("scope_county", role=self.reader_role, division=HOME)
                ),
                "city": app.headers(app.token("scope_city", role=self.reader_role, division=CITY)),
            }

    def _keys(self, app: App, headers: dict[str, str]) -> set[str]:
        keys: set[str] = set()
        page = 1
        while True:
            resp = app.client.get(
                self.list_path, params={"page": page, "per_page": 500}, headers=headers
            )
            assert resp.status_code == 200, resp.text
            body = resp.json()
            keys |= {str(item[self.key_field]) for item in body["items"]}
            if page * body["per_page"] >= body["total"]:
                return keys
            page += 1

    def test_county_list_holds_only_its_jurisdiction(self, world: dict[str, Any]) -> None:
        keys = self._keys(world["app"], world["county"])
        assert set(world["home"]) <= keys
        assert not keys & set(world["other"])

    def test_city_list_holds_every_county(self, world: dict[str, Any]) -> None:
        keys = self._keys(world["app"], world["city"])
        assert set(world["home"]) | set(world["other"]) <= keys

    def test_other_county_record_is_not_found_by_id(self, world: dict[str, Any]) -> None:
        app = world["app"]
        own = app.client.get(self.detail_path.format(key=world["home"][0]), headers=world["county"])
        assert own.status_code == 200, own.text
        theirs = app.client.get(
            self.detail_path.format(key=world["other"][0]), headers=world["county"]
        )
        missing = app.client.get(self.detail_path.format(key="999999999"), headers=world["county"])
        assert theirs.status_code == 404
        assert missing.status_code == 404
        assert theirs.json()["detail"][0]["type"] == missing.json()["detail"][0]["type"]

    def test_denied_read_is_audited(self, world: dict[str, Any]) -> None:
        app = world["app"]
        key = world["other"][0]
        app.client.get(self.detail_path.format(key=key), headers=world["county"])
        with app.factory() as session:
            denied = session.scalars(
                select(AuditEntry).where(
                    AuditEntry.outcome == "denied",
                    AuditEntry.record_type == self.record_type,
                    AuditEntry.record_id == key,
                )
            ).all()
        assert len(denied) == 1
        assert denied[0].actor == "scope_county"

    def test_city_reads_any_county_by_id(self, world: dict[str, Any]) -> None:
        app = world["app"]
        resp = app.client.get(self.detail_path.format(key=world["other"][0]), headers=world["city"])
        assert resp.status_code == 200
