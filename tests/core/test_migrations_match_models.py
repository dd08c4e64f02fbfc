"""The migrations build exactly the schema the models describe, on both backends.

Alembic's autogenerate comparison between the migrated database and the models' metadata:
any table, column, index, foreign key or type that one has and the other lacks is a
migration someone forgot (or a model that drifted), caught here rather than in production.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from zhian.models import metadata


def test_migrated_schema_matches_the_models(_migrated: tuple[str, Engine]) -> None:
    _, engine = _migrated
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "target_metadata": metadata}
        )
        diffs = compare_metadata(context, metadata)
    assert diffs == [], "\n".join(map(repr, diffs))
