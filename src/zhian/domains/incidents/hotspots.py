"""Hotspots on a regular grid: Getis-Ord Gi* and kernel density, vectorised, no database.

The grid lies in the local transverse Mercator projection (``LOCAL_TM``), so cells are
squares of ``cell_m`` metres. Counts are incidents per cell, rows south to north.

Gi* follows Getis & Ord (1995) with binary queen weights that include the cell itself, the
definition PySAL esda's ``G_Local(y, w, transform="B", star=True)`` computes::

    z_i = (sum_j w_ij y_j - ybar * W_i) / (s * sqrt((n * W_i - W_i**2) / (n - 1)))

with W_i the number of cells in the 3 x 3 window that lie on the grid (9 inside, 6 on an
edge, 4 in a corner), ybar the mean and s the population standard deviation of all n cells.
The window sums are two shifted 1-D sums, so the whole grid costs a few array passes.

Kernel density is a Gaussian kernel on the binned counts (points moved to their cell's
centre, an error of at most half a cell), separable into a row and a column pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from zhian.core.geo import to_lonlat

Array = NDArray[np.float64]

# Kernel truncated at this many bandwidths: the tail beyond holds exp(-12.5) ~ 4e-6 of it.
KDE_TRUNCATE = 5.0


@dataclass(frozen=True)
class Grid:
    """A grid of ``ny`` rows by ``nx`` columns of square cells, its south-west corner at x0, y0."""

    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int

    @classmethod
    def covering(cls, xmin: float, ymin: float, xmax: float, ymax: float, cell_m: float) -> Grid:
        """The grid of ``cell_m`` cells anchored on a multiple of the cell size covering a box.

        Anchoring on multiples keeps a cell in the same place whatever the box, so two maps
        of the same cell size line up.
        """
        x0 = math.floor(xmin / cell_m) * cell_m
        y0 = math.floor(ymin / cell_m) * cell_m
        nx = max(1, math.floor((xmax - x0) / cell_m) + 1)
        ny = max(1, math.floor((ymax - y0) / cell_m) + 1)
        return cls(x0=x0, y0=y0, cell_m=cell_m, nx=nx, ny=ny)

    @property
    def size(self) -> int:
        """The number of cells."""
        return self.nx * self.ny

    def counts(self, x: Array, y: Array) -> Array:
        """How many of the points fall in each cell, shape (ny, nx); points off the grid drop."""
        col = np.floor((x - self.x0) / self.cell_m).astype(np.int64)
        row = np.floor((y - self.y0) / self.cell_m).astype(np.int64)
        on = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        flat = np.bincount(row[on] * self.nx + col[on], minlength=self.size)
        return flat.reshape(self.ny, self.nx).astype(np.float64)

    def cell_rings(self, rows: NDArray[np.int64], cols: NDArray[np.int64]) -> Array:
        """The WGS-84 outline of each given cell, shape (k, 5, 2), closed, counter-clockwise."""
        xs = self.x0 + cols[:, None] * self.cell_m + np.array([0, 1, 1, 0, 0]) * self.cell_m
        ys = self.y0 + rows[:, None] * self.cell_m + np.array([0, 0, 1, 1, 0]) * self.cell_m
        lon, lat = to_lonlat(xs.ravel(), ys.ravel())
        return np.stack([lon, lat], axis=1).reshape(len(rows), 5, 2)


def window_sum(values: Array) -> Array:
    """The sum over each cell's 3 x 3 queen window (itself included), zero beyond the edges."""
    padded = np.pad(values, 1)
    across = padded[:, :-2] + padded[:, 1:-1] + padded[:, 2:]
    return across[:-2] + across[1:-1] + across[2:]


def _window_cardinality(ny: int, nx: int) -> Array:
    """How many cells each 3 x 3 window holds on the grid: a product of per-axis counts."""

    def along(n: int) -> Array:
        c = np.full(n, 3.0)
        c[0] -= 1
        c[-1] -= 1
        if n == 1:
            c[0] = 1.0
        return c

    return along(ny)[:, None] * along(nx)[None, :]


def gi_star(counts: Array) -> Array:
    """Getis-Ord Gi* z-scores of a grid of counts (binary queen weights with self).

    NaN where the statistic is undefined: every cell equal (no variance), or a window that
    covers the whole grid.
    """
    y = np.asarray(counts, dtype=np.float64)
    n = y.size
    mean = y.mean()
    sd = math.sqrt(max(float((y * y).mean()) - mean * mean, 0.0))
    card = _window_cardinality(*y.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = sd * np.sqrt((n * card - card * card) / (n - 1)) if n > 1 else card * 0.0
        z = (window_sum(y) - mean * card) / spread
    z[~np.isfinite(z)] = np.nan
    return z


_erfc = np.frompyfunc(math.erfc, 1, 1)


def p_two_sided(z: Array) -> Array:
    """Two-sided p-values of z-scores under the standard normal (NaN stays NaN)."""
    z = np.asarray(z, dtype=np.float64)
    out = np.full(z.shape, np.nan)
    ok = np.isfinite(z)
    out[ok] = np.asarray(_erfc(np.abs(z[ok]) / math.sqrt(2.0)), dtype=np.float64)
    return out


def confidence_bin(z: Array, p: Array) -> NDArray[np.int64]:
    """-3..3: a hot (+) or cold (-) spot at 99 % (3), 95 % (2) or 90 % (1) confidence, else 0."""
    level = np.zeros(np.shape(z), dtype=np.int64)
    for threshold, value in ((0.10, 1), (0.05, 2), (0.01, 3)):
        level[np.nan_to_num(p, nan=1.0) <= threshold] = value
    return (np.sign(np.nan_to_num(z)).astype(np.int64) * level).astype(np.int64)


def _smooth_axis(values: Array, weights: Array, axis: int) -> Array:
    """``values`` convolved along one axis with a symmetric kernel, zero beyond the edges."""
    r = len(weights) // 2
    pad = [(0, 0), (0, 0)]
    pad[axis] = (r, r)
    padded = np.pad(values, pad)
    out = np.zeros_like(values)
    length = values.shape[axis]
    for k, w in enumerate(weights):
        out += w * (padded[k : k + length] if axis == 0 else padded[:, k : k + length])
    return out


def kernel_density(counts: Array, cell_m: float, bandwidth_m: float) -> Array:
    """Gaussian kernel density of the binned points at each cell centre, per square kilometre."""
    r = max(1, math.ceil(KDE_TRUNCATE * bandwidth_m / cell_m))
    offsets = np.arange(-r, r + 1) * cell_m
    weights = np.exp(-0.5 * (offsets / bandwidth_m) ** 2)
    y = np.asarray(counts, dtype=np.float64)
    smoothed = _smooth_axis(_smooth_axis(y, weights, axis=0), weights, axis=1)
    per_m2 = smoothed / (2.0 * math.pi * bandwidth_m * bandwidth_m)
    return per_m2 * 1e6
