"""A corpus of malformed files, generated here: each gives one clear error naming file/row/field.

Nothing is written to the workspace when an import fails (writes are atomic).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geo import safe_io, workspace
from geo.errors import IkemapError, ValidationError

HEADER = "child_id,age,care,lat,lon\n"
GOOD = HEADER + "c1,4,suction,35.68,139.76\nc2,9,ventilator;suction,35.70,139.70\n"


def _geojson(features):
    return json.dumps(
        {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
            "features": [
                {"type": "Feature", "properties": {"hazard_id": f"h{i}"}, "geometry": g}
                for i, g in enumerate(features)
            ],
        }
    ).encode()


def _zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


SQUARE = [[[139.0, 35.0], [139.1, 35.0], [139.1, 35.1], [139.0, 35.1], [139.0, 35.0]]]
BOWTIE = [[[139.0, 35.0], [139.1, 35.1], [139.1, 35.0], [139.0, 35.1], [139.0, 35.0]]]


def _csv_case(name, text_or_bytes, **options):
    data = text_or_bytes if isinstance(text_or_bytes, bytes) else text_or_bytes.encode()

    def run(tmp_path):
        path = tmp_path / name
        path.write_bytes(data)
        safe_io.check_file(path)
        frame = safe_io.read_csv(path, required=["child_id", "age", "lat", "lon"], **options)
        problems = safe_io.check_coordinates(frame, name=name)
        if problems:
            raise ValidationError(problems, name)
        return frame

    return run


def _vector_case(name, data, types):
    def run(tmp_path):
        path = tmp_path / name
        path.write_bytes(data)
        safe_io.check_file(path)
        return safe_io.read_vector(path, geometry_types=types)

    return run


def _zip_case(name, data):
    def run(tmp_path):
        return safe_io.stage_upload(name, data, tmp_path / "uploads")

    return run


#: case id -> (reader, file name, row, field, words the message must contain)
CORPUS = {
    "truncated_csv": (
        _csv_case("kids.csv", GOOD + 'c3,5,"suction;ox'),
        "kids.csv",
        4,
        "file",
        "truncated",
    ),
    "cut_row": (_csv_case("kids.csv", GOOD + "c3,5,suct\n"), "kids.csv", 4, "fields", "5 fields"),
    "utf16": (
        _csv_case("kids.csv", GOOD.encode("utf-16")),
        "kids.csv",
        1,
        "encoding",
        "UTF-8 or CP932",
    ),
    "neither_utf8_nor_cp932": (
        _csv_case("kids.csv", GOOD.encode() + b"c3,5,\x82\xff,35.6,139.7\n"),
        "kids.csv",
        4,
        "encoding",
        "CSV UTF-8",
    ),
    "swapped_lat_lon": (
        _csv_case("kids.csv", HEADER + "c1,4,suction,35.68,139.76\nc2,9,suction,139.70,35.70\n"),
        "kids.csv",
        3,
        "lat",
        "swapped",
    ),
    "lat_not_a_number": (
        _csv_case("kids.csv", HEADER + "c1,4,suction,北緯35度,139.76\n"),
        "kids.csv",
        2,
        "lat",
        "decimal degrees",
    ),
    "missing_column": (
        _csv_case("kids.csv", "child_id,age,care,lon\nc1,4,suction,139.7\n"),
        "kids.csv",
        1,
        "lat",
        "missing column",
    ),
    "duplicate_ids": (
        _csv_case("kids.csv", GOOD + "c1,5,suction,35.6,139.7\n", unique=["child_id"]),
        "kids.csv",
        4,
        "child_id",
        "repeats row 2",
    ),
    "huge_field": (
        _csv_case("kids.csv", HEADER + "c1,4," + "x" * 50_000 + ",35.6,139.7\n"),
        "kids.csv",
        2,
        "care",
        "at most 10,000 characters",
    ),
    "empty_file_header_only_blank": (
        _csv_case("kids.csv", "\n\n"),
        "kids.csv",
        1,
        "header",
        "header row",
    ),
    "csv_that_is_a_pdf": (
        _csv_case("kids.csv", b"%PDF-1.7\n..."),
        "kids.csv",
        "-",
        "file",
        "a PDF",
    ),
    "invalid_geometry": (
        _vector_case(
            "hazards.geojson",
            _geojson(
                [
                    {"type": "Polygon", "coordinates": SQUARE},
                    {"type": "Polygon", "coordinates": BOWTIE},
                ]
            ),
            ("Polygon", "MultiPolygon"),
        ),
        "hazards.geojson",
        2,
        "geometry",
        "Self-intersection",
    ),
    "empty_geometry": (
        _vector_case(
            "hazards.geojson",
            _geojson([{"type": "Polygon", "coordinates": SQUARE}, None]),
            ("Polygon", "MultiPolygon"),
        ),
        "hazards.geojson",
        2,
        "geometry",
        "empty",
    ),
    "wrong_geometry_type": (
        _vector_case(
            "hazards.geojson",
            _geojson([{"type": "Point", "coordinates": [139.0, 35.0]}]),
            ("Polygon", "MultiPolygon"),
        ),
        "hazards.geojson",
        1,
        "geometry",
        "Point",
    ),
    "broken_geojson": (
        _vector_case("hazards.geojson", b'{"type": "FeatureCollection", "features": [', None),
        "hazards.geojson",
        "-",
        "file",
        "readable",
    ),
    "zip_with_parent_paths": (
        _zip_case("n03.zip", _zip({"n03/a.shp": b"x", "../../outside.shp": b"x"})),
        "n03.zip",
        "../../outside.shp",
        "member",
        "climbs out",
    ),
    "zip_bomb": (
        _zip_case("n03.zip", _zip({"a.csv": b"0" * (16 * 1024 * 1024)})),
        "n03.zip",
        "a.csv",
        "member",
        "zip bomb",
    ),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_each_malformed_file_gives_one_clear_error(case, tmp_path):
    reader, name, row, field, words = CORPUS[case]
    with pytest.raises(ValidationError) as info:
        reader(tmp_path)
    exc = info.value
    assert isinstance(exc, IkemapError)
    message = str(exc)
    assert message.startswith(f"{name}: ")
    assert "Traceback" not in message
    hits = [p for p in exc.problems if p.column == field and str(p.row) == str(row)]
    assert hits, f"no problem at row {row}, field {field}: {message}"
    assert any(words in f"{p.value} {p.expected}" for p in hits), message


def test_good_file_passes_the_same_checks(tmp_path):
    frame = _csv_case("kids.csv", GOOD)(tmp_path)
    assert frame["child_id"].tolist() == ["c1", "c2"]
    cp932 = _csv_case(
        "kids.csv", ("管理番号,age,lat,lon,child_id\n山田,4,35.6,139.7,c1\n").encode("cp932")
    )
    assert cp932(tmp_path)["管理番号"].tolist() == ["山田"]
    bom = _csv_case("kids.csv", b"\xef\xbb\xbf" + GOOD.encode())
    assert list(bom(tmp_path).columns)[0] == "child_id"


def test_all_problems_of_a_file_are_reported_together(tmp_path):
    text = HEADER + "c1,4,a,139.7,35.6\nc1,5,b,35.6,139.7\nc3,6,c\n"
    path = tmp_path / "kids.csv"
    path.write_text(text)
    with pytest.raises(ValidationError) as info:
        safe_io.read_csv(path, unique=["child_id"])
    assert sorted((p.row, p.column) for p in info.value.problems) == [
        (3, "child_id"),
        (4, "fields"),
    ]


# ---------------------------------------------------------------------------------------------
# atomic workspace writes


OPTIONAL = {"mobility": [None], "municipality_code": [None], "has_evac_plan": [None]}
OPTIONAL["last_verified"] = [None]


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def small_ws(tmp_path):
    path = tmp_path / "w.gpkg"
    kids = gpd.GeoDataFrame(
        {"child_id": ["c1"], "age": [4], "care": [["suction"]], **OPTIONAL},
        geometry=[Point(139.7, 35.6)],
        crs="EPSG:4326",
    )
    workspace.write_layers(path, {"children": kids})
    return path


def test_invalid_layer_leaves_workspace_byte_identical(small_ws):
    before = _digest(small_ws)
    bad = gpd.GeoDataFrame(
        {"child_id": ["c1", "c1"], "age": [4, -1], "care": [["suction"], ["wings"]]}
        | {k: v * 2 for k, v in OPTIONAL.items()},
        geometry=[Point(139.7, 35.6), Point()],
        crs="EPSG:4326",
    )
    with pytest.raises(ValidationError) as info:
        workspace.write_layers(small_ws, {"children": bad})
    columns = {p.column for p in info.value.problems}
    assert {"child_id", "age", "care", "geometry"} <= columns
    assert _digest(small_ws) == before
    assert sorted(p.name for p in small_ws.parent.iterdir()) == ["w.gpkg"]


def test_failure_in_the_middle_of_a_write_leaves_workspace_byte_identical(small_ws, monkeypatch):
    before = _digest(small_ws)
    calls = []
    real = workspace._write_one

    def flaky(path, layer, frame):
        calls.append(layer)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        return real(path, layer, frame)

    monkeypatch.setattr(workspace, "_write_one", flaky)
    frames = {
        "metadata": pd.DataFrame({"key": ["a"], "value": ["1"]}),
        "children": gpd.GeoDataFrame(
            {"child_id": ["c9"], "age": [3], "care": [["oxygen"]], **OPTIONAL},
            geometry=[Point(139.0, 35.0)],
            crs="EPSG:4326",
        ),
    }
    with pytest.raises(OSError, match="disk full"):
        workspace.write_layers(small_ws, frames, validate_schema=False)
    assert calls == ["metadata", "children"]
    assert _digest(small_ws) == before
    assert sorted(p.name for p in small_ws.parent.iterdir()) == ["w.gpkg"]
    assert workspace.read(small_ws, "children")["child_id"].tolist() == ["c1"]
