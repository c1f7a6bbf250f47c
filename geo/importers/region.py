"""Import a set of files into one workspace, atomically (what ``ikemap import`` runs).

Each given source replaces its layers; layers not given stay as they are. Municipalities come
from ``boundaries`` or, when none is given, from the workspace: they are needed to check points
against their municipality and to build 圏域. Everything is read and checked first; the layers
are then written in one :func:`geo.workspace.write_layers` call, so a failed import leaves the
workspace unchanged. The reports (counts and every rejection) are stored in the workspace too,
as the tables ``import_summary`` and ``import_rejections`` (for the app's データ page).
"""

from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import settings, workspace
from ..errors import IkemapError
from . import (
    addresses,
    areas,
    boundaries,
    children,
    facilities,
    geometry_check,
    hazards,
    roads,
    shelters,
)
from .report import ImportReport, records_frame, summary_frame, validate_workspace_schema

logger = logging.getLogger(__name__)


@dataclass
class RegionImport:
    """Layers read from the files, and one report per file."""

    layers: dict = field(default_factory=dict)
    reports: list = field(default_factory=list)

    @property
    def failed(self):
        """True when any file could not be imported (nothing must be written)."""
        return any(r.failed for r in self.reports)


def _drop_row(frame):
    return frame.drop(columns=[c for c in ("row",) if c in frame.columns])


def _concat(frames):
    frames = [f for f in frames if len(f)]
    if not frames:
        return None
    out = pd.concat(frames, ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=settings.storage_crs)
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].where(out[col].notna(), None)
    return out


def read_region(
    *,
    boundaries_path=None,
    area_paths=(),
    roads_path=None,
    clip_roads=False,
    facility_paths=(),
    facility_formats=(),
    capability_paths=(),
    shelter_paths=(),
    hazard_paths=(),
    hazard_layouts=(),
    children_path=None,
    address_points=None,
    municipalities=None,
):
    """Read every given file and return the layers and reports (nothing is written).

    Parameters
    ----------
    boundaries_path, area_paths, roads_path, facility_paths, shelter_paths, hazard_paths,
    children_path : path or list of path
        The files, as ``ikemap import`` takes them.
    clip_roads : bool
        Clip the roads to the municipalities.
    facility_formats, hazard_layouts : list of str
        Format of each facility file and layout of each hazard file, in order (missing or
        None entries are detected from the columns).
    capability_paths : list of path
        Capability tables joined on 事業所番号 to the facilities read.
    address_points : path, optional
        位置参照情報 points for addresses in the child register or generic facility files.
    municipalities : geopandas.GeoDataFrame, optional
        Used when ``boundaries_path`` is None (e.g. from the workspace).

    Returns
    -------
    RegionImport
    """
    out = RegionImport()
    if boundaries_path is not None:
        munis, rep = boundaries.municipalities_from_file(boundaries_path)
        out.reports.append(rep)
        if not rep.failed:
            out.layers["municipalities"] = munis
            municipalities = munis
    if area_paths:
        if municipalities is None or not len(municipalities):
            rep = ImportReport(file=str(area_paths[0]), kind="areas")
            rep.error("圏域 tables need municipalities: give --boundaries (an N03 file) as well.")
            out.reports.append(rep)
        else:
            layers, reps = areas.areas_from_files(list(area_paths), municipalities)
            out.reports.extend(reps)
            out.layers.update(layers)
    if roads_path is not None:
        layers, rep = roads.roads_from_file(roads_path, clip=municipalities if clip_roads else None)
        out.reports.append(rep)
        out.layers.update(layers)
    points = None
    if address_points is not None:
        pts, rep = addresses.points_from_file(address_points)
        out.reports.append(rep)
        if not rep.failed:
            points = addresses.load(pts)
            # kept in the workspace: the app's address search (geo.geocode) reads this layer
            out.layers["address_points"] = addresses.points_layer(pts, municipalities)
    if facility_paths:
        formats = list(facility_formats) + [None] * (len(facility_paths) - len(facility_formats))
        frames, reps = [], []
        caps = list(capability_paths)
        routed = set()
        for path, fmt in zip(facility_paths, formats, strict=True):
            if fmt == "capabilities":
                caps.append(path)
                continue
            if fmt in (None, "generic") and facilities.capability_sheet(path):
                caps.append(path)
                routed.add(str(path))
                continue
            frame, rep = facilities.facilities_from_file(
                path, fmt=fmt, municipalities=municipalities, address_points=points
            )
            frames.append(frame)
            reps.append(rep)
        out.reports.extend(reps)
        merged = _unique_ids(frames, reps, "facility_id")
        for path in caps:
            table, rep = facilities.capabilities_from_file(path)
            if str(path) in routed:
                rep.warn(
                    "read as a capability sheet joined on 事業所番号 (it has no name, service and "
                    "location columns of a facility list)"
                )
            out.reports.append(rep)
            if merged is not None and not rep.failed:
                merged = facilities.join_capabilities(merged, table, rep)
        if merged is not None:
            out.layers["facilities"] = _drop_row(merged)
    elif capability_paths:
        rep = ImportReport(file=str(capability_paths[0]), kind="facilities", fmt="capabilities")
        rep.error("capability tables need the facilities they describe: give --facilities too.")
        out.reports.append(rep)
    if shelter_paths:
        frames, reps = [], []
        for path in shelter_paths:
            with geometry_check.region_hint(municipalities):
                frame, rep = shelters.shelters_from_file(path, municipalities=municipalities)
            frames.append(frame)
            reps.append(rep)
        out.reports.extend(reps)
        merged = shelters.combine(frames, reps)
        if len(merged):
            out.layers["shelters"] = merged
    if hazard_paths:
        layouts = list(hazard_layouts) + [None] * (len(hazard_paths) - len(hazard_layouts))
        frames = []
        for path, layout in zip(hazard_paths, layouts, strict=True):
            with geometry_check.region_hint(municipalities):
                frame, rep = hazards.hazards_from_file(path, layout=layout)
            frames.append(frame)
            out.reports.append(rep)
        merged = _concat(frames)
        if merged is not None:
            out.layers["hazards"] = merged
    if children_path is not None:
        frame, rep = children.children_from_register(
            children_path, municipalities=municipalities, address_points=points
        )
        out.reports.append(rep)
        if len(frame):
            out.layers["children"] = frame
        if "children_unresolved" in rep.tables:
            out.layers["children_unresolved"] = rep.tables["children_unresolved"]
    for rep in out.reports:
        rep.check_balance()
    return out


def _unique_ids(frames, reports, id_col):
    """Concatenate frames, rejecting ids already imported from an earlier file."""
    seen = {}
    parts = []
    for frame, rep in zip(frames, reports, strict=True):
        if not len(frame):
            continue
        dup = frame[id_col].isin(seen)
        for row, fid in zip(frame.loc[dup, "row"], frame.loc[dup, id_col], strict=True):
            rep.reject(row, id_col, fid, f"id already imported from {seen[fid]}")
        seen.update(dict.fromkeys(frame.loc[~dup, id_col], rep.name))
        parts.append(frame[~dup])
        rep.settle()
    return _concat(parts)


def import_region(path, **files):
    """Read the given files and write their layers into the workspace at ``path`` atomically.

    Keyword arguments are those of :func:`read_region` (without ``municipalities``, which comes
    from the workspace when no boundaries are given).

    Returns
    -------
    RegionImport
        When ``failed`` is True nothing was written.

    Examples
    --------
    >>> result = import_region("tama.gpkg", boundaries_path="N03-21_13_210101.geojson",
    ...                        facility_paths=["houmon_kango_13.csv"])  # doctest: +SKIP
    >>> result.failed  # doctest: +SKIP
    False
    """
    path = Path(path)
    cascade = bool(files.pop("cascade", False))
    replace_areas = bool(files.pop("replace_all_areas", False))
    municipalities = None
    present = workspace.layers(path)
    if files.get("boundaries_path") is None and "municipalities" in present:
        municipalities = workspace.read(path, "municipalities")
    result = read_region(municipalities=municipalities, **files)
    _refuse_empty(result)
    if not result.failed and files.get("area_paths") and not replace_areas:
        _keep_other_area_kinds(path, present, result)
    if not result.failed and "municipalities" in result.layers and "municipalities" in present:
        _referential_integrity(path, present, result, cascade=cascade)
    if result.failed:
        logger.warning("Import failed; %s left unchanged", path)
        return result
    layers = dict(result.layers)
    stamp = _dt.datetime.now().isoformat(timespec="seconds")
    summary = summary_frame(result.reports)
    summary["imported_at"] = stamp
    layers["import_summary"] = summary.astype(object)
    layers["import_rejections"] = records_frame(result.reports).astype(object)
    with workspace.writing(path):  # no other writer between reading metadata and writing it
        meta = workspace.metadata(path) if path.exists() else {}
        for rep in result.reports:
            meta[f"import:{rep.kind}:{rep.name}"] = stamp
        layers["metadata"] = pd.DataFrame({"key": list(meta), "value": list(meta.values())})
        workspace.write_layers(path, layers)
    return result


_LAYER_OF_KIND = {
    "boundaries": "municipalities",
    "areas": "areas",
    "facilities": "facilities",
    "shelters": "shelters",
    "hazards": "hazards",
    "children": "children",
    "roads": "roads_edges",
    "address_points": "address_points",
}


def _refuse_empty(result):
    """A file none of whose rows was accepted never replaces a layer: it is an error."""
    for rep in result.reports:
        if rep.failed or rep.fmt == "capabilities" or rep.kind not in _LAYER_OF_KIND:
            continue
        if rep.rows_accepted == 0:
            layer = _LAYER_OF_KIND[rep.kind]
            what = (
                f"every one of its {rep.rows_read} rows was rejected"
                if rep.rows_read
                else "it has no rows (a header only)"
            )
            rep.error(
                f"{rep.name}: {what}, so the {layer} layer was not replaced (fix the rows "
                "listed and import again)"
            )


def _keep_other_area_kinds(path, present, result):
    """Keep the workspace's areas of kinds the imported 圏域 tables do not define."""
    if "area_members" not in present or "area_members" not in result.layers:
        return
    new_members = result.layers["area_members"]
    kinds = set(new_members["kind"])
    old_members = workspace.read(path, "area_members")
    keep = old_members[~old_members["kind"].isin(kinds)]
    if not len(keep):
        return
    members = pd.concat([keep, new_members], ignore_index=True)
    result.layers["area_members"] = members.astype(object)
    if "areas" in present:
        old_areas = workspace.read(path, "areas")
        kept_areas = old_areas[old_areas["kind"].isin(set(keep["kind"]))]
        merged = pd.concat([kept_areas, result.layers["areas"]], ignore_index=True)
        result.layers["areas"] = gpd.GeoDataFrame(
            merged, geometry="geometry", crs=settings.storage_crs
        )
    rep = next(r for r in result.reports if r.kind == "areas")
    rep.warn(
        f"kept the workspace's areas of other kinds ({', '.join(sorted(set(keep['kind'])))}); "
        "give --replace-all-areas to drop them"
    )


def _code_layers(path, present):
    """Workspace layers with a ``municipality_code`` column (read cheaply from their schema)."""
    import pyogrio

    out = []
    for name in present:
        try:
            fields = pyogrio.read_info(path, layer=name)["fields"]
        except Exception:  # noqa: BLE001 - an unreadable layer has no codes to check
            continue
        if "municipality_code" in list(fields):
            out.append(name)
    return out


def _referential_integrity(path, present, result, *, cascade):
    """New boundaries must not leave layers pointing at municipalities that no longer exist.

    Layers imported in the same run were checked against the new boundaries already; the
    others (and the areas of other kinds kept) are read from the workspace. Without
    ``cascade`` a dangling code is an error listing layer, codes and rows; with it, points
    are located again in the new municipalities (the code moves) or removed when they lie in
    none, area members are removed and areas dissolved again; all of it is reported.
    """
    new = result.layers["municipalities"]
    old = workspace.read(path, "municipalities")
    gone = sorted(set(old["code"]) - set(new["code"]))
    if not gone:
        return
    names = dict(zip(old["code"], old["name"], strict=True))
    rep = next(r for r in result.reports if r.kind == "boundaries")
    dangling = {}
    for layer in _code_layers(path, present):
        frame = result.layers.get(layer)
        if frame is None:
            frame = workspace.read(path, layer)
        hit = frame["municipality_code"].isin(gone)
        if hit.any():
            dangling[layer] = (frame, hit)
    if not dangling:
        return
    if not cascade:
        for layer, (frame, hit) in dangling.items():
            counts = frame.loc[hit, "municipality_code"].value_counts().sort_index()
            shown = [f"{c} {names.get(c, '')} ({n} rows)" for c, n in counts.head(15).items()]
            if len(counts) > 15:
                shown.append(f"and {len(counts) - 15} more municipalities")
            listed = ", ".join(shown)
            rep.error(
                f"{layer}: {int(hit.sum())} row(s) point at municipalities the new boundaries no "
                f"longer have: {listed}. Import {layer} again for the new boundaries, or give "
                "--cascade to locate them again (rows in no municipality are removed)."
            )
        return
    for layer, (frame, hit) in dangling.items():
        if isinstance(frame, gpd.GeoDataFrame) and layer != "areas":
            from . import places

            where = places.locate(frame[hit], new)
            moved = where["code"].notna()
            out = frame.copy()
            out.loc[where.index[moved], "municipality_code"] = where.loc[moved, "code"]
            removed = where.index[~moved]
            out = out.drop(index=removed)
            rep.warn(
                f"--cascade: {layer}: {int(moved.sum())} row(s) moved to the municipality their "
                f"point lies in, {len(removed)} removed (in none of the new municipalities)"
            )
            result.layers[layer] = out.reset_index(drop=True)
        elif layer == "area_members":
            out = frame[~hit].reset_index(drop=True)
            result.layers[layer] = out
            rep.warn(f"--cascade: area_members: {int(hit.sum())} membership(s) removed")
            _redissolve(path, present, result, out, new, rep)
        else:
            result.layers[layer] = frame[~hit].reset_index(drop=True)
            rep.warn(f"--cascade: {layer}: {int(hit.sum())} row(s) removed")


def _redissolve(path, present, result, members, municipalities, rep):
    """Areas dissolved again from their remaining members and the new municipality polygons."""
    old = result.layers.get("areas")
    if old is None and "areas" in present:
        old = workspace.read(path, "areas")
    if old is None:
        return
    names = dict(zip(old["area_id"], old["name"], strict=True))
    rows = members.assign(area=[names.get(a, a) for a in members["area_id"]])
    result.layers["areas"] = areas.dissolve(members, rows, municipalities)
    lost = sorted(set(old["area_id"]) - set(result.layers["areas"]["area_id"]))
    if lost:
        rep.warn(f"--cascade: areas without municipalities removed: {', '.join(lost)}")


def validate_one(path, *, kind, fmt=None, municipalities=None, address_points=None):
    """Run one importer on one file without writing; return its report."""
    path = Path(path)
    if kind == "boundaries":
        return boundaries.municipalities_from_file(path)[1]
    if kind == "areas":
        if municipalities is None:
            frame, rep = areas.members_from_file(path)
            rep.warn(
                "no municipalities to reconcile against: give --workspace W.gpkg to check that "
                "every municipality belongs to exactly one area of each kind"
            )
            return rep
        return areas.areas_from_files([path], municipalities)[1][0]
    if kind == "facilities":
        if fmt == "capabilities" or (
            fmt in (None, "generic") and facilities.capability_sheet(path)
        ):
            rep = facilities.capabilities_from_file(path)[1]
            if fmt != "capabilities":
                rep.warn(
                    "read as a capability sheet joined on 事業所番号 (no name, service and "
                    "location columns); import it with --capabilities or --format capabilities"
                )
            return rep
        points = addresses.load(address_points) if address_points is not None else None
        return facilities.facilities_from_file(
            path, fmt=fmt, municipalities=municipalities, address_points=points
        )[1]
    if kind == "shelters":
        with geometry_check.region_hint(municipalities):
            return shelters.shelters_from_file(path, municipalities=municipalities)[1]
    if kind == "hazards":
        with geometry_check.region_hint(municipalities):
            return hazards.hazards_from_file(path, layout=fmt)[1]
    if kind == "children":
        points = addresses.load(address_points) if address_points is not None else None
        return children.children_from_register(
            path, municipalities=municipalities, address_points=points
        )[1]
    if kind in ("workspace",):
        return validate_workspace_schema(path, kind=fmt)
    msg = f"Unknown kind {kind!r}."
    raise IkemapError(msg)
