"""The shared jurisdiction suite, run on the divisions and users endpoints."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.helpers import make_user
from tests.suites.scope import JurisdictionScopeSuite


class TestDivisionScope(JurisdictionScopeSuite):
    list_path = "/api/v1/divisions"
    detail_path = "/api/v1/divisions/{key}"
    key_field = "adcode"
    record_type = "division"

    def make_record(self, session: Session, division: str, n: int) -> str:
        # Divisions are the records themselves: the county, and its zones for 临渭区.
        if division == "610502":
            return ["610502", "610502900"][n % 2]
        return division


class TestUserScope(JurisdictionScopeSuite):
    list_path = "/api/v1/users"
    detail_path = "/api/v1/users/{key}"
    record_type = "user"

    def make_record(self, session: Session, division: str, n: int) -> str:
        return str(make_user(session, f"scoped_{division}_{n}", division=division).id)
