"""The analysis context: a workspace read once, its road network built and every point snapped.

:func:`load` reads the layers, builds the :class:`geo.network.Network`, snaps children,
facilities and shelters to it (:func:`geo.snap.snap`) and caches hazard-scenario networks, so
that every analysis of a session shares one set of arrays. The app keeps one context in
``st.cache_resource``; the command line builds one per run.

Examples
--------
>>> from analysis import context
>>> ctx = context.load("data/demo/demo.gpkg")  # doctest: +SKIP
>>> len(ctx.children), ctx.net.node_ids.size  # doctest: +SKIP
(120, 5400)
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings, workspace
from geo.errors import WorkspaceError

logger = logging.getLogger(__name__)

#: Layers a context reads (results are not read back).
LAYERS = workspace.INPUT_LAYERS

_POINT_LAYERS = ("children", "facilities", "shelters")


def _empty(layer):
    """An empty frame with the contract columns of ``layer``."""
    schema = workspace.LAYERS[layer]
    cols = [c.name for c in schema.columns]
    if schema.geometry is None:
        return pd.DataFrame(columns=cols)
    return gpd.GeoDataFrame(columns=[*cols, "geometry"], geometry="geometry", crs="EPSG:4326")


@dataclass
class Context:
    """Everything an analysis needs, built once per workspace.

    Attributes
    ----------
    layers : dict of str to DataFrame
        The input layers (EPSG:4326), missing ones empty with their contract columns.
    net : geo.network.Network
        The drive network.
    snaps : dict of str to DataFrame
        ``geo.snap.snap`` result per point layer (children, facilities, shelters), indexed
        like the layer.
    path : Path or None
        The workspace file, when read from one.
    """

    layers: dict
    net: object
    snaps: dict
    path: Path | None = None
    _scenarios: dict = field(default_factory=dict, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)
    _matrices: dict = field(default_factory=dict, repr=False)

    # -- layers ------------------------------------------------------------------------------
    @property
    def children(self):
        """The ``children`` layer."""
        return self.layers["children"]

    @property
    def facilities(self):
        """The ``facilities`` layer."""
        return self.layers["facilities"]

    @property
    def shelters(self):
        """The ``shelters`` layer."""
        return self.layers["shelters"]

    @property
    def hazards(self):
        """The ``hazards`` layer."""
        return self.layers["hazards"]

    @property
    def areas(self):
        """The ``areas`` layer."""
        return self.layers["areas"]

    @property
    def municipalities(self):
        """The ``municipalities`` layer."""
        return self.layers["municipalities"]

    def area_kinds(self):
        """Area kinds present, in the order of the ``areas`` layer."""
        kinds = self.areas["kind"].dropna().tolist() if len(self.areas) else []
        return list(dict.fromkeys(kinds))

    def default_area_kind(self):
        """The first area kind of the workspace (``None`` when there are no areas)."""
        kinds = self.area_kinds()
        return kinds[0] if kinds else None

    # -- network -----------------------------------------------------------------------------
    def scenario(self, *, min_level, hazard_types=None):
        """Return the hazard-scenario network (edges in zones at or above ``min_level`` closed).

        Cached per ``(min_level, hazard_types)``.
        """
        from geo import scenario as geo_scenario

        key = (int(min_level), tuple(sorted(hazard_types)) if hazard_types else None)
        if key not in self._scenarios:
            hz = self.hazards
            if hazard_types:
                hz = hz[hz["hazard_type"].isin(list(hazard_types))]
            if self.net.edge_geometry_loader is not None and self.path is not None:
                # prepared network: the closed edges are cached beside the workspace
                from geo import prepared

                closed = prepared.closures(
                    self.net,
                    self.path,
                    hz,
                    min_level=int(min_level),
                    hazard_types=list(hazard_types) if hazard_types else None,
                )
                self._scenarios[key] = self.net.subset_edges(~closed)
            else:
                self._scenarios[key] = geo_scenario.scenario(
                    self.net,
                    hz,
                    min_level=int(min_level),
                    hazard_types=list(hazard_types) if hazard_types else None,
                )
        return self._scenarios[key]

    def matrix_store(self, scenario_key, direction):
        """Per-facility-node road times to the children (:mod:`analysis.matrix`'s cache).

        Shared with what-if contexts (:meth:`with_facilities`): same roads, same children.
        """
        return self._matrices.setdefault((scenario_key, direction), {})

    def snap(self, points):
        """Snap extra points (a GeoDataFrame/GeoSeries in EPSG:4326) to the network."""
        from geo import snap as geo_snap

        return geo_snap.snap(self.net, points)

    # -- derived, cached -------------------------------------------------------------------
    def exposure(self, layer):
        """Hazard exposure of a point layer (:func:`analysis.exposure.point_exposure`), cached."""
        from . import exposure

        key = ("exposure", layer)
        if key not in self._cache:
            self._cache[key] = exposure.point_exposure(self.layers[layer], self.hazards)
        return self._cache[key]

    def area_of(self, layer, *, kind=None):
        """Return the ``area_id`` of each point of ``layer`` for an area kind.

        The point's ``municipality_code`` decides through ``area_members`` when it is known;
        otherwise the area polygon that contains the point. ``None`` where neither answers.
        """
        kind = kind or self.default_area_kind()
        key = ("area_of", layer, kind)
        if key in self._cache:
            return self._cache[key]
        pts = self.layers[layer]
        out = pd.Series([None] * len(pts), index=pts.index, dtype=object)
        if kind is None or len(pts) == 0:
            self._cache[key] = out
            return out
        areas = self.areas[self.areas["kind"] == kind]
        members = self.layers["area_members"]
        members = members[members["kind"] == kind] if len(members) else members
        if "municipality_code" in pts and len(members):
            m = dict(zip(members["municipality_code"], members["area_id"], strict=True))
            out = pts["municipality_code"].map(m).astype(object)
            out = out.where(out.notna(), None)
        missing = out.isna().to_numpy()
        if missing.any() and len(areas):
            j = gpd.sjoin(
                pts.loc[missing, ["geometry"]],
                areas[["area_id", "geometry"]],
                how="left",
                predicate="intersects",
            )
            j = j[~j.index.duplicated(keep="first")]
            out.loc[j.index] = j["area_id"].where(j["area_id"].notna(), None)
        self._cache[key] = out
        return out

    def municipality_of(self, layer):
        """Return the municipality code of each point (its own column, else the polygon)."""
        key = ("muni_of", layer)
        if key in self._cache:
            return self._cache[key]
        pts = self.layers[layer]
        out = (
            pts["municipality_code"].astype(object)
            if "municipality_code" in pts
            else pd.Series([None] * len(pts), index=pts.index, dtype=object)
        )
        out = out.where(out.notna(), None)
        missing = out.isna().to_numpy()
        munis = self.municipalities
        if missing.any() and len(munis):
            j = gpd.sjoin(
                pts.loc[missing, ["geometry"]],
                munis[["code", "geometry"]],
                how="left",
                predicate="intersects",
            )
            j = j[~j.index.duplicated(keep="first")]
            out.loc[j.index] = j["code"].where(j["code"].notna(), None)
        self._cache[key] = out
        return out

    def with_facilities(self, extra):
        """Return a new context with facilities added (what-if); the network is shared.

        Parameters
        ----------
        extra : geopandas.GeoDataFrame
            New facilities with at least ``facility_id``, ``service`` and a point geometry
            (EPSG:4326); missing columns are null (``accepts`` null = unknown).
        """
        extra = extra.to_crs("EPSG:4326") if extra.crs is not None else extra.set_crs("EPSG:4326")
        fac = self.facilities
        for col in fac.columns:
            if col not in extra.columns:
                extra[col] = None
        dup = set(extra["facility_id"]) & set(fac["facility_id"])
        if dup:
            msg = (
                f"what-if facilities reuse facility_id {sorted(dup)[:5]} already in the "
                "workspace; give new sites new ids (e.g. 'new-1')."
            )
            raise ValueError(msg)
        start = (
            (int(fac.index.max()) + 1)
            if len(fac) and pd.api.types.is_integer_dtype(fac.index)
            else len(fac)
        )
        extra = extra[list(fac.columns)].copy()
        extra.index = pd.RangeIndex(start, start + len(extra))
        merged = gpd.GeoDataFrame(
            pd.concat([fac, extra]), geometry="geometry", crs=fac.crs or "EPSG:4326"
        )
        fac_snaps = pd.concat([self.snaps["facilities"], self.snap(extra)])
        layers = _copy(self.layers, facilities=merged)
        ctx = Context(layers=layers, net=self.net, snaps={}, path=self.path)
        ctx.snaps = _copy(self.snaps, facilities=fac_snaps)
        if isinstance(ctx.snaps, _Snaps):
            ctx.snaps.layers = layers
        ctx._scenarios = self._scenarios  # same roads, same scenarios
        ctx._matrices = self._matrices  # same children: facility columns are reused
        return ctx


def from_layers(layers, *, path=None, net=None, lazy=False):
    """Build a context from a dict of layers (tests and imports use this directly).

    Parameters
    ----------
    layers : dict of str to DataFrame
        Workspace layers; ``roads_nodes`` and ``roads_edges`` are required unless ``net`` is
        given, the others may be missing (empty layers are used).
    path : Path, optional
        Where the layers came from.
    net : geo.network.Network, optional
        The road network, already built (e.g. :func:`geo.prepared.load_network`).
    lazy : bool, default False
        With ``path`` and ``net``: the input layers not in ``layers`` are read from the workspace
        on first use (and snapped on first use of their ``snaps``), so that a command reads only
        what it needs (:func:`load`).

    Returns
    -------
    Context
    """
    from geo import network as geo_network

    missing = [name for name in ("roads_nodes", "roads_edges") if name not in layers]
    if missing and net is None:
        where = f"Workspace {path}" if path else "The layers"
        msg = (
            f"{where} lack {', '.join(missing)}: the analyses need a road network. "
            "Import one with `ikemap import --workspace W.gpkg --roads roads.osm.pbf`."
        )
        raise WorkspaceError(msg)
    lazy = bool(lazy) and net is not None and path is not None
    if net is not None and path is not None:
        pending = [n for n in LAYERS if n not in layers] if lazy else []
        full = _Layers(path, pending=pending)
    else:
        full = {}
    for name in LAYERS:
        if net is not None and name in ("roads_nodes", "roads_edges") and name not in layers:
            continue  # read from the workspace on first use only
        if lazy and name not in layers:
            continue  # read on first use
        frame = layers.get(name)
        full[name] = _storage_crs(name, _empty(name) if frame is None else frame)
    if net is None:
        net = geo_network.network_from_layers(full["roads_nodes"], full["roads_edges"])
    snaps = _Snaps(full, net)
    for name in _POINT_LAYERS:
        if dict.__contains__(full, name):
            snaps[name]  # noqa: B018  (given layers are snapped now: a bad point fails here)
    logger.info(
        "Context: %s on %d road nodes%s",
        ", ".join(f"{len(full[n])} {n}" for n in _POINT_LAYERS if dict.__contains__(full, n))
        or "no point layers yet",
        len(net.node_ids),
        " (other layers read on first use)" if lazy else "",
    )
    return Context(layers=full, net=net, snaps=snaps, path=Path(path) if path else None)


def _storage_crs(name, frame):
    """``frame`` in the storage CRS (EPSG:4326) when it is one of the spatial input layers."""
    if name in _POINT_LAYERS + ("hazards", "areas", "municipalities") and isinstance(
        frame, gpd.GeoDataFrame
    ):
        if frame.crs is None:
            return frame.set_crs(settings.storage_crs)
        if not frame.crs.equals(settings.storage_crs):
            return frame.to_crs(settings.storage_crs)
    return frame


def _copy(mapping, **replace):
    """A copy of a layers or snaps mapping with some entries replaced (lazy ones stay lazy)."""
    if isinstance(mapping, _LazyDict):
        out = mapping.copy()
        for k, v in replace.items():
            out[k] = v
        return out
    return {**mapping, **replace}


class _LazyDict(dict):
    """A dict whose missing entries of :attr:`_lazy_names` are made by :meth:`_make` on access.

    ``in`` answers for those names too; ``items()``/iteration show what has been made. The
    first access makes an entry once (a lock: the app shares one context between sessions).
    """

    def __init__(self):
        super().__init__()
        self._lock = threading.RLock()

    def _lazy_names(self):
        return ()

    def _make(self, name):  # pragma: no cover - subclasses
        raise KeyError(name)

    def __missing__(self, name):
        if name not in self._lazy_names():
            raise KeyError(name)
        with self._lock:
            if dict.__contains__(self, name):
                return dict.__getitem__(self, name)
            frame = self._make(name)
            self[name] = frame
            return frame

    def get(self, name, default=None):
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name):
        return dict.__contains__(self, name) or name in self._lazy_names()

    def copy(self):
        out = self._empty_copy()
        dict.update(out, self)
        return out


class _Layers(_LazyDict):
    """Layers by name, some read from the workspace on first access only.

    The road layers always; with ``pending`` also those input layers (:func:`load`).
    """

    def __init__(self, path, *, pending=()):
        super().__init__()
        self._path = Path(path)
        self._pending = tuple(pending)

    def _lazy_names(self):
        return ("roads_nodes", "roads_edges", *self._pending)

    def _empty_copy(self):
        return _Layers(self._path, pending=self._pending)

    def _make(self, name):
        try:
            frame = workspace.read(self._path, name)
        except WorkspaceError:
            if name in workspace.layers(self._path):
                raise
            frame = _empty(name)  # not in the workspace
        if name in self._pending:
            logger.debug("Read layer %s of %s (%d rows)", name, self._path, len(frame))
            frame = _storage_crs(name, frame)
        return frame


class _Snaps(_LazyDict):
    """``geo.snap.snap`` of each point layer, made on first access."""

    def __init__(self, layers, net):
        super().__init__()
        self.layers = layers
        self._net = net

    def _lazy_names(self):
        return _POINT_LAYERS

    def _empty_copy(self):
        return _Snaps(self.layers, self._net)

    def _make(self, name):
        from geo import snap as geo_snap

        pts = self.layers[name]
        if len(pts):
            out = geo_snap.snap(self._net, pts)
            if out["far"].any():
                logger.info("%d %s are far from the roads", int(out["far"].sum()), name)
            return out
        return pd.DataFrame(
            {
                "node": pd.Series([], dtype=np.int64),
                "node_id": pd.Series([], dtype=np.int64),
                "snap_m": pd.Series([], dtype=float),
                "access_s": pd.Series([], dtype=float),
                "far": pd.Series([], dtype=bool),
            }
        )


def load(path, *, prepared=True):
    """Read a workspace once and build its context.

    The road network comes from the workspace's prepared folder (:mod:`geo.prepared`: arrays
    memory-mapped, rebuilt when the roads change); the road layers themselves are read only if
    something asks for ``ctx.layers["roads_edges"]`` (drawing).

    Parameters
    ----------
    path : str or Path
        The workspace GeoPackage.
    prepared : bool, default True
        Use (and write) the prepared network; False reads the road layers and builds the
        network in memory.

    Returns
    -------
    Context

    Examples
    --------
    >>> ctx = load("data/demo/demo.gpkg")  # doctest: +SKIP
    """
    import time

    from geo import prepared as geo_prepared
    from geo import workspace

    path = Path(path)
    t = time.perf_counter()
    if not prepared:
        layers = workspace.read_all(path, names=LAYERS)
        return from_layers(layers, path=path)
    if not path.exists():
        workspace.read(path, "roads_nodes")  # raises the workspace's own message
    net = geo_prepared.load_network(path)
    ctx = from_layers({}, path=path, net=net, lazy=True)
    logger.info("Loaded %s in %.1f s", path, time.perf_counter() - t)
    return ctx
