"""A fix is unique by vehicle, time and event id, no longer by event id alone.

The event id is a hash: its own unique index took every new fix at a random place, so each
batch of fixes dirtied about one index page per fix, and over a retention period of months
each insert would read a page from disk. The (vehicle, time) index the track queries use
becomes the unique key, with the event id as its last column; the consumer looks up only
fixes not newer than their vehicle's newest, and keeps no bus keys for positions any more:
those it kept are deleted.

On a large table this takes a while and blocks position writes meanwhile: PostgreSQL builds
the new unique index under the table's lock, and SQLite rewrites the table (twice its size
on disk while it runs). Run it in a maintenance window, with the gateway stopped.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29 15:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Never read again: the positions consumer is unkeyed (transport.consumers.subscribe).
    op.execute("DELETE FROM bus_processed_event WHERE consumer = 'transport-positions'")
    op.drop_index("ix_transport_position_vehicle_time", table_name="transport_position")
    with op.batch_alter_table("transport_position") as batch:
        batch.drop_constraint("uq_transport_position_event_id", type_="unique")
        batch.create_unique_constraint(
            "uq_transport_position_vehicle_id_located_at_event_id",
            ["vehicle_id", "located_at", "event_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("transport_position") as batch:
        batch.drop_constraint(
            "uq_transport_position_vehicle_id_located_at_event_id", type_="unique"
        )
        batch.create_unique_constraint("uq_transport_position_event_id", ["event_id"])
    op.create_index(
        "ix_transport_position_vehicle_time", "transport_position", ["vehicle_id", "located_at"]
    )
