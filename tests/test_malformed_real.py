"""Malformed uploads against a workspace built from REAL files (東京都 N03 boundaries and
位置参照 町丁目 points from ../shared/data), through the app's upload path
(``geo.importers.validate_upload``). Child rows are synthetic.

Each case: the error or rejection names file, row, field, value and the fix; rows read =
accepted + rejected; the workspace file is not modified.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from pyproj import Transformer

from geo.importers import region, validate_upload


@pytest.fixture(scope="module")
def tokyo(shared_data, tmp_path_factory):
    ws = tmp_path_factory.mktemp("tokyo") / "tokyo.gpkg"
    result = region.import_region(
        ws,
        boundaries_path=shared_data / "admin_boundaries" / "N03-21_13_210101.geojson",
        address_points=shared_data / "address_points" / "geolonia_machi_chome_13.csv",
    )
    assert not result.failed, [r.errors for r in result.reports]
    return ws


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _upload(ws, name, data, kind):
    before = _digest(ws)
    rep = validate_upload(name, data, kind=kind, workspace_path=ws)
    assert _digest(ws) == before  # checking a file never touches the workspace
    assert rep.rows_read == rep.rows_accepted + rep.rows_rejected, rep.summary()
    return rep


KIDS = "管理番号,年齢,医療的ケア,住所,緯度,経度\n"


def test_register_addresses_resolve_against_the_workspace_points(tokyo):
    """The upload of a register with 住所 only uses the workspace's 位置参照 points (the app
    has no --address-points); it was rejected with 'use --address-points'."""
    text = KIDS + "K1,3,人工呼吸器,東京都立川市錦町２丁目３番１号,,\nK2,4,吸引,立川市どこか町1,,\n"
    rep = _upload(tokyo, "kids.csv", text.encode("cp932"), "children")
    assert (rep.rows_read, rep.rows_accepted, rep.rows_rejected) == (2, 1, 1), rep.summary()
    bad = rep.rejections[0]
    assert (bad.row, bad.field) == (3, "住所") and "どこか町" in str(bad.value)
    assert "立川市 found" in bad.reason and "--address-points" not in bad.reason


def test_utf8_bom_in_front_of_cp932_text_is_read_as_cp932_with_a_note(tokyo):
    text = KIDS + "K1,3,人工呼吸器,,35.70,139.41\n"
    rep = _upload(tokyo, "kids.csv", b"\xef\xbb\xbf" + text.encode("cp932"), "children")
    assert (rep.rows_read, rep.rows_accepted) == (1, 1), rep.summary()
    assert any("byte-order mark" in w and "CP932" in w for w in rep.warnings), rep.warnings


def test_metric_geojson_without_crs_names_the_zone_of_the_region_with_islands(tokyo):
    """東京都 reaches 小笠原 and 南鳥島: the bounding-box centre is in the sea, and the zone
    named first was EPSG:6682 (XIV) for a polygon over 立川市 in EPSG:6677 (IX)."""
    t = Transformer.from_crs(4326, 6677, always_xy=True)
    ring = [
        list(t.transform(x, y))
        for x, y in [
            (139.41, 35.70),
            (139.42, 35.70),
            (139.42, 35.71),
            (139.41, 35.71),
            (139.41, 35.70),
        ]
    ]
    doc = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"hazard_type": "flood", "depth_m": 1.0},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}  # fmt: skip
    rep = _upload(tokyo, "h.geojson", json.dumps(doc).encode(), "hazards")
    assert rep.failed
    assert "most likely EPSG:6677 (JGD2011 / Japan Plane Rectangular CS IX)" in rep.errors[0]


def test_excel_with_a_merged_title_row_says_what_to_delete(tokyo):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws["A1"] = "医療的ケア児台帳（令和6年度）"
    ws.merge_cells("A1:E1")
    ws.append(["管理番号", "年齢", "医療的ケア", "位置", None])
    ws.merge_cells("D2:E2")
    ws.append([None, None, None, "緯度", "経度"])
    ws.append(["K1", 3, "吸引", 35.70, 139.41])
    buf = io.BytesIO()
    wb.save(buf)
    rep = _upload(tokyo, "台帳.xlsx", buf.getvalue(), "children")
    assert len(rep.errors) == 1, rep.errors  # one message, not one per blank column
    text = rep.errors[0]
    assert "台帳.xlsx row 1" in text and "医療的ケア児台帳（令和6年度）" in text
    assert "title" in text and "delete" in text


def test_zip_without_a_layer_names_what_it_holds(tokyo):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
        z.writestr("data.csv", "a,b\n1,2\n")
    rep = _upload(tokyo, "区域.zip", buf.getvalue(), "hazards")
    assert rep.failed and len(rep.errors) == 1, rep.errors
    assert "区域.zip" in rep.errors[0] and "no Shapefile" in rep.errors[0]
    assert "data.csv" in rep.errors[0] and "readme.txt" in rep.errors[0]


def test_import_of_a_zip_without_a_layer_names_it_and_leaves_the_workspace(tokyo, tmp_path):
    """ikemap import: was GDAL's '/vsizip/... not recognized as being in a supported file
    format; It might help to specify the correct driver ...'."""
    from ikemap import cli

    bad = tmp_path / "区域.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("readme.txt", "hello")
        z.writestr("data.csv", "a,b\n1,2\n")
    before = _digest(tokyo)
    code = cli.main(["import", "-w", str(tokyo), "--hazards", str(bad), "--role", "admin"])
    assert code == 2 and _digest(tokyo) == before
    result = region.read_region(hazard_paths=[bad])
    text = " ".join(result.reports[0].errors)
    assert "no Shapefile" in text and "readme.txt, data.csv" in text and "vsizip" not in text
