"""The fixed geography of the fictional デモ県: land, terrain, river, municipalities, hazards.

Everything here is the same for every seed and every size: a planner's prefecture does not move
when the child register is redrawn. Coordinates are metres in a local transverse Mercator
(:data:`LOCAL_CRS`, centred on 31°N 143.5°E, open Pacific east of Japan, over no real land).
The seed only changes the people (children, most facilities and shelters), see ``geo.demo``.

Examples
--------
>>> from geo import demo_geography
>>> geo = demo_geography.geography()
>>> len(geo.municipalities) >= 12
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import Delaunay, cKDTree

#: Local metric CRS of the generator (transverse Mercator on the demo prefecture).
LOCAL_CRS = "+proj=tmerc +lat_0=31 +lon_0=143.5 +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"

#: Seed of the fixed geography (never the user's seed).
GEO_SEED = 99_2024

PREF_NAME = "デモ県"

# Coast of the island prefecture, in km (smoothed before use). The east coast faces the open sea,
# with a bay at the river mouth where the designated city lies.
_COAST_KM = [
    (-48, 5), (-45, 21), (-36, 31), (-18, 34), (0, 31), (15, 33), (30, 29), (40, 21),
    (41.5, 9), (38.5, 2.5), (41, -5), (39, -17), (29, -28), (12, -31), (-5, -30), (-22, -27),
    (-38, -21), (-46, -8),
]  # fmt: skip

# River デモ川 from the western mountains to the bay, km.
_RIVER_KM = [
    (-44, 13), (-39, 10), (-33, 11), (-27, 7.5), (-21, 6), (-16, 3.0), (-10, 2.8), (-5, 1.5),
    (0, 2.0), (5, 0.5), (10, 0.2), (15, -0.8), (20, 0.0), (25, 1.2), (30, 0.6), (34, 0.9),
    (42, 1.5),
]  # fmt: skip


@dataclass(frozen=True)
class Municipality:
    """One municipality: N03-style code, name, kind and the seed its polygon grows from (km)."""

    code: str
    name: str
    kind: str  # ward, city, town, village
    x_km: float
    y_km: float


#: The municipalities of デモ県. 991xx: wards of the designated city デモ市 (kept as units, as
#: N03 does); 992xx cities; 993xx towns; 994xx villages. Prefecture code 99 does not exist.
MUNICIPALITIES = (
    Municipality("99101", "デモ市中央区", "ward", 32.5, 2.0),
    Municipality("99102", "デモ市北区", "ward", 30.5, 7.5),
    Municipality("99103", "デモ市南区", "ward", 30.5, -4.5),
    Municipality("99104", "デモ市東区", "ward", 36.5, 6.0),
    Municipality("99105", "デモ市西区", "ward", 25.5, 1.5),
    Municipality("99201", "かわべ市", "city", 8.0, 0.5),
    Municipality("99202", "みなと市", "city", 31.5, 20.0),
    Municipality("99203", "しおさい市", "city", 24.0, -19.5),
    Municipality("99204", "きたの市", "city", 10.0, 22.0),
    Municipality("99205", "にしやま市", "city", -15.0, 4.5),
    Municipality("99206", "みなみの市", "city", 5.0, -19.0),
    Municipality("99301", "ひがしはま町", "town", 35.5, -12.0),
    Municipality("99302", "なかがわ町", "town", -3.0, 8.0),
    Municipality("99303", "きたやま町", "town", -8.0, 25.0),
    Municipality("99304", "みなみやま町", "town", -15.0, -18.0),
    Municipality("99305", "さくら町", "town", 19.0, 11.0),
    Municipality("99401", "おくやま村", "village", -40.0, 9.5),
    Municipality("99402", "にしたに村", "village", -31.0, -11.0),
    Municipality("99403", "たかね村", "village", -27.0, 22.0),
)

#: Two kinds of 圏域 that group the municipalities differently: area_id -> (name, member codes).
AREAS = {
    "障害保健福祉圏域": {
        "K01": ("デモ市圏域", ("99101", "99102", "99103", "99104", "99105")),
        "K02": ("北部圏域", ("99202", "99204", "99305")),
        "K03": ("中部圏域", ("99201", "99302")),
        "K04": ("南部圏域", ("99203", "99206", "99301")),
        "K05": ("西部山間圏域", ("99205", "99303", "99304", "99401", "99402", "99403")),
    },
    "二次医療圏": {
        "M01": ("デモ中央医療圏", ("99101", "99102", "99103", "99104", "99105", "99301", "99305")),
        "M02": ("北部医療圏", ("99202", "99204", "99303")),
        "M03": ("川中医療圏", ("99201", "99302", "99205", "99401", "99403")),
        "M04": ("南部医療圏", ("99203", "99206", "99304", "99402")),
    },
}


@dataclass(frozen=True)
class Geography:
    """The fixed geography, in :data:`LOCAL_CRS` metres."""

    land: shapely.Polygon
    river: shapely.LineString
    municipalities: dict  # code -> Polygon/MultiPolygon
    flood: list  # (level, depth_m, polygon)
    tsunami: list  # (level, depth_m, polygon)
    levee_lines: tuple  # LineStrings of the levee roads along the deep-flood reach
    levee_span_km: tuple  # (x0, x1) of the levee reach


def km(x, y):
    """Return a point ``(x, y)`` in km as a numpy array of metres."""
    return np.array([x * 1000.0, y * 1000.0])


def _chaikin(coords, rounds=3, closed=True):
    pts = np.asarray(coords, float)
    for _ in range(rounds):
        nxt = np.roll(pts, -1, axis=0) if closed else pts[1:]
        cur = pts if closed else pts[:-1]
        q = 0.75 * cur + 0.25 * nxt
        r = 0.25 * cur + 0.75 * nxt
        out = np.empty((2 * len(cur), 2))
        out[0::2], out[1::2] = q, r
        if not closed:
            out = np.vstack([pts[:1], out, pts[-1:]])
        pts = out
    return pts


class _Noise:
    """Smooth deterministic 2-D noise: a sum of random plane waves, values in about [-1, 1]."""

    def __init__(self, rng, n=12, lo_km=4.0, hi_km=25.0):
        ang = rng.uniform(0, 2 * math.pi, n)
        wl = rng.uniform(lo_km, hi_km, n) * 1000.0
        self.kx = np.cos(ang) * 2 * math.pi / wl
        self.ky = np.sin(ang) * 2 * math.pi / wl
        self.ph = rng.uniform(0, 2 * math.pi, n)
        self.scale = math.sqrt(2.0 / n)

    def __call__(self, x, y):
        x = np.asarray(x, float)[..., None]
        y = np.asarray(y, float)[..., None]
        return np.sin(x * self.kx + y * self.ky + self.ph).sum(-1) * self.scale


@cache
def _noises():
    rng = np.random.default_rng(GEO_SEED)
    return _Noise(rng), _Noise(rng, lo_km=1.5, hi_km=6.0)


def elevation(x, y):
    """Ground elevation (m) of the demo terrain at metric ``x``, ``y`` (arrays).

    Mountains rise to the west (about 1,500 m), hills in the north and south, a coastal plain in
    the east.

    Examples
    --------
    >>> bool(elevation(-40_000, 0) > 500 > elevation(30_000, 0))
    True
    """
    n1, n2 = _noises()
    xk, yk = np.asarray(x) / 1000.0, np.asarray(y) / 1000.0
    west = np.clip((-xk - 6.0) / 34.0, 0, 1) ** 1.1 * 1500.0
    north = 500.0 * np.exp(-(((xk + 8) / 11) ** 2 + ((yk - 28) / 6) ** 2))
    south = 380.0 * np.exp(-(((xk + 13) / 9) ** 2 + ((yk + 23) / 6) ** 2))
    base = (west + north + south) * (0.8 + 0.2 * n1(x, y)) + 40.0 * (1 + n2(x, y))
    return np.maximum(base, 1.0)


def _land():
    rng = np.random.default_rng(GEO_SEED + 1)
    pts = _chaikin(np.array(_COAST_KM) * 1000.0, rounds=4)
    # coastline: capes and coves at two scales, pushed along the outward normal
    big = _Noise(rng, lo_km=12.0, hi_km=30.0)
    small = _Noise(rng, lo_km=2.5, hi_km=7.0)
    tangent = np.roll(pts, -1, axis=0) - np.roll(pts, 1, axis=0)
    normal = np.stack([tangent[:, 1], -tangent[:, 0]], 1)
    normal /= np.hypot(*normal.T)[:, None]
    shift = 2200.0 * np.clip(big(pts[:, 0], pts[:, 1]), -1.6, 1.6)
    shift += 600.0 * np.clip(small(pts[:, 0], pts[:, 1]), -1.6, 1.6)
    pts = pts + normal * shift[:, None]
    return shapely.make_valid(shapely.Polygon(pts)).buffer(0)


def _river(land):
    pts = _chaikin(np.array(_RIVER_KM) * 1000.0, rounds=3, closed=False)
    line = shapely.LineString(pts).intersection(land)
    if line.geom_type == "MultiLineString":
        line = max(line.geoms, key=lambda g: g.length)
    return line


def _municipality_polygons(land):
    """Grow municipality polygons from their seeds over a cost surface (ridges cost more).

    A jittered lattice of points covers the land; each point joins the seed it is cheapest to
    reach over the Delaunay graph (multi-source Dijkstra), which keeps every municipality in
    one piece; Voronoi cells of the points, dissolved per seed and clipped to the land, give
    irregular shared borders without gaps or overlaps.
    """
    rng = np.random.default_rng(GEO_SEED + 2)
    x0, y0, x1, y1 = land.bounds
    step = 650.0
    gx, gy = np.meshgrid(np.arange(x0, x1, step), np.arange(y0, y1, step))
    px = gx.ravel() + rng.uniform(-0.35, 0.35, gx.size) * step
    py = gy.ravel() + rng.uniform(-0.35, 0.35, gx.size) * step
    keep = shapely.contains_xy(land.buffer(400), px, py)
    px, py = px[keep], py[keep]
    pts = np.stack([px, py], 1)
    tri = Delaunay(pts)
    s = tri.simplices
    e = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [2, 0]]])
    e = np.unique(np.sort(e, 1), axis=0)
    mid = (pts[e[:, 0]] + pts[e[:, 1]]) / 2
    length = np.hypot(*(pts[e[:, 0]] - pts[e[:, 1]]).T)
    n1, n2 = _noises()
    cost = (
        length
        * (1 + elevation(mid[:, 0], mid[:, 1]) / 500.0)
        * np.clip(1.3 + 0.4 * n2(*mid.T), 0.5, None)
    )
    n = len(pts)
    graph = coo_matrix(
        (np.concatenate([cost, cost]), (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])),
        shape=(n, n),
    ).tocsr()
    seeds = np.array(
        [np.argmin(np.hypot(px - m.x_km * 1000, py - m.y_km * 1000)) for m in MUNICIPALITIES]
    )
    _, _, src = dijkstra(graph, indices=seeds, min_only=True, return_predecessors=True)
    lookup = np.full(n, -1)
    lookup[seeds] = np.arange(len(seeds))
    label = lookup[src]
    cells = shapely.voronoi_polygons(
        shapely.MultiPoint(pts), extend_to=land.buffer(5000), ordered=True
    )
    cells = np.asarray(shapely.get_parts(cells))
    out = {}
    for i, m in enumerate(MUNICIPALITIES):
        poly = shapely.coverage_union_all(cells[label == i]).intersection(land)
        poly = shapely.make_valid(poly)
        if poly.geom_type == "GeometryCollection":
            poly = shapely.union_all([g for g in poly.geoms if g.area > 0])
        if poly.geom_type == "MultiPolygon":  # keep the main part, give crumbs to neighbours
            poly = max(poly.geoms, key=lambda g: g.area)
        out[m.code] = poly
    # crumbs cut off by the coast clip: attach each to the municipality that touches it most
    covered = shapely.union_all(list(out.values()))
    rest = land.difference(covered)
    for part in shapely.get_parts(rest):
        if part.area < 1.0:
            continue
        best = max(out, key=lambda c: out[c].buffer(1).intersection(part).area)
        out[best] = shapely.union_all([out[best], part])
    return out


def _rasterize_bands(depth, x0, y0, cell, bands):
    """Polygons of raster cells per depth band (row runs merged, then unioned)."""
    out = []
    for level, lo, hi, value in bands:
        mask = (depth >= lo) & (depth < hi)
        if not mask.any():
            continue
        boxes = []
        for r in np.nonzero(mask.any(1))[0]:
            row = np.r_[False, mask[r], False]
            d = np.diff(row.astype(np.int8))
            starts, ends = np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]
            for a, b in zip(starts, ends, strict=True):
                boxes.append((x0 + a * cell, y0 + r * cell, x0 + b * cell, y0 + (r + 1) * cell))
        b = np.array(boxes)
        geom = shapely.union_all(shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3]))
        out.append((level, value, geom))
    return out


def _band_table(hazard_type):
    from . import codes

    lv = codes.hazard_levels()
    lv = lv[lv["hazard_type"] == hazard_type]
    bands = []
    for row in lv.itertuples():
        lo = row.depth_min_m
        hi = row.depth_max_m if not np.isnan(row.depth_max_m) else np.inf
        value = hi if np.isfinite(hi) else lo
        bands.append((int(row.level), float(lo), float(hi), float(value)))
    return bands


#: The levee reach of デモ川 (km of x): levee roads run on both banks, outside the flood polygons.
LEVEE_SPAN_KM = (-9.5, 16.0)
LEVEE_OFFSET_M = 70.0
LEVEE_MARGIN_M = 20.0


def near_line(line, x, y, *, step=20.0, max_m=np.inf):
    """Distance (m, to within ``step / 2``) from points to a line and the nearest vertex's x, y.

    A KD-tree over the densified line: much faster than exact distances for raster grids.

    Examples
    --------
    >>> line = shapely.LineString([(0, 0), (1000, 0)])
    >>> d, x, y = near_line(line, np.array([500.0]), np.array([30.0]))
    >>> float(d[0]), float(x[0])
    (30.0, 500.0)
    """
    coords = shapely.get_coordinates(shapely.segmentize(line, step))
    d, i = cKDTree(coords).query(
        np.stack([np.ravel(x), np.ravel(y)], 1), distance_upper_bound=max_m
    )
    i = np.minimum(i, len(coords) - 1)  # points beyond max_m get d = inf
    shape = np.shape(x)
    return d.reshape(shape), coords[i, 0].reshape(shape), coords[i, 1].reshape(shape)


def _flood_depth(x, y, river):
    """Maximum assumed flood depth (m) of デモ川 at ``x``, ``y`` (the 想定最大規模 scenario)."""
    d, rx, _ = near_line(river, x, y)
    xk = rx / 1000.0
    peak = np.interp(xk, [-8, -4, 1, 3, 13, 17, 30, 40], [0, 2.0, 4.5, 7.5, 7.5, 4.0, 3.2, 2.0])
    width = np.interp(xk, [-8, -4, 3, 13, 18, 30, 40], [0, 900, 2600, 2600, 1800, 1500, 1100])
    n1, n2 = _noises()
    width = width * (1 + 0.2 * np.clip(n2(x, y), -1.5, 1.5))
    return np.where(width > 0, peak * np.clip(1 - d / np.maximum(width, 1), 0, None), 0.0)


def _tsunami_depth(x, y, coast):
    d, _, _ = near_line(coast, x, y)
    n1, n2 = _noises()
    height = 8.0 * (1 + 0.2 * np.clip(n1(x, y), -1.5, 1.5))
    width = 2200.0 * (1 + 0.3 * np.clip(n2(x, y), -1.5, 1.5))
    return height * np.clip(1 - d / width, 0, None) ** 2  # a long shallow run-out inland


def _hazard_polygons(land, river):
    cell = 100.0
    x0, y0, x1, y1 = land.bounds
    xs = np.arange(x0, x1, cell) + cell / 2
    ys = np.arange(y0, y1, cell) + cell / 2
    gx, gy = np.meshgrid(xs, ys)
    on_land = shapely.contains_xy(land, gx, gy)
    # flood: only cells near the river are evaluated
    near = on_land.copy()
    near[on_land] = near_line(river, gx[on_land], gy[on_land], step=100.0, max_m=3500)[0] < 3500
    depth = np.zeros(gx.shape)
    depth[near] = _flood_depth(gx[near], gy[near], river)
    depth[depth < 0.05] = -1.0  # dry
    lx0, lx1 = LEVEE_SPAN_KM
    reach = shapely.clip_by_rect(river, lx0 * 1000, -1e6, lx1 * 1000, 1e6)
    levees = tuple(shapely.offset_curve(reach, side * LEVEE_OFFSET_M) for side in (1, -1))
    cut = shapely.union_all(
        [river.buffer(LEVEE_OFFSET_M), *[lv.buffer(LEVEE_MARGIN_M) for lv in levees]]
    )
    flood = [
        (lv, val, shapely.make_valid(g.difference(cut).intersection(land)))
        for lv, val, g in _rasterize_bands(
            depth, xs[0] - cell / 2, ys[0] - cell / 2, cell, _band_table("flood")
        )
    ]
    # tsunami on the east and south-east coast
    ring = land.exterior
    coast = shapely.clip_by_rect(ring, 16000, -1e6, 1e6, 1e6)
    south = shapely.clip_by_rect(ring, 0, -1e6, 1e6, -22000)
    coast = shapely.union_all([coast, south])
    near = on_land.copy()
    near[on_land] = near_line(coast, gx[on_land], gy[on_land], step=100.0, max_m=3000)[0] < 3000
    tdepth = np.zeros(gx.shape)
    tdepth[near] = _tsunami_depth(gx[near], gy[near], coast)
    tdepth[tdepth < 0.01] = -1.0  # dry
    tsunami = [
        (lv, val, shapely.make_valid(g.intersection(land)))
        for lv, val, g in _rasterize_bands(
            tdepth,
            xs[0] - cell / 2,
            ys[0] - cell / 2,
            cell,
            _band_table("tsunami"),
        )
    ]
    return flood, tsunami, levees


@cache
def geography():
    """Build (once per process) and return the fixed :class:`Geography` of デモ県."""
    land = _land()
    river = _river(land)
    munis = _municipality_polygons(land)
    flood, tsunami, levees = _hazard_polygons(land, river)
    return Geography(land, river, munis, flood, tsunami, levees, LEVEE_SPAN_KM)
