"""The road network of the fictional デモ県, built directly as arrays (no networkx).

The network is hierarchical like a real Japanese prefecture's drive network: an expressway
(``motorway``) with interchanges (``motorway_link``); national roads (``trunk``) along the coast
and the river valley; prefectural roads (``primary``/``secondary``) between towns; winding
mountain roads (``secondary``/``unclassified``) to the villages; street grids in every town with
``tertiary`` main streets and ``residential`` side streets (thinned so blocks are irregular and
dead ends exist); levee roads along the deep-flood reach of デモ川; and one-way streets in the
centre of the designated city. Everything is vectorised with numpy; only loops over settlements,
roads and grid lines remain.

The geometry depends on the size only (never on the seed): ``small`` has about 30k nodes,
``prefecture`` about 1M (finer street grids and sprawl).

Examples
--------
>>> from geo import demo_roads
>>> net = demo_roads.roads(demo_roads.SIZES["small"])  # doctest: +SKIP
>>> net.x.size > 20_000  # doctest: +SKIP
True
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial import cKDTree

from .demo_geography import GEO_SEED, geography, near_line

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Params:
    """Size parameters of a demo build.

    Parameters
    ----------
    name : str
        Size name.
    spacing : float
        Factor on the street-grid spacings (smaller = denser streets).
    extent : float
        Factor on the settlement radii (larger = more sprawl).
    hamlets : int
        Number of small rural hamlets tried.
    road_step_m : float
        Node spacing along roads between settlements.
    children : int
        Number of children in the register.
    facilities : float
        Factor on the facility counts.
    shelters : float
        Factor on the shelter counts.
    """

    name: str
    spacing: float
    extent: float
    hamlets: int
    road_step_m: float
    children: int
    facilities: float
    shelters: float


#: The sizes of ``ikemap demo --size``.
SIZES = {
    "small": Params("small", 1.0, 1.0, 140, 250.0, 300, 1.0, 1.0),
    "prefecture": Params("prefecture", 0.4, 1.45, 1800, 100.0, 10_000, 8.0, 5.0),
}


@dataclass(frozen=True)
class Settlement:
    """A town centre with a street grid: position (km), radius (km), spacing (m), density."""

    key: str
    x_km: float
    y_km: float
    radius_km: float
    spacing_m: float
    density: float  # inhabitants per km2 (weights where children and facilities are placed)
    kind: str  # core, city, town, village, hamlet


SETTLEMENTS = (
    Settlement("demo", 30.5, 1.8, 6.0, 100, 6000, "core"),
    Settlement("kawabe", 8.0, 0.5, 2.8, 120, 4000, "city"),
    Settlement("minato", 31.5, 20.0, 2.6, 120, 4000, "city"),
    Settlement("shiosai", 24.0, -19.5, 2.5, 120, 4000, "city"),
    Settlement("kitano", 10.0, 22.0, 2.4, 120, 3500, "city"),
    Settlement("nishiyama", -15.0, 4.5, 2.2, 130, 3000, "city"),
    Settlement("minamino", 5.0, -19.0, 2.4, 120, 3500, "city"),
    Settlement("higashihama", 35.5, -12.0, 1.3, 150, 2500, "town"),
    Settlement("nakagawa", -3.0, 8.0, 1.3, 150, 2500, "town"),
    Settlement("kitayama", -8.0, 25.0, 1.2, 150, 2000, "town"),
    Settlement("minamiyama", -15.0, -18.0, 1.2, 150, 2000, "town"),
    Settlement("sakura", 19.0, 11.0, 1.5, 150, 2800, "town"),
    Settlement("okuyama", -40.0, 9.5, 0.6, 170, 400, "village"),
    Settlement("okuyama2", -43.0, 5.5, 0.45, 170, 300, "village"),
    Settlement("nishitani", -31.0, -11.0, 0.6, 170, 400, "village"),
    Settlement("takane", -27.0, 22.0, 0.6, 170, 400, "village"),
)

# Roads between settlements: (waypoints, highway, meander amplitude m, wavelength km, name).
# A waypoint is a settlement key or an (x_km, y_km) pair.
ROADS = (
    (("demo", "minato"), "trunk", 250, 7, "国道901号"),
    (("demo", "higashihama", "shiosai"), "trunk", 250, 7, "国道901号"),
    (("demo", "kawabe"), "trunk", 200, 6, "国道902号"),
    (("kawabe", "nishiyama"), "trunk", 200, 6, "国道902号"),
    (("nishiyama", (-28, 6.5)), "secondary", 350, 1.8, "県道51号 奥山線"),
    (((-28, 6.5), "okuyama"), "unclassified", 450, 1.6, "県道51号 奥山線"),
    (("okuyama", "okuyama2"), "unclassified", 250, 1.5, "村道"),
    (("okuyama", "takane"), "unclassified", 450, 1.4, "林道 高嶺線"),
    (("okuyama2", "nishitani"), "unclassified", 450, 1.4, "林道 西谷線"),
    (("nishiyama", "nishitani"), "secondary", 400, 1.8, "県道52号"),
    (("nishitani", "minamiyama"), "secondary", 350, 2.0, "県道53号"),
    (("takane", "kitayama"), "secondary", 400, 1.8, "県道54号"),
    (("kitayama", "nishiyama"), "secondary", 350, 2.2, "県道55号"),
    (("kitayama", "kitano"), "primary", 250, 4, "主要地方道 北野山線"),
    (("nakagawa", "nishiyama"), "primary", 200, 4, "主要地方道 中川線"),
    (("nakagawa", "kawabe"), "primary", 200, 4, "主要地方道 中川線"),
    (("nakagawa", "kitayama"), "secondary", 300, 2.5, "県道56号"),
    (("kitano", "sakura", "demo"), "primary", 250, 5, "主要地方道 北野線"),
    (("sakura", "minato"), "secondary", 200, 4, "県道57号"),
    (("kitano", "minato"), "primary", 250, 5, "主要地方道 港線"),
    (("kawabe", "sakura"), "secondary", 200, 4, "県道58号"),
    (("kawabe", "minamino"), "primary", 250, 5, "主要地方道 南野線"),
    (("minamino", "shiosai"), "primary", 250, 5, "主要地方道 南野線"),
    (("minamino", "minamiyama"), "secondary", 300, 3, "県道59号"),
    (("minamiyama", "nishiyama"), "secondary", 350, 2.2, "県道60号"),
    (("demo", (22, -10), "shiosai"), "primary", 250, 5, "主要地方道 潮騒線"),
)

#: The expressway (km waypoints): north-south along the plain with a branch up the river valley.
EXPRESSWAY = (
    ((29, 25), (27, 14), (24, 5), (20, -4), (17, -13), (19, -21)),
    ((24, 5), (12, 4.5), (0, 5.5), (-12, 7.0)),
)

#: Centre of the one-way street district (km) and its half sizes (in grid steps).
ONEWAY_CENTRE_KM = (31.2, 3.6)
ONEWAY_HALF = (7, 10)  # rows, columns

_HAMLET_DENSITY = 400.0


@dataclass(frozen=True)
class RoadNet:
    """The demo road network in local metres.

    ``u``/``v``/``highway``/``oneway``/``name`` are per *directed* edge (``highway`` and
    ``name`` are object arrays sharing one ``str`` per distinct value); ``weight`` is the
    population weight of each node (0 on roads between settlements), ``settlement`` its
    settlement index (-1 on roads), ``spacing`` the local street spacing (m).
    """

    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    highway: np.ndarray
    oneway: np.ndarray
    name: np.ndarray
    weight: np.ndarray
    settlement: np.ndarray
    spacing: np.ndarray
    levee: np.ndarray  # node indices of the levee roads
    levee_up: tuple  # node indices of the upstream ends of both levee roads
    settlements: tuple  # Settlement per settlement index (incl. hamlets)


class _Builder:
    def __init__(self):
        self.xy = []
        self.n = 0
        self.weight = []
        self.settlement = []
        self.spacing = []
        self.edges = []  # (u, v, highway, oneway, name) arrays; highway/name as label codes
        self.labels = {}  # label text -> code (highways and names share one table)

    def code(self, text):
        """The label code of ``text``."""
        return self.labels.setdefault(str(text), len(self.labels))

    def _codes(self, text, shape):
        """Label codes for ``shape`` edges of ``text``: one string, strings or codes (ints)."""
        text = np.asarray(text)
        if text.ndim == 0:
            return np.full(shape, self.code(text.item()), np.int32)
        if text.dtype.kind in "iu":
            return np.broadcast_to(text.astype(np.int32), shape).copy()
        uniq, inv = np.unique(text.astype(str), return_inverse=True)
        codes = np.array([self.labels.setdefault(t, len(self.labels)) for t in uniq], np.int32)
        return np.broadcast_to(codes[inv.reshape(text.shape)], shape).copy()

    def label_table(self):
        """Object array of the label texts, indexed by code (one ``str`` object per label)."""
        table = np.empty(len(self.labels), object)
        for text, code in self.labels.items():
            table[code] = text
        return table

    def nodes(self, xy, *, weight=0.0, settlement=-1, spacing=0.0):
        xy = np.asarray(xy, float).reshape(-1, 2)
        idx = np.arange(self.n, self.n + len(xy))
        self.xy.append(xy)
        self.weight.append(np.broadcast_to(np.asarray(weight, float), len(xy)).copy())
        self.settlement.append(np.full(len(xy), settlement))
        self.spacing.append(np.full(len(xy), float(spacing)))
        self.n += len(xy)
        return idx

    def add(self, u, v, highway, *, oneway=False, name=""):
        u = np.asarray(u, np.int64).ravel()
        v = np.asarray(v, np.int64).ravel()
        if u.size == 0:
            return
        hw = self._codes(highway, u.shape)
        ow = np.broadcast_to(np.asarray(oneway, bool), u.shape).copy()
        nm = self._codes(name, u.shape)
        self.edges.append((u, v, hw, ow, nm))

    def coords(self):
        return np.concatenate(self.xy) if self.xy else np.zeros((0, 2))


def _pt(w):
    return np.array(w, float) * 1000.0


class _LineIndex:
    """:func:`geo.demo_geography.near_line` for one line, its densified vertices indexed once.

    Same answers as ``near_line(line, x, y, step=step, max_m=max_m)`` (the same vertices and
    KD-tree query); the tree is built once instead of once per settlement.
    """

    def __init__(self, line, step):
        self.line = line
        self.coords = shapely.get_coordinates(shapely.segmentize(line, step))
        self.tree = cKDTree(self.coords)

    def near(self, x, y, *, max_m=np.inf):
        d, i = self.tree.query(np.stack([np.ravel(x), np.ravel(y)], 1), distance_upper_bound=max_m)
        i = np.minimum(i, len(self.coords) - 1)
        shape = np.shape(x)
        return d.reshape(shape), self.coords[i, 0].reshape(shape), self.coords[i, 1].reshape(shape)


def _prepared_copy(geom):
    """A prepared copy of ``geom`` (fast repeated ``contains_xy``; the shared one is left as is)."""
    out = shapely.from_wkb(shapely.to_wkb(geom))
    shapely.prepare(out)
    return out


def _grid(b, s, land, river, levee_span, params, rng, *, sid, oneway=False):
    """Add the street grid of settlement ``s``; return its node indices.

    ``land`` is best prepared (:func:`_prepared_copy`), ``river`` a :class:`_LineIndex` (step
    25 m) or a line.
    """
    spacing = s.spacing_m * params.spacing
    radius = s.radius_km * 1000.0 * (params.extent if s.kind != "village" else 1.0)
    n = int(radius / spacing * 1.25) + 1
    ii, jj = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    cx, cy = s.x_km * 1000.0, s.y_km * 1000.0
    ang = np.arctan2(ii, jj)
    lobes = (
        1
        + 0.18 * np.sin(3 * ang + rng.uniform(0, 6.3))
        + 0.1 * np.sin(5 * ang + rng.uniform(0, 6.3))
    )
    inside = np.hypot(ii, jj) * spacing <= radius * lobes
    x = cx + jj * spacing + rng.uniform(-0.12, 0.12, ii.shape) * spacing
    y = cy + ii * spacing + rng.uniform(-0.12, 0.12, ii.shape) * spacing
    # land and river tests only where the lobes already hold (the rest is outside anyway)
    cand = np.flatnonzero(inside)
    ok = shapely.contains_xy(land, x.flat[cand], y.flat[cand])
    cand = cand[ok]
    if isinstance(river, _LineIndex):
        d, rx, _ = river.near(x.flat[cand], y.flat[cand], max_m=400.0)
        river = river.line
    else:
        d, rx, _ = near_line(river, x.flat[cand], y.flat[cand], step=25.0, max_m=400.0)
    in_reach = (rx >= levee_span[0] * 1000) & (rx <= levee_span[1] * 1000)
    inside = np.zeros(ii.shape, bool)
    inside.flat[cand[d > np.where(in_reach, 220.0, 150.0)]] = True
    if oneway:  # the one-way district must be complete
        ci = int(round((ONEWAY_CENTRE_KM[1] * 1000 - cy) / spacing))
        cj = int(round((ONEWAY_CENTRE_KM[0] * 1000 - cx) / spacing))
        hr, hc = ONEWAY_HALF
        box = (np.abs(ii - ci) <= hr) & (np.abs(jj - cj) <= hc)
        if not inside[box].all():
            msg = "one-way district of the demo city is not on land; move ONEWAY_CENTRE_KM"
            raise AssertionError(msg)
    ids = np.full(ii.shape, -1, np.int64)
    area = (spacing / 1000.0) ** 2
    ids[inside] = b.nodes(
        np.stack([x[inside], y[inside]], 1),
        weight=s.density * area,
        settlement=sid,
        spacing=spacing,
    )
    major = max(3, int(round(800.0 / spacing)))
    # candidate edges: horizontal (row i, j -> j+1) and vertical (col j, i -> i+1)
    hu, hv = ids[:, :-1], ids[:, 1:]
    vu, vv = ids[:-1, :], ids[1:, :]
    h_major = ii[:, :-1] % major == 0
    v_major = jj[:-1, :] % major == 0
    h_main = ii[:, :-1] == 0
    v_main = jj[:-1, :] == 0
    eu = np.concatenate([hu.ravel(), vu.ravel()])
    ev = np.concatenate([hv.ravel(), vv.ravel()])
    is_major = np.concatenate([h_major.ravel(), v_major.ravel()])
    is_main = np.concatenate([h_main.ravel(), v_main.ravel()])
    horizontal = np.concatenate([np.ones(hu.size, bool), np.zeros(vu.size, bool)])
    line = np.concatenate([ii[:, :-1].ravel(), jj[:-1, :].ravel()])  # row or column index
    pos_i = np.concatenate([ii[:, :-1].ravel(), ii[:-1, :].ravel()])
    pos_j = np.concatenate([jj[:, :-1].ravel(), jj[:-1, :].ravel()])
    ok = (eu >= 0) & (ev >= 0)
    eu, ev, is_major, is_main, horizontal, line, pos_i, pos_j = (
        a[ok] for a in (eu, ev, is_major, is_main, horizontal, line, pos_i, pos_j)
    )
    in_box = np.zeros(eu.size, bool)
    if oneway:
        hr, hc = ONEWAY_HALF
        in_box = np.where(
            horizontal,
            (np.abs(pos_i - ci) <= hr) & (pos_j >= cj - hc) & (pos_j < cj + hc),
            (np.abs(pos_j - cj) <= hc) & (pos_i >= ci - hr) & (pos_i < ci + hr),
        )
    # thinning: a random spanning forest keeps the grid connected; other side streets stay
    # with a probability, so blocks are irregular and some streets end blind
    base = ids[inside].min() if inside.any() else 0
    lu, lv = eu - base, ev - base
    nloc = int(inside.sum())
    w = np.where(is_major | in_box, 1e-3, 1.0) + rng.uniform(0, 0.5, eu.size)
    tree = minimum_spanning_tree(coo_matrix((w, (lu, lv)), shape=(nloc, nloc)).tocsr()).tocoo()
    tkey = np.minimum(tree.row, tree.col).astype(np.int64) * nloc + np.maximum(tree.row, tree.col)
    ekey = np.minimum(lu, lv) * nloc + np.maximum(lu, lv)
    in_tree = _member(ekey, tkey)
    keep_p = 0.62 if s.kind in ("core", "city") else 0.45
    keep = is_major | in_box | in_tree | (rng.uniform(0, 1, eu.size) < keep_p)
    main_hw, major_hw = ("secondary", "tertiary")
    if s.kind in ("village", "hamlet"):
        main_hw, major_hw = ("tertiary", "unclassified")
    hw = np.where(
        is_main, b.code(main_hw), np.where(is_major, b.code(major_hw), b.code("residential"))
    )
    one = np.zeros(eu.size, bool)
    if oneway:
        hr, hc = ONEWAY_HALF
        inner = (
            np.where(horizontal, np.abs(pos_i - ci) < hr, np.abs(pos_j - cj) < hc)
            & in_box
            & ~is_major
        )
        one = inner
        flip = inner & (line % 2 == 1)  # alternate directions line by line
        eu, ev = np.where(flip, ev, eu), np.where(flip, eu, ev)
    sel = keep
    b.add(eu[sel & ~one], ev[sel & ~one], hw[sel & ~one])
    b.add(eu[sel & one], ev[sel & one], hw[sel & one], oneway=True)
    # bridges over the river where a main street meets it
    for axis in (0, 1):
        lines = range(ids.shape[1]) if axis == 0 else range(ids.shape[0])
        for k in lines:
            if (k - n) % major:
                continue
            col = ids[:, k] if axis == 0 else ids[k, :]
            pos = np.nonzero(col >= 0)[0]
            if pos.size < 2:
                continue
            gaps = np.nonzero(np.diff(pos) > 1)[0]
            for g in gaps:
                p0, p1 = pos[g], pos[g + 1]
                a, c = col[p0], col[p1]
                xs = x[:, k] if axis == 0 else x[k, :]
                ys = y[:, k] if axis == 0 else y[k, :]
                seg = shapely.LineString([(xs[p0], ys[p0]), (xs[p1], ys[p1])])
                if seg.length < 900 and seg.intersects(river):
                    b.add([a], [c], "tertiary", name="橋")
    return ids[inside]


def _member(a, b):
    """``np.isin(a, b)`` for integer arrays by a binary search in sorted ``b``."""
    b = np.sort(b)
    if b.size == 0:
        return np.zeros(a.shape, bool)
    pos = np.minimum(np.searchsorted(b, a), b.size - 1)
    return b[pos] == a


def _meander(pts_km, amp, wavelength_km, rng, step=50.0):
    """A winding polyline through ``pts_km`` (fine, 50 m vertices), as metres."""
    out = []
    for a, c in zip(pts_km[:-1], pts_km[1:], strict=True):
        a, c = _pt(a), _pt(c)
        length = float(np.hypot(*(c - a)))
        m = max(2, int(length / step) + 1)
        t = np.linspace(0, 1, m)
        base = a + t[:, None] * (c - a)
        nrm = np.array([-(c - a)[1], (c - a)[0]]) / max(length, 1.0)
        ph = rng.uniform(0, 2 * math.pi, 3)
        bend = rng.uniform(-0.08, 0.08) * length
        # hairpins of uneven size: two detuned waves under a slow swell
        w = 2 * math.pi * t * length / (wavelength_km * 1000)
        swell = 0.65 + 0.35 * np.sin(0.23 * w + ph[2])
        off = amp * swell * (0.7 * np.sin(w + ph[0]) + 0.3 * np.sin(1.9 * w + ph[1]))
        off = off * np.minimum(1, np.minimum(t, 1 - t) * length / 600.0) + bend * np.sin(
            math.pi * t
        )
        seg = base + off[:, None] * nrm
        out.append(seg if not out else seg[1:])
    return np.concatenate(out)


def _subsample(line, step):
    """Keep vertices about every ``step`` metres along a fine polyline (ends kept)."""
    d = np.r_[0, np.cumsum(np.hypot(*np.diff(line, axis=0).T))]
    marks = np.unique(np.searchsorted(d, np.arange(0, d[-1], step)))
    idx = np.unique(np.r_[marks, len(line) - 1])
    return line[idx]


def _road(b, line, highway, name, grid_tree, grid_nodes, inside_fn, *, link_max=1500.0):
    """Add a road polyline, cut where it runs through a settlement and tied to its streets."""
    inside = inside_fn(line)
    ids = np.full(len(line), -1, np.int64)
    ids[~inside] = b.nodes(line[~inside])
    seg_ok = (ids[:-1] >= 0) & (ids[1:] >= 0)
    b.add(ids[:-1][seg_ok], ids[1:][seg_ok], highway, name=name)
    # run ends next to a cut (or at the polyline's ends) join the nearest street node
    out = ids >= 0
    prev_in = np.r_[True, ~out[:-1]]
    next_in = np.r_[~out[1:], True]
    ends = np.flatnonzero(out & (prev_in | next_in))
    if ends.size and grid_tree is not None:
        d, j = grid_tree.query(line[ends])
        near = d <= link_max
        b.add(ids[ends[near]], grid_nodes[j[near]], highway, name=name)
    return ids[ids >= 0]


def _hamlets(params, land, munis, settlements, rng):
    from .demo_geography import elevation

    x0, y0, x1, y1 = land.bounds
    m = params.hamlets * 6
    x = rng.uniform(x0, x1, m)
    y = rng.uniform(y0, y1, m)
    ok = shapely.contains_xy(land.buffer(-800), x, y)
    h = elevation(x, y)
    ok &= rng.uniform(0, 1, m) < np.interp(h, [0, 300, 600, 900], [1.0, 0.8, 0.25, 0.0])
    ok &= ~shapely.contains_xy(munis["99401"], x, y)  # the remote village stays remote
    for s in settlements:
        r = s.radius_km * 1000 * params.extent + 1200
        ok &= np.hypot(x - s.x_km * 1000, y - s.y_km * 1000) > r
    x, y = x[ok][: params.hamlets], y[ok][: params.hamlets]
    radius = rng.uniform(0.22, 0.5, x.size) * (1 + 0.5 * (params.extent - 1))
    return [
        Settlement(f"hamlet{i}", xi / 1000, yi / 1000, ri, 150, _HAMLET_DENSITY, "hamlet")
        for i, (xi, yi, ri) in enumerate(zip(x, y, radius, strict=True))
    ]


@cache
def roads(params):
    """Build the demo road network for a :class:`Params` (cached per process)."""
    geo = geography()
    rng = np.random.default_rng(GEO_SEED + 10)
    b = _Builder()
    sett = list(SETTLEMENTS)
    hamlets = _hamlets(params, geo.land, geo.municipalities, sett, rng)
    all_sett = sett + hamlets
    land = _prepared_copy(geo.land)
    river = _LineIndex(geo.river, 25.0)
    grid_nodes = []
    for sid, s in enumerate(all_sett):
        grid_nodes.append(
            _grid(
                b,
                s,
                land,
                river,
                geo.levee_span_km,
                params,
                rng,
                sid=sid,
                oneway=s.key == "demo",
            )
        )
    gnodes = np.concatenate(grid_nodes)
    coords = b.coords()
    gtree = cKDTree(coords[gnodes])
    centres = np.array([[s.x_km * 1000, s.y_km * 1000] for s in sett])
    radii = np.array(
        [s.radius_km * 1000 * (params.extent if s.kind != "village" else 1.0) for s in sett]
    )

    def inside_fn(line):
        d = np.hypot(line[:, None, 0] - centres[:, 0], line[:, None, 1] - centres[:, 1])
        near_grid = gtree.query(line, distance_upper_bound=260.0)[0] < 260.0
        return ((d < radii * 0.92).any(1) & near_grid) | ~shapely.contains_xy(
            land, line[:, 0], line[:, 1]
        )

    keys = {s.key: (s.x_km, s.y_km) for s in sett}
    for k, (way, highway, amp, wl, name) in enumerate(ROADS):
        pts = [keys[w] if isinstance(w, str) else w for w in way]
        fine = _meander(pts, amp, wl, np.random.default_rng(GEO_SEED + 100 + k))
        _road(b, _subsample(fine, params.road_step_m), highway, name, gtree, gnodes, inside_fn)
    # expressway with interchanges at settlements within 5 km
    motor = []
    for k, way in enumerate(EXPRESSWAY):
        fine = _meander(way, 150, 9, np.random.default_rng(GEO_SEED + 200 + k))
        line = _subsample(fine, max(params.road_step_m * 2, 400.0))
        ids = b.nodes(line)
        b.add(ids[:-1], ids[1:], "motorway", name="デモ自動車道")
        motor.append(ids)
    junction = motor[1][0]  # the branch starts on the main line
    coords = b.coords()
    main_d = np.hypot(*(coords[motor[0]] - coords[junction]).T)
    b.add([motor[0][np.argmin(main_d)]], [junction], "motorway_link", name="デモJCT")
    coords = b.coords()
    mids = np.concatenate(motor)
    mtree = cKDTree(coords[mids])
    for sid, s in enumerate(sett):
        if s.kind not in ("core", "city", "town"):
            continue
        d, j = mtree.query([s.x_km * 1000, s.y_km * 1000])
        if d > 6000:
            continue
        gi = grid_nodes[sid]
        gd = np.hypot(*(coords[gi] - coords[mids[j]]).T)
        target = gi[np.argmin(gd)]
        a, c = coords[mids[j]], coords[target]
        length = float(np.hypot(*(c - a)))
        m = max(2, int(length / params.road_step_m) + 1)
        pts = a + np.linspace(0, 1, m)[1:-1, None] * (c - a)
        mid = b.nodes(pts)
        chain = np.r_[mids[j], mid, target]
        b.add(chain[:-1], chain[1:], "motorway_link", name=f"{s.key} IC")
    # levee roads on both banks of the deep-flood reach
    levee_ids, ups = [], []
    step = min(100.0, params.road_step_m)
    for lv in geo.levee_lines:
        pts = shapely.get_coordinates(shapely.segmentize(lv, 25.0))
        pts = _subsample(pts, step)
        if pts[0, 0] > pts[-1, 0]:
            pts = pts[::-1]
        ids = b.nodes(pts)
        b.add(ids[:-1], ids[1:], "unclassified", name="デモ川堤防道路")
        levee_ids.append(ids)
        ups.append(int(ids[0]))
    coords = b.coords()
    levee = np.concatenate(levee_ids)
    # (the grid nodes kept their coordinates: the tree over them is still gtree)
    is_other = np.ones(b.n, bool)
    is_other[levee] = False
    other = np.flatnonzero(is_other)  # every node but the levee roads' (no node is added below)
    otree = cKDTree(coords[other])
    for ids in levee_ids:
        ramp = ids[:: max(1, int(round(300 / step)))]
        d, j = gtree.query(coords[ramp])
        ok = d < 350
        b.add(ramp[ok], gnodes[j[ok]], "residential", name="")
        # both ends join the nearest other road
        for end in (ids[0], ids[-1]):
            d, j = otree.query(coords[end])
            if d < 1500:
                b.add([end], [other[j]], "unclassified", name="")
    north, south = levee_ids
    stree = cKDTree(coords[south])
    cross = north[:: max(1, int(round(2000 / step)))][1:-1]
    d, j = stree.query(coords[cross])
    b.add(cross[d < 400], south[j[d < 400]], "tertiary", name="橋")
    # hamlets join the nearest node of the towns and roads
    coords = b.coords()
    settlement = np.concatenate(b.settlement)
    trunk = np.nonzero(settlement < len(sett))[0]
    ttree = cKDTree(coords[trunk])
    for sid in range(len(sett), len(all_sett)):
        gi = grid_nodes[sid]
        if gi.size == 0:
            continue
        centre = coords[gi].mean(0)
        c0 = gi[np.argmin(np.hypot(*(coords[gi] - centre).T))]
        _, j = ttree.query(coords[c0])
        j = trunk[j]
        a, c = coords[c0], coords[j]
        length = float(np.hypot(*(c - a)))
        m = max(2, int(length / params.road_step_m) + 1)
        mid = b.nodes(a + np.linspace(0, 1, m)[1:-1, None] * (c - a))
        chain = np.r_[c0, mid, j]
        b.add(chain[:-1], chain[1:], "unclassified", name="")
    return _finish(b, levee, tuple(ups), tuple(all_sett))


def _finish(b, levee, ups, all_sett):
    coords = b.coords()
    n = len(coords)
    u = np.concatenate([e[0] for e in b.edges])
    v = np.concatenate([e[1] for e in b.edges])
    hw = np.concatenate([e[2] for e in b.edges])
    ow = np.concatenate([e[3] for e in b.edges])
    nm = np.concatenate([e[4] for e in b.edges])
    ok = u != v
    u, v, hw, ow, nm = u[ok], v[ok], hw[ok], ow[ok], nm[ok]
    # join stray pieces (grid fragments cut by the coast or the river) to the main network
    g = coo_matrix((np.ones(u.size), (u, v)), shape=(n, n))
    ncomp, lab = connected_components(g, directed=True, connection="weak")
    if ncomp > 1:
        main = np.argmax(np.bincount(lab))
        mnodes = np.nonzero(lab == main)[0]
        tree = cKDTree(coords[mnodes])
        order = np.argsort(lab, kind="stable")
        bounds = np.searchsorted(lab[order], np.arange(ncomp + 1))
        extra_u, extra_v = [], []
        for c in range(ncomp):
            if c == main:
                continue
            members = order[bounds[c] : bounds[c + 1]]
            d, j = tree.query(coords[members])
            k = np.argmin(d)
            extra_u.append(members[k])
            extra_v.append(mnodes[j[k]])
        u = np.r_[u, extra_u]
        v = np.r_[v, extra_v]
        hw = np.r_[hw, b._codes("unclassified", len(extra_u))]
        ow = np.r_[ow, np.zeros(len(extra_u), bool)]
        nm = np.r_[nm, b._codes("", len(extra_u))]
    # unique undirected edges (first wins), then both directions for two-way streets
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    _, first = np.unique(lo * n + hi, return_index=True)
    first = np.sort(first)
    u, v, hw, ow, nm = u[first], v[first], hw[first], ow[first], nm[first]
    two = ~ow
    U = np.r_[u, v[two]]
    V = np.r_[v, u[two]]
    HW = np.r_[hw, hw[two]]
    OW = np.r_[ow, ow[two]]
    NM = np.r_[nm, nm[two]]
    order = np.lexsort((V, U))
    U, V, HW, OW, NM = U[order], V[order], HW[order], OW[order], NM[order]
    g = coo_matrix((np.ones(U.size), (U, V)), shape=(n, n))
    ncomp, _ = connected_components(g, directed=True, connection="strong")
    if ncomp != 1:
        msg = f"demo road network has {ncomp} strongly connected components; expected 1"
        raise AssertionError(msg)
    logger.info("Created demo road network with %s nodes and %s edges", f"{n:,}", f"{U.size:,}")
    labels = b.label_table()
    return RoadNet(
        x=coords[:, 0],
        y=coords[:, 1],
        u=U,
        v=V,
        highway=labels[HW],
        oneway=OW,
        name=labels[NM],
        weight=np.concatenate(b.weight),
        settlement=np.concatenate(b.settlement),
        spacing=np.concatenate(b.spacing),
        levee=levee,
        levee_up=ups,
        settlements=all_sett,
    )
