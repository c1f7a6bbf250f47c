"""Road layers through the engine's readers (``geo.roads``), clipped or not to the region.

``geo.roads.graph_from_file`` reads ``.osm``, ``.osm.pbf`` and OSMnx ``.graphml`` and keeps
drivable ways only (``osmnx.graph_from_xml`` alone would keep every way of the file: coastlines
and buildings would become roads). With ``clip``, nodes outside the region's municipalities
(plus :data:`clip_buffer_m`) are dropped with their edges; each dropped edge is a rejection so
that edges read = edges kept + edges rejected.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from .. import roads as _roads
from ..errors import IkemapError
from .report import ImportReport

logger = logging.getLogger(__name__)

#: Road nodes this far (m) outside the region still count as inside when clipping (so roads
#: that leave and re-enter across a simplified boundary are kept).
clip_buffer_m: float = 500.0


def roads_from_file(path, *, clip=None):
    """Read a road network file into the ``roads_nodes`` and ``roads_edges`` layers.

    Parameters
    ----------
    path : str or Path
        ``.osm``, ``.osm.pbf`` or ``.graphml``.
    clip : geopandas.GeoDataFrame, optional
        Municipalities to clip to (nodes outside their union plus :data:`clip_buffer_m` are
        dropped).

    Returns
    -------
    (dict, ImportReport)
        ``{"roads_nodes": GeoDataFrame, "roads_edges": GeoDataFrame}``; rows are edges.

    Examples
    --------
    >>> layers, rep = roads_from_file("tachikawa_drive.graphml")  # doctest: +SKIP
    >>> len(layers["roads_edges"]) == rep.rows_accepted  # doctest: +SKIP
    True
    """
    path = Path(path)
    report = ImportReport(file=str(path), kind="roads", fmt=path.suffix.lstrip(".").lower())
    try:
        G = _roads.graph_from_file(path)
    except (IkemapError, OSError, ValueError) as exc:
        report.error(f"{path.name} cannot be read as a road network: {exc}")
        return {}, report
    if "ways_read" in G.graph:
        report.warn(
            f"{G.graph['ways_kept']:,} drivable ways kept of {G.graph['ways_read']:,} ways in "
            "the file (others are not roads for cars)"
        )
    report.rows_read = G.number_of_edges()
    if clip is not None and len(clip):
        metric = clip.estimate_utm_crs()
        region = shapely.union_all(clip.to_crs(metric).geometry.values).buffer(clip_buffer_m)
        region = gpd.GeoSeries([region], crs=metric).to_crs(clip.crs).iloc[0]
        ids = np.fromiter(G.nodes, dtype=np.int64, count=G.number_of_nodes())
        xs = np.array([G.nodes[n]["x"] for n in ids], dtype=float)
        ys = np.array([G.nodes[n]["y"] for n in ids], dtype=float)
        shapely.prepare(region)
        inside = shapely.contains_xy(region, xs, ys)
        outside = set(ids[~inside].tolist())
        for u, v, k in G.edges(keys=True):
            if u in outside or v in outside:
                n = u if u in outside else v
                report.reject(
                    f"{u}-{v}-{k}",
                    "geometry",
                    f"{G.nodes[n]['y']:.5f},{G.nodes[n]['x']:.5f}",
                    "outside the region's municipalities (clipped)",
                )
        G = G.subgraph([n for n in ids.tolist() if n not in outside]).copy()
        if G.number_of_nodes() == 0:
            report.error(
                f"{path.name}: no road lies inside the region's municipalities; is it the "
                "network of this region?"
            )
    nodes, edges = _roads.layers_from_graph(G)
    report.settle()
    return {"roads_nodes": nodes, "roads_edges": edges}, report
