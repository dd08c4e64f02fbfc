"""Corridor geometry, the GPX and GeoJSON parsers, and the pure corridor and no-go rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import shapely

from tests.domains.transport.corridor_builders import at_m, line_geojson, square_geojson
from zhian.core.errors import InvalidInput
from zhian.domains.transport import corridor as geo
from zhian.domains.transport import corridor_rules as cr
from zhian.domains.transport.rules import SHANGHAI, Step

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_width_is_the_distance_on_each_side_of_the_centreline() -> None:
    band = geo.buffer_corridor(geo.parse_geojson_line(line_geojson(0, 9_000)), 50.0)
    for y in (40.0, -40.0):
        assert shapely.intersects_xy(band, *at_m(4_500, y))
    for y in (60.0, -60.0):
        assert not shapely.intersects_xy(band, *at_m(4_500, y))
    # Round caps: 40 m beyond the end is inside, 60 m is not.
    assert shapely.intersects_xy(band, *at_m(9_040, 0))
    assert not shapely.intersects_xy(band, *at_m(9_060, 0))


def test_distances_are_metres() -> None:
    assert geo.distance_m(at_m(0, 0), at_m(300, 400)) == pytest.approx(500.0, abs=0.01)


def test_geojson_line_in_its_forms() -> None:
    line = line_geojson(0, 1_000, 2_000)
    assert len(geo.parse_geojson_line(line).coords) == 3
    feature = {"type": "Feature", "geometry": line, "properties": {}}
    assert geo.parse_geojson_line(feature).equals(geo.parse_geojson_line(line))
    import json

    assert len(geo.parse_geojson_line(json.dumps(line)).coords) == 3


@pytest.mark.parametrize(
    "bad",
    [
        "not json",
        {"type": "Point", "coordinates": [109.5, 34.5]},
        {"type": "LineString"},
        {"type": "LineString", "coordinates": [[109.5, 34.5]]},
        {"type": "LineString", "coordinates": [[109.5, 34.5], [109.5, 34.5]]},
        {"type": "LineString", "coordinates": [[109.5, 34.5], [200.0, 34.5]]},
        {"type": "LineString", "coordinates": [[109.5, 34.5], ["a", 34.5]]},
        {"type": "LineString", "coordinates": [[109.5, 34.5], [True, 34.5]]},
    ],
)
def test_bad_geojson_names_the_field(bad: object) -> None:
    with pytest.raises(InvalidInput) as err:
        geo.parse_geojson_line(bad, "corridor")
    assert err.value.field == "corridor"


GPX_TRACK = """<?xml version="1.0"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><trkseg>
    <trkpt lat="34.50" lon="109.50"><ele>350</ele></trkpt>
    <trkpt lat="34.51" lon="109.52"/>
    <trkpt lat="34.52" lon="109.55"/>
  </trkseg></trk>
</gpx>"""

GPX_ROUTE = """<gpx version="1.1"><rte>
  <rtept lat="34.50" lon="109.50"/><rtept lat="34.52" lon="109.55"/>
</rte></gpx>"""


def test_gpx_tracks_and_routes() -> None:
    track = geo.parse_gpx_line(GPX_TRACK)
    assert list(track.coords) == [(109.50, 34.50), (109.52, 34.51), (109.55, 34.52)]
    route = geo.parse_gpx_line(GPX_ROUTE)
    assert list(route.coords) == [(109.50, 34.50), (109.55, 34.52)]


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "<gpx><trk>",
        "<kml/>",
        "<gpx version='1.1'/>",
        "<gpx><trk><trkseg><trkpt lat='34.5'/><trkpt lat='34.6' lon='109'/></trkseg></trk></gpx>",
        "<gpx><rte><rtept lat='x' lon='109'/><rtept lat='1' lon='2'/></rte></gpx>",
        '<!DOCTYPE gpx [<!ENTITY a "aaaa">]><gpx>&a;</gpx>',
    ],
)
def test_bad_gpx_names_the_field(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        geo.parse_gpx_line(bad)
    assert err.value.field == "corridor_gpx"


def test_polygons_are_checked() -> None:
    assert geo.parse_geojson_polygon(square_geojson(0, 0, 100)).area > 0
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    for bad in (bow_tie, {"type": "LineString", "coordinates": []}, "{"):
        with pytest.raises(InvalidInput) as err:
            geo.parse_geojson_polygon(bad, "area")
        assert err.value.field == "area"


def test_width_out_of_range_is_refused() -> None:
    line = geo.parse_geojson_line(line_geojson(0, 100))
    with pytest.raises(InvalidInput) as err:
        geo.buffer_corridor(line, 0)
    assert err.value.field == "corridor_width_m"


def _run(inside: list[bool], every: int = 10) -> list[Step]:
    state, alerted, steps = cr.DeviationState(), False, []
    for i, flag in enumerate(inside):
        step, state = cr.deviation_step(
            state=state, alerted=alerted, inside=flag, at=T0 + timedelta(seconds=i * every)
        )
        alerted = {Step.OPEN: True, Step.END: False}.get(step, alerted)
        steps.append(step)
    return steps


def test_deviation_opens_only_after_longer_than_n_seconds() -> None:
    # Outside from t=10: at t=70 it has been exactly 60 s (not longer), at t=80 longer.
    steps = _run([True] + [False] * 8)
    assert steps[:8] == [Step.NONE] * 8 and steps[8] is Step.OPEN


def test_deviation_jitter_inside_does_not_reset_or_split() -> None:
    # Two fixes back inside (fewer than 3) do not end the excursion before or after the alert.
    steps = _run([False] * 3 + [True] * 2 + [False] * 4 + [True, True, False] + [True] * 3)
    assert steps.count(Step.OPEN) == 1 and steps[7] is Step.OPEN
    assert steps[-1] is Step.END and Step.END not in steps[:-1]


def test_a_short_excursion_never_alerts() -> None:
    assert set(_run([False] * 5 + [True] * 3 + [False] * 5)) == {Step.NONE}


def test_zone_episode_hysteresis() -> None:
    step, calm = cr.zone_step(active=False, calm_count=0, inside=True, inside_positions=2)
    assert step is Step.OPEN
    step, calm = cr.zone_step(active=True, calm_count=0, inside=False, inside_positions=2)
    assert (step, calm) == (Step.CALMING, 1)
    step, calm = cr.zone_step(active=True, calm_count=1, inside=False, inside_positions=2)
    assert (step, calm) == (Step.END, 2)


@pytest.mark.parametrize(
    ("spec", "local", "expected"),
    [
        (None, "03:00", True),
        ("07:00-09:00", "07:00", True),
        ("07:00-09:00", "08:59", True),
        ("07:00-09:00", "09:00", False),
        ("07:00-09:00", "06:59", False),
        ("22:00-06:00", "23:30", True),
        ("22:00-06:00", "05:59", True),
        ("22:00-06:00", "12:00", False),
    ],
)
def test_restricted_hours_in_shanghai_time(spec: str | None, local: str, expected: bool) -> None:
    hour, minute = map(int, local.split(":"))
    at = datetime(2026, 11, 1, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)
    assert cr.in_hours(spec, at) is expected


@pytest.mark.parametrize("bad", ["7-9", "07:00-07:00", "24:00-01:00", "07:00 09:00"])
def test_malformed_hours_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        cr.parse_hours(bad)


def test_batched_indexes_agree_with_point_tests() -> None:
    line = geo.parse_geojson_line(line_geojson(0, 9_000))
    corridors = {7: geo.buffer_corridor(line, 50.0), 9: geo.buffer_corridor(line, 500.0)}
    index = cr.CorridorIndex(corridors)
    pts = [at_m(4_500, 40), at_m(4_500, 60), at_m(4_500, 60), at_m(4_500, 600)]
    lon = np.array([p[0] for p in pts])
    lat = np.array([p[1] for p in pts])
    got = index.inside(np.array([7, 7, 9, 9]), lon, lat)
    assert got.tolist() == [True, False, True, False]
    zones = cr.ZoneIndex(
        {
            3: geo.parse_geojson_polygon(square_geojson(4_500, 600, 50)),
            4: geo.load(geo.polygon_json(geo.parse_geojson_polygon(square_geojson(0, 0, 10)))),
        }
    )
    pos, ids = zones.hits(lon, lat)
    assert list(zip(pos.tolist(), ids.tolist(), strict=True)) == [(3, 3)]


def test_batched_indexes_equal_per_point_tests_on_random_points() -> None:
    rng = np.random.default_rng(17)
    corridors = {
        100 + k: geo.buffer_corridor(
            geo.parse_geojson_line(
                {
                    "type": "LineString",
                    "coordinates": [
                        list(at_m(float(x), float(y)))
                        for x, y in rng.uniform(-5_000, 5_000, (int(rng.integers(2, 8)), 2))
                    ],
                }
            ),
            float(rng.uniform(50, 800)),
        )
        for k in range(12)
    }
    zones = {
        k: geo.parse_geojson_polygon(square_geojson(*rng.uniform(-5_000, 5_000, 2), 400 + 50 * k))
        for k in range(1, 10)
    }
    xy = [at_m(float(x), float(y)) for x, y in rng.uniform(-6_000, 6_000, (2_000, 2))]
    lon = np.array([p[0] for p in xy])
    lat = np.array([p[1] for p in xy])
    pids = rng.choice(np.array(sorted(corridors), dtype=np.int64), len(xy))

    got = cr.CorridorIndex(corridors).inside(pids, lon, lat)
    points = [shapely.Point(p) for p in xy]
    want = [corridors[int(pid)].intersects(p) for pid, p in zip(pids, points, strict=True)]
    assert got.tolist() == want
    assert 0 < sum(want) < len(want)

    pos, ids = cr.ZoneIndex(zones).hits(lon, lat)
    want_hits = sorted(
        (i, zid) for i, p in enumerate(points) for zid, g in zones.items() if g.intersects(p)
    )
    assert sorted(zip(pos.tolist(), ids.tolist(), strict=True)) == want_hits
    assert want_hits
