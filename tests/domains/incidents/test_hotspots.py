"""Hotspots: Gi* against hand-computed values and PySAL esda; kernel density; the layer."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from esda.getisord import G_Local
from hypothesis import given, settings
from hypothesis import strategies as st
from libpysal.weights import lat2W
from scipy import stats
from sqlalchemy.orm import Session

from tests.domains.incidents.builders import CITY_DISPATCHER, HOME, OTHER, actor, make_incident
from zhian.core.errors import InvalidInput, NotFound
from zhian.core.geo import to_local_xy
from zhian.domains.incidents import analysis, hotspots
from zhian.domains.incidents.analysis import HotspotMethod
from zhian.domains.incidents.choices import IncidentStatus, IncidentType


def esda_z(counts: np.ndarray) -> np.ndarray:
    """esda's Gi* z-scores with binary queen weights on the same row-major grid."""
    ny, nx = counts.shape
    w = lat2W(ny, nx, rook=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = G_Local(counts.ravel(), w, transform="B", star=True, permutations=0)
    return np.asarray(g.Zs).reshape(ny, nx)


def test_gi_star_by_hand_on_a_4_by_4_grid() -> None:
    counts = np.zeros((4, 4))
    counts[1, 1] = 1.0
    z = hotspots.gi_star(counts)
    # n = 16, mean 1/16, population sd sqrt(15)/16; see the module docstring's formula.
    assert z[1, 1] == pytest.approx(math.sqrt(7) / 3)
    assert z[0, 0] == pytest.approx(math.sqrt(3))  # a corner: 4 cells, the incident among them
    assert z[3, 3] == pytest.approx(-1 / math.sqrt(3))
    assert z[0, 3] == pytest.approx(-1 / math.sqrt(3))
    assert z[2, 3] == pytest.approx((-6 / 16) / (math.sqrt(15) / 16 * math.sqrt(60 / 15)))


@pytest.mark.parametrize(
    ("shape", "rate", "seed"),
    [((12, 9), 0.4, 1), ((40, 30), 0.2, 2), ((1, 7), 2.0, 3), ((25, 25), 5.0, 4)],
)
def test_gi_star_equals_esda(shape: tuple[int, int], rate: float, seed: int) -> None:
    counts = np.random.default_rng(seed).poisson(rate, shape).astype(np.float64)
    counts[shape[0] // 2, shape[1] // 2] += 9  # a cluster, so z-scores spread out
    mine, theirs = hotspots.gi_star(counts), esda_z(counts)
    assert np.abs(mine - theirs).max() < 1e-6
    assert mine.argmax() == theirs.argmax()


@settings(max_examples=40, deadline=None)
@given(
    grid=st.integers(1, 12).flatmap(
        lambda ny: st.integers(2, 12).flatmap(
            lambda nx: st.lists(st.integers(0, 30), min_size=ny * nx, max_size=ny * nx).map(
                lambda v: np.array(v, dtype=np.float64).reshape(ny, nx)
            )
        )
    )
)
def test_gi_star_equals_esda_on_any_grid(grid: np.ndarray) -> None:
    mine, theirs = hotspots.gi_star(grid), esda_z(grid)
    defined = np.isfinite(mine)
    assert (defined == np.isfinite(theirs)).all()
    assert np.allclose(mine[defined], theirs[defined], rtol=0, atol=1e-6)


def test_gi_star_undefined_without_variance() -> None:
    assert np.isnan(hotspots.gi_star(np.ones((5, 5)))).all()
    assert np.isnan(hotspots.gi_star(np.zeros((5, 5)))).all()


def test_p_values_and_confidence_bins() -> None:
    z = np.array([0.0, 1.0, -1.7, 2.0, -2.7, 3.5, np.nan])
    p = hotspots.p_two_sided(z)
    expected = 2 * stats.norm.sf(np.abs(z[:-1]))
    assert np.allclose(p[:-1], expected, rtol=1e-12) and np.isnan(p[-1])
    assert hotspots.confidence_bin(z, p).tolist() == [0, 0, -1, 2, -3, 3, 0]


def test_grid_counts_and_anchoring() -> None:
    grid = hotspots.Grid.covering(120.0, -30.0, 1_050.0, 480.0, cell_m=500.0)
    assert (grid.x0, grid.y0, grid.nx, grid.ny) == (0.0, -500.0, 3, 2)
    counts = grid.counts(np.array([10.0, 499.0, 501.0, 1_499.0, 2_000.0]), np.array([0.0] * 5))
    assert counts.tolist() == [[0, 0, 0], [2, 1, 1]]  # row 1 is y in [0, 500); x=2000 is off


def test_cell_rings_close_and_span_one_cell() -> None:
    grid = hotspots.Grid(x0=0.0, y0=0.0, cell_m=1_000.0, nx=2, ny=2)
    ring = grid.cell_rings(np.array([1]), np.array([0]))[0]
    assert ring.shape == (5, 2) and (ring[0] == ring[-1]).all()
    x, y = to_local_xy(ring[:, 0], ring[:, 1])
    assert np.allclose(x, [0, 1000, 1000, 0, 0], atol=1e-3)
    assert np.allclose(y, [1000, 1000, 2000, 2000, 1000], atol=1e-3)


def test_kernel_density_of_one_point() -> None:
    counts = np.zeros((41, 41))
    counts[20, 20] = 1.0
    cell, h = 100.0, 250.0
    density = hotspots.kernel_density(counts, cell, h)
    peak = 1e6 / (2 * math.pi * h * h)
    assert density[20, 20] == pytest.approx(peak)
    d2 = (3 * cell) ** 2 + (4 * cell) ** 2
    assert density[23, 24] == pytest.approx(peak * math.exp(-d2 / (2 * h * h)))
    assert density.sum() * (cell / 1_000) ** 2 == pytest.approx(1.0, abs=1e-4)


def test_kernel_density_matches_a_direct_sum() -> None:
    rng = np.random.default_rng(7)
    counts = rng.poisson(0.3, (30, 20)).astype(np.float64)
    cell, h = 200.0, 300.0
    density = hotspots.kernel_density(counts, cell, h)
    rows, cols = np.indices(counts.shape)
    direct = np.zeros_like(counts)
    for r, c in zip(*np.nonzero(counts), strict=True):
        d2 = ((rows - r) ** 2 + (cols - c) ** 2) * cell * cell
        direct += counts[r, c] * np.exp(-d2 / (2 * h * h))
    direct *= 1e6 / (2 * math.pi * h * h)
    assert np.allclose(density, direct, rtol=1e-5, atol=1e-9 * direct.max())


def _grid_of(layer: dict[str, Any]) -> np.ndarray:
    """The whole grid of counts rebuilt from a Gi* layer: cells it leaves out are empty."""
    counts = np.zeros((layer["grid"]["ny"], layer["grid"]["nx"]))
    for f in layer["features"]:
        counts[f["properties"]["row"], f["properties"]["col"]] = f["properties"]["count"]
    return counts


def _seed_incidents(session: Session) -> None:
    for i in range(6):
        make_incident(session, offset=(0.0004 * (i % 3), 0.0004 * (i // 3)))
    make_incident(session, offset=(0.05, 0.03))
    make_incident(session, offset=(0.05, 0.03), type="traffic")
    make_incident(session, division=OTHER)
    cancelled = make_incident(session, offset=(-0.04, 0.0))
    cancelled.status = IncidentStatus.CANCELLED.value
    session.flush()


def test_layer_is_scoped_and_confirmed_by_esda(session: Session) -> None:
    _seed_incidents(session)
    county = actor(division=HOME)
    layer = analysis.hotspot_layer(session, actor=county, cell_m=500.0)
    assert layer["type"] == "FeatureCollection" and layer["method"] == "gi"
    assert layer["incidents"] == 8  # not the other county's, not the cancelled one
    counts = _grid_of(layer)
    assert counts.sum() == 8
    z = esda_z(counts)
    for f in layer["features"]:
        props = f["properties"]
        assert abs(props["z"] - z[props["row"], props["col"]]) < 1e-6
        ring = f["geometry"]["coordinates"][0]
        assert len(ring) == 5 and ring[0] == ring[-1]
    top = max(layer["features"], key=lambda f: f["properties"]["z"])["properties"]
    window = hotspots.window_sum(counts)[top["row"], top["col"]]
    assert window >= 6 and top["bin"] == 3 and top["p"] < 0.01  # the cluster at the seat

    city = analysis.hotspot_layer(session, actor=CITY_DISPATCHER, cell_m=2_000.0)
    assert city["incidents"] == 9
    only_home = analysis.hotspot_layer(
        session, actor=CITY_DISPATCHER, cell_m=2_000.0, division=HOME
    )
    assert only_home["incidents"] == 8
    assert (
        only_home["grid"]["nx"] * only_home["grid"]["ny"] < city["grid"]["nx"] * city["grid"]["ny"]
    )
    traffic = analysis.hotspot_layer(session, actor=county, incident_type=IncidentType.TRAFFIC)
    assert traffic["incidents"] == 1


def test_density_layer(session: Session) -> None:
    _seed_incidents(session)
    layer = analysis.hotspot_layer(
        session, actor=actor(division=HOME), method=HotspotMethod.KDE, cell_m=250.0
    )
    assert layer["method"] == "kde" and layer["bandwidth_m"] == 500.0
    densities = [f["properties"]["density"] for f in layer["features"]]
    peak = max(layer["features"], key=lambda f: f["properties"]["density"])["properties"]
    assert peak["count"] >= 1 and min(densities) >= 0.01 * max(densities)


def test_layer_refusals(session: Session) -> None:
    county = actor(division=HOME)
    with pytest.raises(NotFound):
        analysis.hotspot_layer(session, actor=county, division=OTHER)
    with pytest.raises(InvalidInput) as err:
        analysis.hotspot_layer(session, actor=CITY_DISPATCHER, cell_m=50.0)
    assert err.value.field == "cell_m"
    with pytest.raises(InvalidInput) as err:
        analysis.hotspot_layer(
            session, actor=county, method=HotspotMethod.KDE, cell_m=100.0, bandwidth_m=5_000.0
        )
    assert err.value.field == "bandwidth_m"
    empty = analysis.hotspot_layer(session, actor=county)
    assert empty["incidents"] == 0 and empty["features"] == []
