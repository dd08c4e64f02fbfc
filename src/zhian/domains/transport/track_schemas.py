"""Output of trip playback: a vehicle's thinned track in a window, its permit and alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from zhian.domains.transport.permit_schemas import PermitOut
from zhian.domains.transport.schemas import AlertOut, PositionOut


class TrackOut(BaseModel):
    """A trip to play back: the fixes of ``since <= time < until``, in time order.

    A long track is thinned on the server: ``total`` fixes lie in the window and every
    ``stride``-th of them is returned (always the first and the last); ``stride`` 1 means
    every fix. Alert markers are placed on the fix where each alert opened, thinned or not.
    """

    vehicle_id: int
    plate: str
    since: datetime
    until: datetime
    total: int
    stride: int = Field(ge=1)
    positions: list[PositionOut]
    alerts: list[AlertOut]
    permit: PermitOut | None = None
    corridor_area: dict[str, Any] | None = Field(
        default=None, description="GeoJSON Polygon of the permit's corridor (line buffered)"
    )
