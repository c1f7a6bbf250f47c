"""Road graphs from files: OSM XML, OSM PBF, OSMnx GraphML and the workspace road layers.

Every builder returns a directed ``networkx.MultiDiGraph`` in EPSG:4326 (node ``x`` = longitude,
``y`` = latitude) whose edges carry ``length`` (m), ``speed_kph`` and ``travel_time`` (s). One-way
streets are respected: a two-way street is two edges, a one-way street one.

OSM files (``.osm`` XML and ``.osm.pbf``) are read with pyosmium and filtered to drivable ways
*before* the graph is built (``osmnx.graph_from_xml`` alone keeps every way of the file:
coastlines, buildings and footpaths would become roads). The kept ways are then handed to OSMnx,
which handles ``oneway`` and simplification.

Examples
--------
>>> from geo import roads
>>> G = roads.graph_from_file("tachikawa_drive.graphml")  # doctest: +SKIP
>>> nodes, edges = roads.layers_from_graph(G)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import re
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from . import codes, settings
from .errors import IkemapError
from .workspace import check_crs

logger = logging.getLogger(__name__)

#: ``highway`` values kept by the ``drive`` filter (OSMnx's ``network_type="drive"``).
DRIVE_HIGHWAYS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "road",
    }
)

#: ``service`` values never driven to a home (excluded even under ``drive_service``).
_EXCLUDED_SERVICE = frozenset(
    {"parking", "parking_aisle", "private", "emergency_access", "driveway", "alley"}
)

#: Tags carried from OSM ways onto edges (the rest are dropped to keep graphs small).
_WAY_TAGS = (
    "highway",
    "oneway",
    "junction",
    "maxspeed",
    "name",
    "ref",
    "lanes",
    "bridge",
    "tunnel",
    "access",
    "service",
    "width",
)

_MPH = 1.609344
_SPEED_TOKEN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph|km)?\s*$", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# file readers


def graph_from_file(path, *, speeds=None, network_type="drive", retain_all=True, simplify=True):
    """Read a drivable road graph from an ``.osm``, ``.osm.pbf`` or ``.graphml`` file.

    Parameters
    ----------
    path : str or Path
        The file. ``.osm``/``.xml`` is OSM XML, ``.pbf`` OSM PBF, ``.graphml`` an OSMnx GraphML.
    speeds : dict of str to float, optional
        Default speed (km/h) per ``highway`` value, overriding ``data/road_speeds.csv``.
    network_type : {"drive", "drive_service"}, default "drive"
        ``drive`` keeps public car roads (OSMnx's drive filter); ``drive_service`` also keeps
        ``highway=service`` roads other than parking aisles, driveways and private ones. Only
        used for OSM files; a GraphML is taken as it was saved.
    retain_all : bool, default True
        Keep every connected piece of an OSM file (islands stay); snapping later uses the
        largest strongly connected component only.
    simplify : bool, default True
        Merge chains of degree-2 nodes into single edges (OSMnx simplification); OSM files only.

    Returns
    -------
    networkx.MultiDiGraph
        Directed graph in EPSG:4326 with ``length``, ``speed_kph`` and ``travel_time`` on every
        edge. ``G.graph`` records ``source``, and for OSM files ``ways_read`` and ``ways_kept``.

    Examples
    --------
    >>> G = graph_from_file("uku.osm.pbf")  # doctest: +SKIP
    >>> G.graph["ways_kept"] < G.graph["ways_read"]  # doctest: +SKIP
    True
    """
    path = Path(path)
    if not path.exists():
        msg = f"Road file {path} does not exist. Give an .osm, .osm.pbf or .graphml file."
        raise IkemapError(msg)
    name = path.name.lower()
    if name.endswith(".graphml"):
        G = _graph_from_graphml(path)
    elif name.endswith(".pbf") or name.endswith(".osm") or name.endswith(".xml"):
        G = _graph_from_osm(
            path, network_type=network_type, retain_all=retain_all, simplify=simplify
        )
    else:
        msg = (
            f"Road file {path} has an unknown type ({path.suffix!r}); expected .osm (OSM XML), "
            ".osm.pbf or .graphml (OSMnx)."
        )
        raise IkemapError(msg)
    G.graph["source"] = str(path)
    G = add_edge_speeds(G, speeds=speeds)
    G = add_edge_travel_times(G)
    _log_counts(G, path.name)
    return G


def _graph_from_graphml(path):
    import osmnx as ox

    G = ox.load_graphml(path)
    crs = G.graph.get("crs")
    if crs is None:
        msg = f"GraphML {path} has no 'crs' graph attribute; save it with osmnx.save_graphml."
        raise IkemapError(msg)
    if not _is_4326(crs):
        G = ox.project_graph(G, to_crs="EPSG:4326")
    if not G.is_directed():
        G = nx.MultiDiGraph(G)
    return G


def _is_4326(crs):
    from pyproj import CRS

    return CRS.from_user_input(crs).equals(CRS.from_epsg(4326))


def _keep_way(tags, network_type):
    """Return True when an OSM way (dict of tags) is a drivable road."""
    hw = tags.get("highway")
    if hw is None:
        return False
    if tags.get("area") == "yes":
        return False
    if tags.get("access") == "private" or tags.get("motor_vehicle") == "no":
        return False
    if tags.get("motorcar") == "no":
        return False
    if hw in DRIVE_HIGHWAYS:
        return True
    if network_type == "drive_service" and hw == "service":
        return tags.get("service") not in _EXCLUDED_SERVICE
    return False


def read_osm_ways(path, *, network_type="drive"):
    """Read the drivable ways of an OSM file (XML or PBF) with pyosmium.

    Parameters
    ----------
    path : str or Path
        ``.osm``/``.xml`` or ``.osm.pbf`` file.
    network_type : {"drive", "drive_service"}
        Which ways count as drivable; see :func:`graph_from_file`.

    Returns
    -------
    ways : list of (int, list of int, dict)
        Way id, node refs (only refs with a known location) and kept tags.
    coords : dict of int to (float, float)
        Node id to (lon, lat) for every node a kept way references.
    n_read : int
        Number of ways in the file (any tags).
    """
    import osmium

    if network_type not in ("drive", "drive_service"):
        msg = f"network_type is {network_type!r}; expected 'drive' or 'drive_service'."
        raise ValueError(msg)
    ways, coords = [], {}
    n_read = 0
    n_missing = 0
    fp = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    )
    for w in fp:
        n_read += 1
        tags = {t.k: t.v for t in w.tags}
        if not _keep_way(tags, network_type):
            continue
        refs = []
        for nd in w.nodes:
            loc = nd.location
            if not loc.valid():
                n_missing += 1
                continue
            coords[nd.ref] = (loc.lon, loc.lat)
            refs.append(nd.ref)
        if len(refs) < 2:
            continue
        ways.append((w.id, refs, {k: tags[k] for k in _WAY_TAGS if k in tags}))
    if n_missing:
        logger.warning("%s: %d way node(s) without a location were skipped", path, n_missing)
    return ways, coords, n_read


def _write_osm_xml(fh, ways, coords):
    fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="ikemap">\n')
    for nid, (lon, lat) in coords.items():
        fh.write(f'<node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
    for wid, refs, tags in ways:
        fh.write(f'<way id="{wid}">')
        fh.write("".join(f'<nd ref="{r}"/>' for r in refs))
        fh.write("".join(f"<tag k={quoteattr(k)} v={quoteattr(str(v))}/>" for k, v in tags.items()))
        fh.write("</way>\n")
    fh.write("</osm>\n")


def _graph_from_osm(path, *, network_type, retain_all, simplify):
    import osmnx as ox

    ways, coords, n_read = read_osm_ways(path, network_type=network_type)
    if not ways:
        msg = (
            f"OSM file {path} has no drivable roads ({n_read} ways read, none with a drivable "
            "highway tag). Check that the extract covers the region's roads."
        )
        raise IkemapError(msg)
    with tempfile.TemporaryDirectory(prefix="ikemap-osm-") as tmp:
        xml = Path(tmp) / "drive.osm"
        with open(xml, "w", encoding="utf-8") as fh:
            _write_osm_xml(fh, ways, coords)
        G = ox.graph_from_xml(xml, retain_all=retain_all, simplify=simplify)
    G.graph["crs"] = "epsg:4326"
    G.graph["ways_read"] = n_read
    G.graph["ways_kept"] = len(ways)
    logger.debug("%s: kept %d drivable ways of %d", path, len(ways), n_read)
    return G


def _log_counts(G, what):
    logger.info(
        "Created road graph with %s nodes and %s edges from %s",
        f"{G.number_of_nodes():,}",
        f"{G.number_of_edges():,}",
        what,
    )


# ---------------------------------------------------------------------------------------------
# speeds and travel times


def parse_maxspeed(value):
    """Return a ``maxspeed`` tag value in km/h, or NaN when it carries no number.

    Handles numbers, ``"40"``, ``"40 km/h"``, ``"30 mph"``, ``;``/``|``-separated and Python
    list values (their mean). ``"signals"``, ``"none"``, ``"variable"``, ``"walk"`` and zone codes
    such as ``"JP:urban"`` give NaN (the ``highway`` default is used then).

    Examples
    --------
    >>> parse_maxspeed("40")
    40.0
    >>> round(parse_maxspeed("30 mph"), 3)
    48.28
    >>> parse_maxspeed(["40", "60"])
    50.0
    >>> import math; math.isnan(parse_maxspeed("signals"))
    True
    """
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return math.nan
    if isinstance(value, int | float | np.integer | np.floating):
        v = float(value)
        return v if np.isfinite(v) and v > 0 else math.nan
    if isinstance(value, list | tuple | set):
        vals = [parse_maxspeed(v) for v in value]
        vals = [v for v in vals if not math.isnan(v)]
        return float(np.mean(vals)) if vals else math.nan
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):  # a list saved as text (GraphML)
        text = text[1:-1].replace("'", "").replace('"', "").replace(",", ";")
    parts = [p for p in re.split(r"[;|]", text) if p.strip()]
    if len(parts) > 1:
        return parse_maxspeed(parts)
    m = _SPEED_TOKEN.match(text)
    if not m:
        return math.nan
    v = float(m.group(1))
    if m.group(2) and m.group(2).lower() == "mph":
        v *= _MPH
    return v if v > 0 else math.nan


def _highway_values(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, list | tuple | set):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1].replace("'", "").replace('"', "").replace(",", ";")
    return [p.strip() for p in text.split(";") if p.strip()]


def highway_speed(value, speeds):
    """Return the default speed (km/h) of a ``highway`` value (the mean for a list).

    Unknown values take the speed of ``road`` (a road of unknown class).
    """
    fallback = speeds.get("road", 20.0)
    vals = [speeds.get(h, fallback) for h in _highway_values(value)]
    return float(np.mean(vals)) if vals else float(fallback)


def add_edge_speeds(G, *, speeds=None):
    """Set ``speed_kph`` on every edge: ``maxspeed`` where it parses, else the highway default.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The road graph (modified in place and returned).
    speeds : dict of str to float, optional
        Speed per ``highway`` value; defaults to ``data/road_speeds.csv``. Given values override
        the table, others still come from it.

    Returns
    -------
    networkx.MultiDiGraph
        ``G``, with ``speed_kph`` (float) and ``speed_source`` (``maxspeed``/``highway``) per edge.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge(1, 2, highway="residential", length=100.0)
    >>> _ = G.add_edge(2, 1, highway="residential", maxspeed="40", length=100.0)
    >>> [d["speed_kph"] for *_, d in add_edge_speeds(G).edges(data=True)]
    [20.0, 40.0]
    """
    table = codes.road_speeds()
    if speeds:
        table = {**table, **{k: float(v) for k, v in speeds.items()}}
    cache = {}
    for _, _, d in G.edges(data=True):
        v = parse_maxspeed(d.get("maxspeed"))
        if math.isnan(v):
            hw = d.get("highway")
            key = hw if isinstance(hw, str) else repr(hw)
            if key not in cache:
                cache[key] = highway_speed(hw, table)
            d["speed_kph"] = cache[key]
            d["speed_source"] = "highway"
        else:
            d["speed_kph"] = v
            d["speed_source"] = "maxspeed"
    return G


def add_edge_travel_times(G):
    """Set ``travel_time`` (seconds) = ``length`` / ``speed_kph`` on every edge.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge(1, 2, length=1000.0, speed_kph=36.0)
    >>> add_edge_travel_times(G)[1][2][0]["travel_time"]
    100.0
    """
    for u, v, d in G.edges(data=True):
        speed = d.get("speed_kph")
        length = d.get("length")
        if speed is None or not float(speed) > 0:
            msg = f"edge {u}->{v} has no positive speed_kph; run add_edge_speeds(G) first."
            raise IkemapError(msg)
        if length is None or not np.isfinite(float(length)) or float(length) < 0:
            msg = f"edge {u}->{v} has no valid length (m): {length!r}."
            raise IkemapError(msg)
        d["travel_time"] = float(length) / (float(speed) / 3.6)
    return G


# ---------------------------------------------------------------------------------------------
# workspace layers


def _text(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list | tuple | set):
        # merged ways carry their tags as lists built from sets: sort so the text does not
        # depend on PYTHONHASHSEED (same file -> same workspace)
        return ";".join(sorted(dict.fromkeys(str(v) for v in value)))
    return str(value)


def _oneway(value):
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if value is None:
        return None
    return str(value).strip().lower() in ("true", "yes", "1", "-1")


def layers_from_graph(G):
    """Return the workspace road layers (``roads_nodes``, ``roads_edges``) of a graph.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A graph from :func:`graph_from_file` (EPSG:4326, speeds and travel times set).

    Returns
    -------
    nodes : geopandas.GeoDataFrame
        ``osmid``, ``x`` (lon), ``y`` (lat), Point geometry, EPSG:4326.
    edges : geopandas.GeoDataFrame
        ``u``, ``v``, ``key``, ``length``, ``speed_kph``, ``travel_time``, ``highway``,
        ``oneway``, ``maxspeed``, ``name``; LineString geometry (straight where the graph has
        none), EPSG:4326.

    Examples
    --------
    >>> nodes, edges = layers_from_graph(G)  # doctest: +SKIP
    >>> list(edges.columns[:7])  # doctest: +SKIP
    ['u', 'v', 'key', 'length', 'speed_kph', 'travel_time', 'highway']
    """
    crs = G.graph.get("crs", settings.storage_crs)
    if not _is_4326(crs):
        import osmnx as ox

        G = ox.project_graph(G, to_crs="EPSG:4326")
    ids = np.fromiter(G.nodes, dtype=np.int64, count=G.number_of_nodes())
    xs = np.array([float(d["x"]) for _, d in G.nodes(data=True)])
    ys = np.array([float(d["y"]) for _, d in G.nodes(data=True)])
    nodes = gpd.GeoDataFrame(
        {"osmid": ids, "x": xs, "y": ys},
        geometry=shapely.points(xs, ys),
        crs=settings.storage_crs,
    )
    pos = {n: i for i, n in enumerate(ids.tolist())}
    rows = {k: [] for k in ("u", "v", "key", "length", "speed_kph", "travel_time")}
    rows.update({k: [] for k in ("highway", "oneway", "maxspeed", "name")})
    geoms = []
    missing = []
    for i, (u, v, k, d) in enumerate(G.edges(keys=True, data=True)):
        rows["u"].append(u)
        rows["v"].append(v)
        rows["key"].append(k)
        rows["length"].append(float(d.get("length", np.nan)))
        rows["speed_kph"].append(float(d.get("speed_kph", np.nan)))
        rows["travel_time"].append(float(d.get("travel_time", np.nan)))
        rows["highway"].append(_text(d.get("highway")))
        rows["oneway"].append(_oneway(d.get("oneway")))
        rows["maxspeed"].append(_text(d.get("maxspeed")))
        rows["name"].append(_text(d.get("name")))
        geom = d.get("geometry")
        geoms.append(geom)
        if geom is None:
            missing.append(i)
    if missing:
        miss = np.asarray(missing)
        pu = np.array([pos[rows["u"][i]] for i in missing])
        pv = np.array([pos[rows["v"][i]] for i in missing])
        coords = np.stack([np.c_[xs[pu], ys[pu]], np.c_[xs[pv], ys[pv]]], axis=1)
        straight = shapely.linestrings(coords)
        geo_arr = np.empty(len(geoms), dtype=object)
        geo_arr[:] = geoms
        geo_arr[miss] = straight
        geoms = geo_arr
    edges = gpd.GeoDataFrame(
        {
            "u": np.asarray(rows["u"], dtype=np.int64),
            "v": np.asarray(rows["v"], dtype=np.int64),
            "key": np.asarray(rows["key"], dtype=np.int64),
            "length": np.asarray(rows["length"]),
            "speed_kph": np.asarray(rows["speed_kph"]),
            "travel_time": np.asarray(rows["travel_time"]),
            "highway": pd.Series(rows["highway"], dtype=object),
            "oneway": pd.array(rows["oneway"], dtype="boolean"),
            "maxspeed": pd.Series(rows["maxspeed"], dtype=object),
            "name": pd.Series(rows["name"], dtype=object),
        },
        geometry=gpd.GeoSeries(list(geoms) if not isinstance(geoms, np.ndarray) else geoms),
        crs=settings.storage_crs,
    )
    return nodes, edges


def graph_from_layers(nodes, edges, *, speeds=None):
    """Build the road graph from the workspace layers ``roads_nodes`` and ``roads_edges``.

    Parameters
    ----------
    nodes : geopandas.GeoDataFrame
        ``osmid``, ``x``, ``y`` (EPSG:4326; ``x``/``y`` are taken from the geometry when absent).
    edges : geopandas.GeoDataFrame or pandas.DataFrame
        ``u``, ``v``, ``key``, ``length`` and optionally ``speed_kph``, ``travel_time``,
        ``highway``, ``maxspeed``, ``oneway`` and a geometry. Missing speeds or travel times are
        computed (``maxspeed``, else the highway table).
    speeds : dict, optional
        Passed to :func:`add_edge_speeds` when speeds have to be computed.

    Returns
    -------
    networkx.MultiDiGraph
    """
    for frame, name in ((nodes, "roads_nodes"), (edges, "roads_edges")):
        if isinstance(frame, gpd.GeoDataFrame):
            check_crs(frame, context=f"layer {name}")
    _require(nodes, ("osmid",), "roads_nodes")
    _require(edges, ("u", "v", "length"), "roads_edges")
    ids = np.asarray(nodes["osmid"], dtype=np.int64)
    if "x" in nodes.columns and "y" in nodes.columns:
        xs = np.asarray(nodes["x"], dtype=float)
        ys = np.asarray(nodes["y"], dtype=float)
    else:
        xs = shapely.get_x(nodes.geometry.values)
        ys = shapely.get_y(nodes.geometry.values)
    known = set(ids.tolist())
    u = np.asarray(edges["u"], dtype=np.int64)
    v = np.asarray(edges["v"], dtype=np.int64)
    bad = [(a, b) for a, b in zip(u.tolist(), v.tolist()) if a not in known or b not in known]
    if bad:
        msg = (
            f"roads_edges has {len(bad)} edge(s) whose u or v is not an osmid of roads_nodes "
            f"(first: {bad[0][0]} -> {bad[0][1]}). Re-import the roads."
        )
        raise IkemapError(msg)
    G = nx.MultiDiGraph(crs=settings.storage_crs)
    G.add_nodes_from(
        (n, {"x": x, "y": y}) for n, x, y in zip(ids.tolist(), xs.tolist(), ys.tolist())
    )
    keys = (
        np.asarray(edges["key"], dtype=np.int64)
        if "key" in edges.columns
        else np.zeros(len(u), dtype=np.int64)
    )
    skip = {"u", "v", "key"}
    attr_cols = [c for c in edges.columns if c not in skip]
    geom_name = edges.geometry.name if isinstance(edges, gpd.GeoDataFrame) else None
    columns = {}
    for c in attr_cols:
        s = edges[c]
        if c == geom_name:
            columns[c] = list(s.values)
        elif pd.api.types.is_float_dtype(s.dtype):
            columns[c] = s.to_numpy(dtype=float, na_value=np.nan).tolist()
        else:
            columns[c] = [None if _isna(x) else x for x in s.tolist()]
    dicts = []
    for i in range(len(u)):
        d = {}
        for c in attr_cols:
            x = columns[c][i]
            if x is None:
                continue
            d["geometry" if c == geom_name else c] = x
        dicts.append(d)
    G.add_edges_from(zip(u.tolist(), v.tolist(), keys.tolist(), dicts))
    has_speed = "speed_kph" in edges.columns and pd.to_numeric(edges["speed_kph"]).notna().all()
    has_time = "travel_time" in edges.columns and pd.to_numeric(edges["travel_time"]).notna().all()
    if not has_speed:
        add_edge_speeds(G, speeds=speeds)
    if not (has_speed and has_time):
        add_edge_travel_times(G)
    _log_counts(G, "workspace layers")
    return G


def _isna(x):
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _require(frame, cols, layer):
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        msg = f"layer {layer} lacks column(s) {missing}; it has {list(frame.columns)}."
        raise IkemapError(msg)


def graph_from_workspace(path, *, speeds=None):
    """Read the road graph of a workspace (layers ``roads_nodes`` and ``roads_edges``).

    Examples
    --------
    >>> G = graph_from_workspace("data/demo/demo.gpkg")  # doctest: +SKIP
    """
    from . import workspace

    nodes = workspace.read(path, "roads_nodes")
    edges = workspace.read(path, "roads_edges")
    return graph_from_layers(nodes, edges, speeds=speeds)
