"""Hazard import: depth bands and durations as data, PLATEAU CityGML (hand-made and 福岡市 real)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from analysis_world import world

from geo import workspace
from geo.importers import hazards, plateau
from ikemap import cli

# --- depth bands and durations -----------------------------------------------------------------


def _fc(features, path):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def _sq(x, y, d=0.01):
    return {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]],
    }


def test_a31_depth_band_bounds_and_depth_m_is_the_lower_bound(tmp_path):
    feats = [
        {"type": "Feature", "properties": {"A31a_205": c}, "geometry": _sq(140 + i * 0.02, 36)}
        for i, c in enumerate([2, 6])
    ]
    hz, _ = hazards.hazards_from_file(_fc(feats, tmp_path / "a31.geojson"))
    assert hz["depth_min_m"].tolist() == [0.5, 20.0]
    assert hz["depth_max_m"].iloc[0] == 3.0 and np.isnan(hz["depth_max_m"].iloc[1])
    assert hz["depth_m"].tolist() == hz["depth_min_m"].tolist()
    assert hz["duration_h"].isna().all()


def test_a40_text_band_keeps_both_bounds(tmp_path):
    feats = [
        {"type": "Feature", "properties": {"A40_003": t}, "geometry": _sq(140 + i * 0.02, 36)}
        for i, t in enumerate(["1m以上2m未満", "0.3m未満"])
    ]
    hz, _ = hazards.hazards_from_file(_fc(feats, tmp_path / "a40.geojson"))
    assert hz[["depth_min_m", "depth_max_m"]].values.tolist() == [[1.0, 2.0], [0.0, 0.3]]


def test_a31_duration_layer_is_imported_as_level_0_rows(tmp_path):
    feats = [
        {"type": "Feature", "properties": {"A31a_305": c}, "geometry": _sq(140 + i * 0.02, 36)}
        for i, c in enumerate([3, 7, 99])
    ]
    hz, rep = hazards.hazards_from_file(_fc(feats, tmp_path / "dur.geojson"))
    assert rep.fmt == "a31d" and rep.rows_rejected == 1 and rep.rejections[0].row == 3
    assert hz["level"].tolist() == [0, 0] and hz["hazard_type"].tolist() == ["flood"] * 2
    assert hz["duration_h"].tolist() == [24.0, 672.0]
    assert hz["duration_max_h"].iloc[0] == 72.0 and np.isnan(hz["duration_max_h"].iloc[1])
    assert "1日以上3日未満" in hz["label"].iloc[0]
    workspace.check("hazards", hz)


def test_band_from_text_forms():
    assert hazards.band_from_text("0.5ｍ以上3.0ｍ未満") == (0.5, 3.0)
    assert hazards.band_from_text("不明") is None


# --- PLATEAU: hand-made CityGML ------------------------------------------------------------------

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<core:CityModel xmlns:gml="http://www.opengis.net/gml"
 xmlns:core="http://www.opengis.net/citygml/2.0"
 xmlns:wtr="http://www.opengis.net/citygml/waterbody/2.0"
 xmlns:gen="http://www.opengis.net/citygml/generics/2.0"
 xmlns:uro="{uro}">
<gml:boundedBy><gml:Envelope srsName="http://www.opengis.net/def/crs/EPSG/0/6697"
 srsDimension="3"><gml:lowerCorner>35 139 0</gml:lowerCorner>
 <gml:upperCorner>35.1 139.1 5</gml:upperCorner></gml:Envelope></gml:boundedBy>
"""


def _tri(pts):
    """posList of a triangle given as (lon, lat) pairs, written lat lon height (EPSG:6697)."""
    ring = [*pts, pts[0]]
    return " ".join(f"{lat} {lon} 1.5" for lon, lat in ring)


def _body(triangles, attr):
    members = "".join(
        "<gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>"
        f"{_tri(t)}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>"
        "</gml:surfaceMember>"
        for t in triangles
    )
    return (
        "<core:cityObjectMember><wtr:WaterBody><wtr:lod1MultiSurface>"
        '<gml:MultiSurface srsName="http://www.opengis.net/def/crs/EPSG/0/6697" '
        f'srsDimension="3">{members}</gml:MultiSurface></wtr:lod1MultiSurface>{attr}'
        "</wtr:WaterBody></core:cityObjectMember>"
    )


def _uro2_rank(code):
    return (
        "<uro:floodingRiskAttribute><uro:WaterBodyRiverFloodingRiskAttribute>"
        f"<uro:rank>{code}</uro:rank><uro:duration>4</uro:duration>"
        "</uro:WaterBodyRiverFloodingRiskAttribute></uro:floodingRiskAttribute>"
    )


def _uro1_generic(text):
    value = f"<gen:value>{text}</gen:value>"
    return f'<gen:stringAttribute name="浸水ランク">{value}</gen:stringAttribute>'


def _write(path, uro, bodies):
    path.write_text(_HEAD.format(uro=uro) + "".join(bodies) + "</core:CityModel>", "utf-8")
    return path


def test_plateau_two_meshes_dissolve_across_the_mesh_edge_lat_lon_order(tmp_path):
    # a unit square (139.00-139.01 E, 35.00-35.01 N) split in two triangles, one per mesh file
    a, b, c, d = (139.00, 35.00), (139.01, 35.00), (139.01, 35.01), (139.00, 35.01)
    uro = "https://www.geospatial.jp/iur/uro/3.0"
    f1 = _write(tmp_path / "533900_fld_6697_op.gml", uro, [_body([(a, b, c)], _uro2_rank(2))])
    f2 = _write(
        tmp_path / "533901_fld_6697_op.gml",
        uro,
        [_body([(a, c, d)], _uro2_rank(2)), _body([(a, b, d)], _uro2_rank(99))],
    )
    hz, rep = hazards.hazards_from_file(tmp_path, layout="plateau")
    assert rep.rows_read == 3 and rep.rows_accepted == 2 and rep.rows_rejected == 1
    assert "plateau_ranks.csv" in rep.rejections[0].reason
    assert len(hz) == 1  # both triangles, from two files, are one polygon
    g = hz.geometry.iloc[0]
    assert g.geom_type == "Polygon" and g.area == pytest.approx(1e-4, rel=1e-6)
    assert g.bounds == pytest.approx((139.0, 35.0, 139.01, 35.01))
    row = hz.iloc[0]
    assert (row.hazard_type, row.level, row.depth_min_m, row.depth_max_m) == ("flood", 2, 0.5, 3.0)
    assert row.depth_m == 0.5 and row.duration_h == 72.0  # uro:duration 4 = 3 days to 1 week
    workspace.check("hazards", hz.drop(columns=["plateau_code"]))
    # a list of the two files gives the same
    hz2, _ = plateau.hazards_from_plateau([f1, f2])
    assert len(hz2) == 1 and hz2.geometry.iloc[0].area == pytest.approx(g.area)


def test_plateau_uro1_generic_attribute_band_text(tmp_path):
    uro = "http://www.kantei.go.jp/jp/singi/tiiki/toshisaisei/itoshisaisei/iur/uro/1.5"
    tri = [(139.0, 35.0), (139.01, 35.0), (139.0, 35.01)]
    f = _write(
        tmp_path / "533900_tnm_6697_op.gml", uro, [_body([tri], _uro1_generic("2.0m以上5.0m未満"))]
    )
    hz, rep = hazards.hazards_from_file(f)
    assert rep.ok and hz["hazard_type"].tolist() == ["tsunami"]
    assert hz[["depth_min_m", "depth_max_m"]].values.tolist() == [[2.0, 5.0]]
    # lat/lon order: the right angle sits at (139.0 E, 35.0 N), not at (35.0 E, 139.0 N)
    assert hz.total_bounds == pytest.approx([139.0, 35.0, 139.01, 35.01])


def test_plateau_unreadable_file_is_a_file_error(tmp_path):
    bad = tmp_path / "x_fld_6697_op.gml"
    bad.write_text("<core:CityModel", "utf-8")
    hz, rep = hazards.hazards_from_file(bad)
    assert rep.failed and len(hz) == 0 and "x_fld_6697_op.gml" in rep.errors[0]


# --- PLATEAU: the real 福岡市 tsunami sample ----------------------------------------------------


def test_plateau_fukuoka_tsunami_six_meshes(shared_data):
    folder = shared_data / "hazards" / "plateau_fukuoka_tsunami"
    hz, rep = hazards.hazards_from_file(folder, layout="plateau")
    assert rep.rows_read == 24 and rep.rows_accepted == 24 and not rep.errors
    assert set(hz["hazard_type"]) == {"tsunami"}
    # ranks 1-4 occur: bands <0.3, 0.3-0.5, 0.5-1, 1-3 m
    bands = sorted(set(zip(hz["depth_min_m"], hz["depth_max_m"], strict=True)))
    assert bands == [(0.01, 0.3), (0.3, 0.5), (0.5, 1.0), (1.0, 3.0)]
    # axis order: Hakata Bay is at 130.0-130.45 E, 33.57-33.88 N (swapped it would be nowhere)
    x0, y0, x1, y1 = hz.total_bounds
    assert 130.0 < x0 < x1 < 130.45 and 33.57 < y0 < y1 < 33.88
    # dissolved: ~2,900 parts (SOURCE.md: 2,909), ~0.75 km2 in all
    assert 2800 < len(hz) < 3000
    area = hz.to_crs(hz.estimate_utm_crs()).area.sum() / 1e6
    assert 0.7 < area < 0.8
    workspace.check("hazards", hz.drop(columns=["plateau_code"]))


def test_power_restoration_area_imports_through_the_generic_layout(tmp_path):
    feats = [
        {
            "type": "Feature",
            "properties": {"hazard_type": "停電長期化想定区域", "level": 2},
            "geometry": _sq(140, 36),
        }
    ]
    hz, rep = hazards.hazards_from_file(_fc(feats, tmp_path / "power.geojson"))
    assert rep.ok and rep.fmt == "generic"
    assert hz["hazard_type"].tolist() == ["power_restoration"] and hz["level"].tolist() == [2]
    assert hz["label"].iloc[0] == "restoration 1 week+"
    workspace.check("hazards", hz)


def test_cli_imports_a_plateau_folder(tmp_path):
    ws = tmp_path / "w.gpkg"
    workspace.write_layers(ws, world())
    folder = tmp_path / "tnm"
    folder.mkdir()
    uro = "https://www.geospatial.jp/iur/uro/3.0"
    a, b, c, d = (139.00, 35.00), (139.01, 35.00), (139.01, 35.01), (139.00, 35.01)
    _write(folder / "533900_fld_6697_op.gml", uro, [_body([(a, b, c)], _uro2_rank(3))])
    _write(folder / "533901_fld_6697_op.gml", uro, [_body([(a, c, d)], _uro2_rank(3))])
    rc = cli.main(["import", "-w", str(ws), "--hazards", str(folder), "--hazard-layout", "plateau"])
    assert rc == 0
    hz = workspace.read(ws, "hazards")
    assert len(hz) == 1 and hz["depth_min_m"].iloc[0] == 3.0 and hz["level"].iloc[0] == 3
