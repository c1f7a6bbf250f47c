"""A corpus of malformed files run through the real importers and the CLI (issue #12).

Every case goes through ``geo.importers.validate_file`` (what ``ikemap validate`` and the app's
upload run) or ``ikemap import``; each asserts the row, the field and the words of the reason,
and that rows read = rows accepted + rows rejected. Nothing is written when an import fails.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from geo import safe_io, workspace
from geo.importers import validate_file
from ikemap import cli

#: Two fictional municipalities on real ground (western Tokyo, plane rectangular zone IX).
A = box(139.40, 35.68, 139.45, 35.72)
B = box(139.45, 35.68, 139.50, 35.72)

KIDS = "child_id,age,care,lat,lon\n"
FAC = "事業所番号,事業所名,サービス種別,緯度,経度,定員\n"


def _munis(*codes):
    rows = {"99101": ("甲市", A), "99102": ("乙町", B)}
    use = codes or tuple(rows)
    return gpd.GeoDataFrame(
        {
            "code": list(use),
            "name": [rows[c][0] for c in use],
            "pref": ["テスト県"] * len(use),
        },
        geometry=[rows[c][1] for c in use],
        crs="EPSG:4326",
    )


def _kids_layer():
    return gpd.GeoDataFrame(
        {
            "child_id": ["c1", "c2", "c3"],
            "age": [3, 7, 12],
            "care": [["suction"], ["ventilator"], ["suction"]],
            "mobility": [None] * 3,
            "municipality_code": ["99101", "99102", "99102"],
            "has_evac_plan": [None] * 3,
            "last_verified": [None] * 3,
        },
        geometry=[Point(139.42, 35.70), Point(139.47, 35.70), Point(139.48, 35.71)],
        crs="EPSG:4326",
    )


@pytest.fixture
def ws(tmp_path):
    path = tmp_path / "w.gpkg"
    members = pd.DataFrame(
        {
            "area_id": [
                "障害保健福祉圏域:北",
                "障害保健福祉圏域:北",
                "二次医療圏:西",
                "二次医療圏:西",
            ],
            "kind": ["障害保健福祉圏域", "障害保健福祉圏域", "二次医療圏", "二次医療圏"],
            "municipality_code": ["99101", "99102", "99101", "99102"],
        }
    )
    areas = gpd.GeoDataFrame(
        {
            "area_id": ["障害保健福祉圏域:北", "二次医療圏:西"],
            "name": ["北", "西"],
            "kind": ["障害保健福祉圏域", "二次医療圏"],
        },
        geometry=[A.union(B), A.union(B)],
        crs="EPSG:4326",
    )
    workspace.write_layers(
        path,
        {
            "municipalities": _munis(),
            "children": _kids_layer(),
            "area_members": members,
            "areas": areas,
        },
    )
    return path


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def _check(tmp_path, name, data, kind, *, fmt=None, ws=None, read=None, acc=None, rej=None):
    rep = validate_file(_write(tmp_path, name, data), kind=kind, fmt=fmt, workspace_path=ws)
    assert rep.rows_read == rep.rows_accepted + rep.rows_rejected, rep.summary()
    if read is not None:
        assert (rep.rows_read, rep.rows_accepted, rep.rows_rejected) == (read, acc, rej), (
            rep.summary()
        )
    return rep


def _has(rep, row, field, *words):
    hits = [r for r in rep.rejections + rep.repairs if r.row == row and r.field == field]
    assert hits, f"nothing at row {row}, field {field}:\n{rep.summary()}"
    text = " ".join(f"{r.value} {r.reason}" for r in hits)
    for w in words:
        assert w in text, f"{w!r} not in {text!r}"


def _error(rep, *words):
    assert rep.failed, rep.summary()
    text = " ".join(rep.errors)
    for w in words:
        assert w in text, f"{w!r} not in {text!r}"


def _geojson(geoms, props=None, crs=None):
    feats = [
        {
            "type": "Feature",
            "properties": (props or {"hazard_type": "flood", "level": "2"}),
            "geometry": g,
        }
        for g in geoms
    ]
    doc = {"type": "FeatureCollection", "features": feats}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(doc)


def _ring(b, f=lambda x, y: (x, y)):
    x0, y0, x1, y1 = b
    pts = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    return {"type": "Polygon", "coordinates": [[list(f(x, y)) for x, y in pts]]}


INSIDE = (139.41, 35.69, 139.42, 35.70)


# ---------------------------------------------------------------------------------------------
# 1. one intake path: file, encoding, delimiter, header, cells


def test_oversize_file_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(safe_io, "MAX_UPLOAD_BYTES", 100)
    rep = _check(tmp_path, "kids.csv", KIDS + "c1,4,吸引,35.70,139.42\n" * 10, "children")
    _error(rep, "size", "at most 100 bytes")


def test_csv_that_is_a_pdf_is_refused_by_its_magic_bytes(tmp_path):
    rep = _check(tmp_path, "kids.csv", b"%PDF-1.7\n...", "children")
    _error(rep, "a PDF")


def test_zip_member_climbing_out_is_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("n03/a.geojson", _geojson([_ring(INSIDE)]))
        zf.writestr("../../outside.geojson", "{}")
    rep = _check(tmp_path, "n03.zip", buf.getvalue(), "boundaries")
    _error(rep, "climbs out")


def test_utf16_is_a_file_error_and_cp932_is_read(tmp_path):
    rep = _check(
        tmp_path, "kids.csv", (KIDS + "c1,4,吸引,35.70,139.42\n").encode("utf-16"), "children"
    )
    _error(rep, "UTF-16", "CSV UTF-8")
    text = "管理番号,年齢,医療的ケア,緯度,経度\n①,4,吸引,35.70,139.42\n"
    rep = _check(tmp_path, "k.csv", text.encode("cp932"), "children", read=1, acc=1, rej=0)
    assert rep.encoding == "cp932"


def test_semicolon_delimiter_is_detected_and_noted(tmp_path):
    text = "child_id;age;care;lat;lon\nc1;4;suction;35.70;139.42\n"
    rep = _check(tmp_path, "kids.csv", text, "children", read=1, acc=1, rej=0)
    assert any("';'" in w for w in rep.warnings)


def test_same_header_twice_is_an_error_naming_both(tmp_path):
    text = "child_id,age,care,lat,lon,lat\nc1,4,suction,35.70,139.42,36.0\n"
    rep = _check(tmp_path, "kids.csv", text, "children")
    _error(rep, "'lat' (column 4) and 'lat' (column 6)")


def test_conflicting_aliases_are_an_error_naming_both(tmp_path):
    text = "child_id,age,care,lat,lon,年齢\nc1,4,suction,35.70,139.42,5\n"
    rep = _check(tmp_path, "kids.csv", text, "children")
    _error(rep, "'age' and '年齢'", "one column for age")


def test_huge_cell_rejects_its_row_only(tmp_path):
    text = KIDS + "c1,4," + "x" * 20_000 + ",35.70,139.42\nc2,5,suction,35.70,139.42\n"
    rep = _check(tmp_path, "kids.csv", text, "children", read=2, acc=1, rej=1)
    _has(rep, 2, "care", "20,000 characters", "at most 10,000")


def test_nul_in_an_id_rejects_its_row(tmp_path):
    text = KIDS + "K2\x00,4,suction,35.70,139.42\nK3,5,suction,35.70,139.42\n"
    rep = _check(tmp_path, "kids.csv", text, "children", read=2, acc=1, rej=1)
    _has(rep, 2, "child_id", "K2\\x00", "control characters")


def test_cut_row_and_unquoted_decimal_comma_reject_their_rows(tmp_path):
    text = KIDS + "c1,4,suction\nc2,5,suction,35,70,139.42\nc3,6,suction,35.70,139.42\n"
    rep = _check(tmp_path, "kids.csv", text, "children", read=3, acc=1, rej=2)
    _has(rep, 2, "fields", "3 cells", "cut short")
    _has(rep, 3, "fields", "6 cells", "decimal comma")


def test_truncated_file_is_an_error(tmp_path):
    text = KIDS + 'c1,4,suction,35.70,139.42\nc2,5,"suction;ox'
    rep = _check(tmp_path, "kids.csv", text, "children")
    _error(rep, "truncated")


def test_nfkc_ids_full_width_and_case_are_one_child(tmp_path):
    text = (
        KIDS + "Ｋ１,4,suction,35.70,139.42\nk1,5,suction,35.70,139.42\nK1,6,suction,35.70,139.43\n"
    )
    rep = _check(tmp_path, "kids.csv", text, "children", read=3, acc=1, rej=2)
    _has(rep, 2, "child_id", "written K1")
    _has(rep, 3, "child_id", "duplicate id", "'K1'", "row 2")
    _has(rep, 4, "child_id", "duplicate id", "row 2")


def test_header_only_file_gets_a_note_and_never_replaces_a_layer(tmp_path, ws, capsys):
    path = _write(tmp_path, "kids.csv", KIDS)
    rep = validate_file(path, kind="children")
    assert (rep.rows_read, rep.rows_accepted, rep.rows_rejected) == (0, 0, 0)
    assert any("no data rows" in w for w in rep.warnings)
    args = ["import", "--workspace", str(ws), "--children", str(path), "--replace-children"]
    assert cli.main(args) == 2
    assert "header only" in capsys.readouterr().out
    assert len(workspace.read(ws, "children")) == 3


# ---------------------------------------------------------------------------------------------
# 4. rows, never crashes


def test_age_inf_is_a_row_error_not_a_crash(tmp_path):
    text = KIDS + "c1,inf,suction,35.70,139.42\nc2,４,suction,35.70,139.42\n"
    rep = _check(tmp_path, "kids.csv", text, "children", read=2, acc=1, rej=1)
    _has(rep, 2, "age", "'inf' is not a whole number", "whole years")


def test_birth_date_message_is_about_dates(tmp_path):
    text = "child_id,生年月日,care,lat,lon\nc1,2020-13-45,suction,35.70,139.42\n"
    text += "c2,令和2年4月1日,suction,35.70,139.42\n"
    rep = _check(tmp_path, "kids.csv", text, "children", read=2, acc=1, rej=1)
    _has(rep, 2, "生年月日", "not a real date", "birth date")
    assert "whole years" not in rep.summary()


def test_dates_in_the_future_and_past_eras_are_rejected(tmp_path):
    rows = [
        "c1,4,suction,35.70,139.42,2099-12-31",
        "c2,4,suction,35.70,139.42,令和99年1月1日",
        "c3,4,suction,35.70,139.42,平成35年1月1日",
        "c4,4,suction,35.70,139.42,令和6年4月1日",
        "c5,4,suction,35.70,139.42,Ｈ３１．４．３０",
    ]
    text = KIDS.strip() + ",確認日\n" + "\n".join(rows) + "\n"
    rep = _check(tmp_path, "kids.csv", text, "children", read=5, acc=2, rej=3)
    _has(rep, 2, "確認日", "in the future")
    _has(rep, 3, "確認日", "2117", "in the future")
    _has(rep, 4, "確認日", "ended in its year 31")


def test_capacity_words_and_implausible_numbers_are_row_errors(tmp_path):
    rows = [
        "1,あ,訪問看護,35.70,139.42,若干名",
        "2,い,訪問看護,35.70,139.42,たくさん",
        "3,う,訪問看護,35.70,139.42,1e9",
        "4,え,訪問看護,35.70,139.42,５",
    ]
    rep = _check(tmp_path, "f.csv", FAC + "\n".join(rows) + "\n", "facilities", fmt="generic")
    assert (rep.rows_read, rep.rows_accepted, rep.rows_rejected) == (4, 1, 3)
    _has(rep, 2, "定員", "'若干名' is not a whole number", "number of places")
    _has(rep, 3, "定員", "たくさん", "number of places")
    _has(rep, 4, "定員", "implausible")


def test_dms_is_parsed_and_decimal_comma_is_hinted(tmp_path):
    text = KIDS + 'c1,4,suction,35°42\'0"N,139°25\'12"E\nc2,4,suction,"35,70",139.42\n'
    rep = _check(tmp_path, "kids.csv", text, "children", read=2, acc=1, rej=1)
    _has(rep, 2, "lat", "degrees-minutes-seconds", "35.700000")
    _has(rep, 3, "lat", "decimal comma", "write 35.70")


def test_metric_numbers_in_a_point_table_are_named(tmp_path):
    rep = _check(tmp_path, "kids.csv", KIDS + "c1,4,suction,-37000,-30000\n", "children")
    _has(rep, 2, "lat", "metres", "EPSG:6669-6687")


def test_four_digit_code_padding_is_noted(tmp_path, ws):
    text = KIDS.strip() + ",市区町村コード\nc1,4,suction,35.70,139.42,9910\n"
    rep = _check(tmp_path, "kids.csv", text, "children", read=1, acc=0, rej=1, ws=ws)
    _has(rep, 2, "市区町村コード", "padded to 09910")


def test_empty_care_is_rejected_not_read_as_none(tmp_path):
    text = KIDS + "c1,4,,35.70,139.42\nc2,4,なし,35.70,139.42\n"
    rep = _check(tmp_path, "kids.csv", text, "children", read=2, acc=1, rej=1)
    _has(rep, 2, "care", "no care given", "なし")


# ---------------------------------------------------------------------------------------------
# 5. nothing dropped silently


def test_unknown_facility_columns_are_kept_in_extra(tmp_path):
    from geo.importers import facilities

    head = "事業所番号,事業所名,サービス種別,緯度,経度,開所時間,看護師配置,送迎,入浴\n"
    path = _write(tmp_path, "f.csv", head + "1,あ,訪問看護,35.70,139.42,9-17,あり,,なし\n")
    fac, rep = facilities.facilities_from_file(path, fmt="generic")
    assert rep.rows_read == rep.rows_accepted == 1
    assert json.loads(fac["extra"].iloc[0]) == {
        "入浴": "なし",
        "開所時間": "9-17",
        "看護師配置": "あり",
    }
    assert any("開所時間" in w and "extra" in w for w in rep.warnings)


def test_capability_sheet_given_as_generic_is_accepted(tmp_path):
    text = "事業所番号,受入可能な医療的ケア,定員\n1310000001,吸引,5\n"
    rep = _check(tmp_path, "caps.csv", text, "facilities", fmt="generic", read=1, acc=1, rej=0)
    assert rep.fmt == "capabilities"
    assert any("capability sheet" in w for w in rep.warnings)


# ---------------------------------------------------------------------------------------------
# 2. every geometry checked against where it claims to be


def _to_zone9():
    t = Transformer.from_crs("EPSG:4326", "EPSG:6677", always_xy=True)
    return lambda x, y: t.transform(x, y)


def test_metric_hazard_without_crs_names_the_plane_zone(tmp_path, ws):
    data = _geojson([_ring(INSIDE, _to_zone9())])
    rep = _check(tmp_path, "h.geojson", data, "hazards", fmt="generic", ws=ws)
    _error(rep, "metres", "EPSG:6677", "Plane Rectangular CS IX")
    rep = _check(tmp_path, "h.geojson", data, "hazards", fmt="generic")
    _error(rep, "metres", "plane rectangular zone")


def test_small_metric_numbers_are_not_taken_for_degrees(tmp_path):
    data = _geojson([_ring((10.0, 100.0, 60.0, 120.0))])
    rep = _check(tmp_path, "h.geojson", data, "hazards", fmt="generic")
    _error(rep, "metres")


def test_declared_projected_crs_is_reprojected(tmp_path, ws):
    data = _geojson([_ring(INSIDE, _to_zone9())], crs="urn:ogc:def:crs:EPSG::6677")
    rep = _check(tmp_path, "h.geojson", data, "hazards", fmt="generic", ws=ws, read=1, acc=1, rej=0)
    assert not rep.failed


def test_swapped_polygon_and_outside_region_are_rejected(tmp_path, ws):
    swapped = _ring(INSIDE, lambda x, y: (y, x))
    far = _ring((141.0, 38.0, 141.1, 38.1))
    data = _geojson([_ring(INSIDE), swapped, far])
    rep = _check(tmp_path, "h.geojson", data, "hazards", fmt="generic", ws=ws, read=3, acc=1, rej=2)
    _has(rep, 2, "geometry", "swapped")
    _has(rep, 3, "geometry", "outside the region", "km from 乙町")


def test_points_given_as_boundaries_say_so(tmp_path):
    data = _geojson(
        [{"type": "Point", "coordinates": [139.42, 35.70]}],
        props={"N03_001": "テスト県", "N03_004": "甲市", "N03_007": "99101"},
    )
    rep = _check(tmp_path, "n03.geojson", data, "boundaries", read=1, acc=0, rej=1)
    _has(rep, 1, "geometry", "this file has Point features")


# ---------------------------------------------------------------------------------------------
# 3. referential integrity and layers never replaced by nothing


def _n03(tmp_path, name, rows):
    feats = [
        (_ring(geom.bounds), {"N03_001": "テスト県", "N03_004": n, "N03_007": c})
        for c, n, geom in rows
    ]
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for g, p in feats],
    }
    return _write(tmp_path, name, json.dumps(doc))


def _digest(path):
    with sqlite3.connect(path) as con:
        return {
            t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
            for (t,) in con.execute("SELECT table_name FROM gpkg_contents")
        }


def test_boundaries_with_every_row_rejected_never_replace(tmp_path, ws, capsys):
    path = _n03(tmp_path, "n03.geojson", [("", "所属未定地", A), ("", "所属未定地", B)])
    before = ws.read_bytes()
    assert cli.main(["import", "--workspace", str(ws), "--boundaries", str(path)]) == 2
    out = capsys.readouterr().out
    assert "every one of its 2 rows was rejected" in out and "left unchanged" in out
    assert ws.read_bytes() == before


def test_dropped_municipality_fails_with_the_list_or_cascades(tmp_path, ws, capsys):
    path = _n03(tmp_path, "n03.geojson", [("99101", "甲市", A.union(B))])
    before = _digest(ws)
    assert cli.main(["import", "--workspace", str(ws), "--boundaries", str(path)]) == 2
    out = capsys.readouterr().out
    assert "children: 2 row(s) point at municipalities" in out and "99102 乙町 (2 rows)" in out
    assert "area_members: 2 row(s)" in out and "--cascade" in out
    assert _digest(ws) == before
    code = cli.main(["import", "--workspace", str(ws), "--boundaries", str(path), "--cascade"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "children: 2 row(s) moved" in out
    kids = workspace.read(ws, "children")
    assert kids["municipality_code"].tolist() == ["99101"] * 3
    members = workspace.read(ws, "area_members")
    assert sorted(members["municipality_code"]) == ["99101", "99101"]


def test_areas_replace_only_the_kinds_in_the_file(tmp_path, ws, capsys):
    path = _write(tmp_path, "障害保健福祉圏域.csv", "市区町村コード,圏域\n99101,東\n99102,西\n")
    assert cli.main(["import", "--workspace", str(ws), "--areas", str(path)]) == 0
    assert "kept the workspace's areas of other kinds (二次医療圏)" in capsys.readouterr().out
    areas = workspace.read(ws, "areas")
    assert sorted(areas["area_id"]) == [
        "二次医療圏:西",
        "障害保健福祉圏域:東",
        "障害保健福祉圏域:西",
    ]
    args = ["import", "--workspace", str(ws), "--areas", str(path), "--replace-all-areas"]
    assert cli.main(args) == 0
    assert sorted(workspace.read(ws, "areas")["kind"]) == ["障害保健福祉圏域"] * 2


# ---------------------------------------------------------------------------------------------
# the app's upload goes through the same path


def test_upload_is_staged_safely_validated_and_removed(tmp_path, monkeypatch):
    import tempfile

    from geo.importers import validate_upload

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    text = KIDS + "c1,4,suction,35.70,139.42\nc2,inf,suction,35.70,139.42\n"
    rep = validate_upload("../../kids.csv", text.encode(), kind="children")
    assert (rep.rows_read, rep.rows_accepted, rep.rows_rejected) == (2, 1, 1)
    assert rep.name == "kids.csv"
    _has(rep, 3, "age", "not a whole number")
    assert list(tmp_path.iterdir()) == []
    rep = validate_upload("kids.csv", b"MZ\x90\x00binary", kind="children")
    _error(rep, "an executable")
    # a copy staged by a process killed mid-validation is removed by the next upload
    stale = tmp_path / "ikemap-upload-999999999-abc"
    stale.mkdir()
    (stale / "kids.csv").write_text(text)
    validate_upload("kids.csv", text.encode(), kind="children")
    assert list(tmp_path.iterdir()) == []
