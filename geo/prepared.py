"""The prepared road network: a workspace's :class:`geo.network.Network` saved as arrays.

Reading 3M road edges from a GeoPackage and building the network takes tens of seconds; the
arrays it yields (node ids, metric and lon/lat coordinates, edges, travel times, the largest
strongly connected part, CSR adjacency both ways) are saved beside the workspace in a sidecar
folder ``W.gpkg.net/`` of ``.npy`` files and loaded memory-mapped in well under a second.

The folder is keyed by a **content hash** of the road layers (the arrays read from
``roads_nodes``/``roads_edges``). A cheap fingerprint (each road table's ``last_change`` and
feature count in the GeoPackage's own tables) says when the hash must be checked again: when
the roads are re-imported the fingerprint changes, the road columns are read again (without
geometries), and the arrays are rebuilt only if their hash differs. The folder is written to a
temporary folder and renamed into place (atomic). Edge geometries are not stored: they are read
from the workspace only when a drawing or a hazard intersection needs them
(:func:`geo.network.edge_geometries`), and the edges closed by a hazard scenario are cached in
the folder too (:func:`closures`).

A workspace in a read-only folder still loads: the network is then built in memory each time.

Examples
--------
>>> net = load_network("data/demo/demo.gpkg")  # doctest: +SKIP
>>> net.n_nodes  # doctest: +SKIP
5400
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np
import pyproj

from . import network as geo_network
from .errors import WorkspaceError

logger = logging.getLogger(__name__)

__all__ = [
    "cached_nearest",
    "closures",
    "fingerprint",
    "load_network",
    "read_road_arrays",
    "sidecar",
]

#: Bump when the saved arrays change meaning; older folders are rebuilt.
VERSION = 1

_ROAD_LAYERS = ("roads_nodes", "roads_edges")
_ARRAYS = ("node_ids", "x", "y", "lon", "lat", "u", "v", "travel_time", "length", "core", "key")
_CSR = ("indptr", "indices", "weights")

#: Snapped point sets kept in a prepared folder (the newest; older ones are removed).
SNAP_CACHE_FILES = 32


def sidecar(path):
    """The prepared-network folder of a workspace: ``W.gpkg.net`` beside ``W.gpkg``."""
    path = Path(path)
    return path.with_name(path.name + ".net")


def fingerprint(path):
    """A cheap stamp of the road layers: ``last_change`` and feature count of each table.

    Read from the GeoPackage's ``gpkg_contents``/``gpkg_ogr_contents`` in milliseconds
    (through :func:`geo.workspace.native_sqlite`, safe beside GDAL users of the file).
    ``None`` when the file has no road layers (or is not a GeoPackage).

    Examples
    --------
    >>> fingerprint("data/demo/demo.gpkg")  # doctest: +SKIP
    {'roads_nodes': ['2026-11-30T08:43:09.466Z', 5400], 'roads_edges': [...]}
    """
    from . import workspace

    if not Path(path).exists():
        return None
    try:
        with workspace.native_sqlite(path, readonly=True) as con:
            rows = dict(con.execute("SELECT table_name, last_change FROM gpkg_contents").fetchall())
            try:
                counts = dict(
                    con.execute(
                        "SELECT table_name, feature_count FROM gpkg_ogr_contents"
                    ).fetchall()
                )
            except sqlite3.Error:
                counts = {}
            out = {}
            for name in _ROAD_LAYERS:
                if name not in rows:
                    return None
                n = counts.get(name)
                if n is None:
                    n = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                out[name] = [str(rows[name]), int(n)]
            return out
    except sqlite3.Error:
        return None


def read_road_arrays(path):
    """Read the road columns routing needs (no geometries) from a workspace.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame)
        ``roads_nodes`` (``osmid``, ``x``, ``y`` or a point geometry) and ``roads_edges``
        (``u``, ``v`` and whichever of ``key``, ``length``, ``travel_time``, ``speed_kph``,
        ``highway``, ``maxspeed`` exist), in stored order.
    """
    import pyogrio

    from . import workspace

    path = Path(path)
    present = workspace.layers(path)
    missing = [n for n in _ROAD_LAYERS if n not in present]
    if missing:
        msg = (
            f"Workspace {path} lacks {', '.join(missing)}: the analyses need a road network. "
            "Import one with `ikemap import --workspace W.gpkg --roads roads.osm.pbf`."
        )
        raise WorkspaceError(msg)
    with workspace.gdal_access(path):
        node_cols = list(pyogrio.read_info(path, layer="roads_nodes")["fields"])
        want_n = [c for c in ("osmid", "x", "y") if c in node_cols]
        nodes = pyogrio.read_dataframe(
            path,
            layer="roads_nodes",
            columns=want_n,
            read_geometry=not {"x", "y"} <= set(want_n),
            use_arrow=True,
        )
        edge_cols = list(pyogrio.read_info(path, layer="roads_edges")["fields"])
        want_e = [
            c
            for c in ("u", "v", "key", "length", "travel_time", "speed_kph", "highway", "maxspeed")
            if c in edge_cols
        ]
        edges = pyogrio.read_dataframe(
            path, layer="roads_edges", columns=want_e, read_geometry=False, use_arrow=True
        )
    return nodes, edges


def _content_hash(net):
    h = hashlib.blake2b(digest_size=16)
    for name in ("node_ids", "lon", "lat", "u", "v", "travel_time", "length"):
        a = np.ascontiguousarray(getattr(net, name))
        h.update(name.encode())
        h.update(str(a.dtype).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _read_meta(folder):
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if meta.get("version") == VERSION else None


def _edge_loader(path, crs, n_edges):
    """A callable that reads the workspace's edge shapes (stored order) into ``crs``.

    Its ``at(positions)`` reads only the rows of those edge positions (see
    :func:`geo.network.edge_geometries_at`).
    """
    return _EdgeLoader(path, crs, n_edges)


class _EdgeLoader:
    def __init__(self, path, crs, n_edges):
        self.path = path
        self.crs = crs
        self.n_edges = n_edges

    def _to_crs(self, geoms):
        import shapely

        tr = pyproj.Transformer.from_crs(4326, self.crs, always_xy=True)
        return shapely.transform(geoms, lambda c: np.column_stack(tr.transform(*c.T)))

    def __call__(self):
        import pyogrio

        from . import workspace

        path, n_edges = self.path, self.n_edges
        t = time.perf_counter()
        with workspace.gdal_access(path):
            df = pyogrio.read_dataframe(path, layer="roads_edges", columns=[], use_arrow=True)
        geoms = np.asarray(df.geometry.values, dtype=object)
        if len(geoms) != n_edges:
            msg = (
                f"Workspace {path} layer roads_edges has {len(geoms)} edges, the prepared "
                f"network {n_edges}; reload the workspace."
            )
            raise WorkspaceError(msg)
        out = self._to_crs(geoms)
        logger.info("Read %s edge shapes in %.1f s", f"{n_edges:,}", time.perf_counter() - t)
        return out

    def _layout(self):
        """``(pk column, first fid, contiguous)`` of the road layer (computed once, tiny).

        The row count comes from ``gpkg_ogr_contents`` when GDAL keeps it (a full count of a
        prefecture's rows takes a second); ``min``/``max`` of the primary key are index look-ups.
        """
        hit = getattr(self, "_layout_cache", None)
        if hit is not None:
            return hit
        from . import workspace

        with workspace.native_sqlite(self.path, readonly=True) as con:
            pk = [r[1] for r in con.execute('PRAGMA table_info("roads_edges")') if r[5] == 1]
            if len(pk) != 1:
                return None
            col = pk[0].replace('"', '""')
            # one aggregate per query: SQLite answers a lone min()/max() from the index
            lo = con.execute(f'SELECT min("{col}") FROM "roads_edges"').fetchone()[0]
            hi = con.execute(f'SELECT max("{col}") FROM "roads_edges"').fetchone()[0]
            try:
                row = con.execute(
                    "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'roads_edges'"
                ).fetchone()
                n = row[0] if row else None
            except sqlite3.Error:
                n = None
            if n is None:
                n = con.execute('SELECT count(*) FROM "roads_edges"').fetchone()[0]
        if n != self.n_edges:
            msg = (
                f"Workspace {self.path} layer roads_edges has {n} edges, the prepared "
                f"network {self.n_edges}; reload the workspace."
            )
            raise WorkspaceError(msg)
        out = (col, lo, bool(n) and hi - lo + 1 == n)
        self._layout_cache = out
        return out

    def _all_fids(self, col):
        from . import workspace

        with workspace.native_sqlite(self.path, readonly=True) as con:
            return np.fromiter(
                (r[0] for r in con.execute(f'SELECT "{col}" FROM "roads_edges" ORDER BY 1')),
                dtype=np.int64,
                count=self.n_edges,
            )

    def _fids(self, positions):
        """Feature ids of the edges at ``positions`` (the layer's rows in stored order)."""
        layout = self._layout()
        if layout is None:
            return None
        col, lo, contiguous = layout
        if contiguous:  # no gaps: row k has fid lo + k
            return lo + positions
        return self._all_fids(col)[positions]

    def _positions(self, fids):
        """Edge positions of feature ids (inverse of :meth:`_fids`)."""
        try:
            layout = self._layout()
        except WorkspaceError:
            return None
        if layout is None:
            return None
        col, lo, contiguous = layout
        if contiguous:
            return np.asarray(fids, dtype=np.int64) - lo
        return np.searchsorted(self._all_fids(col), fids)

    def in_box(self, xmin, ymin, xmax, ymax):
        """``(positions, shapes in crs)`` of the edges whose ``crs`` envelope meets the box.

        Read through the layer's spatial index (a lon/lat box around the metric one, with a
        margin), then kept by their envelope in ``crs`` (what an STRtree query of the box
        gives), in stored order. ``None`` when the layer has no usable feature ids.
        """
        import pyogrio
        import shapely

        from . import workspace

        tr = pyproj.Transformer.from_crs(self.crs, 4326, always_xy=True)
        lon0, lat0, lon1, lat1 = tr.transform_bounds(xmin, ymin, xmax, ymax, densify_pts=21)
        m = 0.002  # degrees (~200 m): a shape's lon/lat envelope is its metric one turned a little
        with workspace.gdal_access(self.path):
            df = pyogrio.read_dataframe(
                self.path,
                layer="roads_edges",
                columns=[],
                bbox=(lon0 - m, lat0 - m, lon1 + m, lat1 + m),
                fid_as_index=True,
            )
        fids = np.asarray(df.index, dtype=np.int64)
        geoms = np.asarray(df.geometry.values, dtype=object)
        ok = ~shapely.is_missing(geoms)
        fids, geoms = fids[ok], self._to_crs(geoms[ok])
        b = shapely.bounds(geoms)
        hit = (b[:, 0] <= xmax) & (b[:, 2] >= xmin) & (b[:, 1] <= ymax) & (b[:, 3] >= ymin)
        fids, geoms = fids[hit], geoms[hit]
        pos = self._positions(fids)
        if pos is None:
            return None
        order = np.argsort(pos, kind="stable")
        return pos[order], geoms[order]

    def at(self, positions):
        """The shapes (in ``crs``) of the edges at ``positions`` only, in that order."""
        import pyogrio

        from . import workspace

        positions = np.asarray(positions, dtype=np.int64)
        if positions.size == 0:
            return np.empty(0, dtype=object)
        if positions.min() < 0 or positions.max() >= self.n_edges:
            raise IndexError("edge position out of range")
        fids = self._fids(positions)
        if fids is None:
            return self()[positions]
        uniq = np.unique(fids)
        with workspace.gdal_access(self.path):
            df = pyogrio.read_dataframe(
                self.path, layer="roads_edges", columns=[], fids=uniq, fid_as_index=True
            )
        geoms = np.asarray(df.geometry.values, dtype=object)
        got = np.asarray(df.index, dtype=np.int64)
        if len(got) != len(uniq) or (got != uniq).any():
            return self()[positions]
        return self._to_crs(geoms[np.searchsorted(uniq, fids)])


def _from_folder(folder, meta, path):
    arr = {n: np.load(folder / f"{n}.npy", mmap_mode="r") for n in _ARRAYS if n != "key"}
    key = np.load(folder / "key.npy", mmap_mode="r") if (folder / "key.npy").exists() else None
    crs = pyproj.CRS.from_user_input(meta["crs"])
    net = geo_network.Network(
        node_ids=arr["node_ids"],
        x=arr["x"],
        y=arr["y"],
        lon=arr["lon"],
        lat=arr["lat"],
        crs=crs,
        u=arr["u"],
        v=arr["v"],
        travel_time=arr["travel_time"],
        length=arr["length"],
        edge_geometry=None,
        core=np.asarray(arr["core"], dtype=bool),
        key=key,
        edge_geometry_loader=_edge_loader(path, crs, len(arr["u"])),
    )
    for side in ("forward", "reverse"):
        net.__dict__[side] = tuple(np.load(folder / f"{side}_{n}.npy", mmap_mode="r") for n in _CSR)
    net.__dict__["_prepared_dir"] = str(folder)  # engine preprocessing is saved there too
    return net


def _save(folder, net, meta):
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        for n in _ARRAYS:
            a = getattr(net, n)
            if a is not None:
                np.save(tmp / f"{n}.npy", np.ascontiguousarray(a))
        for side in ("forward", "reverse"):
            for n, a in zip(_CSR, getattr(net, side), strict=True):
                np.save(tmp / f"{side}_{n}.npy", np.ascontiguousarray(a))
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        old = None
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}-old-", dir=folder.parent))
            os.replace(folder, old / "net")
        os.replace(tmp, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def load_network(path, *, save=True):
    """Return the workspace's road network, from its prepared folder when that is current.

    Parameters
    ----------
    path : str or Path
        The workspace GeoPackage.
    save : bool, default True
        Write (or refresh) the prepared folder when it is missing or stale; a failure to write
        (read-only folder) is logged and the network is still returned.

    Returns
    -------
    geo.network.Network
        Arrays memory-mapped from ``W.gpkg.net/`` (read-only), ``edge_geometry`` read from the
        workspace on first use.

    Raises
    ------
    geo.errors.WorkspaceError
        When the workspace has no road layers.

    Examples
    --------
    >>> net = load_network("data/demo/demo.gpkg")  # doctest: +SKIP
    """
    path = Path(path)
    folder = sidecar(path)
    fp = fingerprint(path)
    meta = _read_meta(folder)
    if fp is not None and meta is not None and meta.get("fingerprint") == fp:
        try:
            return _from_folder(folder, meta, path)
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("Prepared network %s unreadable (%s); rebuilding it", folder, exc)
            meta = None
    t = time.perf_counter()
    nodes, edges = read_road_arrays(path)
    net = geo_network.network_from_layers(nodes, edges, geometry=False)
    digest = _content_hash(net)
    logger.info("Read the road layers of %s in %.1f s", path, time.perf_counter() - t)
    if meta is not None and meta.get("content_hash") == digest:
        # same roads (the file was rewritten): reuse the folder, refresh its fingerprint
        meta["fingerprint"] = fp
        try:
            (folder / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
            return _from_folder(folder, meta, path)
        except OSError as exc:
            logger.warning("Could not refresh %s: %s", folder, exc)
    net = geo_network.Network(
        **{f: getattr(net, f) for f in geo_network.FIELDS if f != "edge_geometry_loader"},
        edge_geometry_loader=_edge_loader(path, net.crs, net.n_edges),
    )
    if save and fp is not None:
        meta = {
            "version": VERSION,
            "fingerprint": fp,
            "content_hash": digest,
            "crs": net.crs.to_wkt(),
            "n_nodes": int(net.n_nodes),
            "n_edges": int(net.n_edges),
        }
        try:
            _save(folder, net, meta)
            net.__dict__["_prepared_dir"] = str(folder)
            logger.info("Saved the prepared network to %s", folder)
        except OSError as exc:
            logger.warning("Could not save the prepared network to %s: %s", folder, exc)
    return net


def closures(net, path, hazards, *, min_level, hazard_types=None):
    """Edges closed by a hazard scenario, cached in the prepared folder.

    Keyed by the hazard layer's content (types, levels, shapes), ``min_level`` and
    ``hazard_types``; computed once with :func:`geo.scenario.closed_edges` (which needs the edge
    shapes) and then read back without touching the road geometries.

    Returns
    -------
    numpy.ndarray of bool, shape (n_edges,)

    Examples
    --------
    >>> closed = closures(net, "W.gpkg", ctx.hazards, min_level=3)  # doctest: +SKIP
    """
    import shapely

    from . import scenario

    h = hashlib.blake2b(digest_size=16)
    types = sorted(hazard_types) if hazard_types else None
    h.update(f"{VERSION}|{int(min_level)}|{types}".encode())
    for col in ("hazard_type", "level"):
        if col in hazards.columns:
            h.update(np.asarray(hazards[col].astype(str)).astype("U").tobytes())
    if len(hazards):
        h.update(b"".join(shapely.to_wkb(np.asarray(hazards.geometry.values, dtype=object))))
    h.update(str(net.n_edges).encode())
    folder = sidecar(path) / "closures" if path is not None else None
    file = folder / f"{h.hexdigest()}.npy" if folder is not None else None
    if file is not None and file.exists():
        try:
            out = np.load(file)
            if out.shape == (net.n_edges,):
                return out
        except (OSError, ValueError):
            pass
    if net.edge_geometry is None and net.edge_geometry_loader is not None and path is not None:
        out = _closed_in_chunks(net, path, hazards, min_level, hazard_types)
    else:
        out = scenario.closed_edges(net, hazards, min_level=min_level, hazard_types=hazard_types)
    if file is not None and sidecar(path).exists():
        try:
            folder.mkdir(exist_ok=True)
            fd, tmp = tempfile.mkstemp(suffix=".npy", dir=folder)
            with os.fdopen(fd, "wb") as f:
                np.save(f, out)
            os.replace(tmp, file)
        except OSError as exc:
            logger.warning("Could not cache hazard closures in %s: %s", folder, exc)
    return out


def _closed_in_chunks(net, path, hazards, min_level, hazard_types, chunk=200_000):
    """:func:`geo.scenario.closed_edges` reading the edge shapes a chunk at a time.

    Same edges (a tree over the few zones, queried with each chunk of edges; ``intersects`` is
    symmetric), without holding millions of shapes at once.
    """
    import pyogrio
    import shapely

    from . import scenario

    zones = scenario._zones(net, hazards, min_level, hazard_types)
    out = np.zeros(net.n_edges, dtype=bool)
    if zones.size == 0 or net.n_edges == 0:
        return out
    tree = shapely.STRtree(zones)
    tr = pyproj.Transformer.from_crs(4326, net.crs, always_xy=True)
    u = np.asarray(net.u)
    v = np.asarray(net.v)
    from . import workspace

    for start in range(0, net.n_edges, chunk):
        with workspace.gdal_access(path):
            df = pyogrio.read_dataframe(
                path,
                layer="roads_edges",
                columns=[],
                skip_features=start,
                max_features=chunk,
                use_arrow=True,
            )
        g = np.asarray(df.geometry.values, dtype=object)
        stop = start + len(g)
        missing = shapely.is_missing(g)
        if missing.any():
            a, b = u[start:stop][missing], v[start:stop][missing]
            g[missing] = geo_network._straight(net.lon, net.lat, a, b)
        g = shapely.transform(g, lambda c: np.column_stack(tr.transform(*c.T)))
        hit = tree.query(g, predicate="intersects")[0]
        out[start + np.unique(hit)] = True
        if len(df) < chunk:
            break
    return out


def cached_nearest(net, x, y, compute):
    """Nearest core node of metric points, cached in the prepared folder of ``net``.

    A workspace's point layers (children, facilities, shelters) are snapped in every process
    that loads it; on a prefecture's million road nodes the KD-tree alone takes longer than the
    rest of a one-address lookup. The answer of ``compute(x, y)`` (``(distance_m, node)``) is
    saved in ``W.gpkg.net/snaps/`` under a hash of the coordinates, and read back when the same
    points are snapped again. The folder is replaced when the roads change, so a saved answer
    always belongs to these roads. A folder that cannot be written only costs the cache.

    Parameters
    ----------
    net : geo.network.Network
        A network loaded from a prepared folder (``net.__dict__["_prepared_dir"]``).
    x, y : numpy.ndarray of float64
        Metric coordinates (``net.crs``).
    compute : callable
        ``compute(x, y) -> (distance_m, node)`` when the points are not cached.

    Returns
    -------
    tuple of numpy.ndarray
        ``distance_m`` (float64) and ``node`` (int64 positions), one per point.
    """
    folder = Path(net.__dict__["_prepared_dir"]) / "snaps"
    h = hashlib.blake2b(digest_size=16)
    for a in (x, y):
        a = np.ascontiguousarray(a, dtype=np.float64)
        h.update(str(len(a)).encode())
        h.update(a.tobytes())
    file = folder / f"{h.hexdigest()}.npz"
    try:
        with np.load(file, allow_pickle=False) as z:
            dist, node = z["dist"], z["node"]
        if len(dist) == len(x) and len(node) == len(x):
            return dist.astype(np.float64), node.astype(np.int64)
    except (OSError, ValueError, KeyError):
        pass
    dist, node = compute(x, y)
    tmp = None
    try:
        folder.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".snap-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, dist=dist, node=node)
        os.replace(tmp, file)
        tmp = None
        saved = sorted(folder.glob("[!.]*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in saved[SNAP_CACHE_FILES:]:
            stale.unlink(missing_ok=True)
    except OSError as exc:
        logger.debug("Could not cache snapped points in %s: %s", folder, exc)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return dist, node
