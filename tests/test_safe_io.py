"""geo.safe_io: upload type and size checks, safe zips, names, staging."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from geo import safe_io
from geo.errors import IkemapError, ValidationError


def _zip(members, *, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members.items():
            if isinstance(data, zipfile.ZipInfo):
                zf.writestr(data, b"target")
            else:
                zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"SQLite format 3\x00rest", "sqlite"),
        (b"PK\x03\x04rest", "zip"),
        ("管理番号,年齢\n".encode("cp932"), "text"),
        (b'\xef\xbb\xbf{"type": "FeatureCollection"}', "json"),
        (b"  <?xml version='1.0'?><osm>", "xml"),
        (b"MZ\x90\x00", "an executable"),
        (b"%PDF-1.7", "a PDF"),
    ],
)
def test_sniff(data, kind):
    assert safe_io.sniff(data) == kind


def test_check_bytes_accepts_matching_content():
    assert safe_io.check_bytes("a.csv", b"a,b\n1,2\n") == "text"
    assert safe_io.check_bytes("a.geojson", b'{"type":"FeatureCollection","features":[]}') == "json"
    assert safe_io.check_bytes("a.zip", _zip({"a.csv": b"x"})) == "zip"
    assert safe_io.check_bytes("A.GPKG", b"SQLite format 3\x00" + b"\x00" * 100) == "sqlite"


@pytest.mark.parametrize(
    ("name", "data", "field", "fragment"),
    [
        ("run.exe", b"MZ", "extension", "one of"),
        ("kids.csv", b"MZ\x90\x00" + b"\x00" * 10, "file", "an executable"),
        ("kids.csv", b"%PDF-1.4", "file", "a PDF"),
        ("w.gpkg", b"a,b\n", "file", "GeoPackage"),
        ("a.geojson", b"a,b\n1,2", "file", "JSON"),
        ("a.zip", b"not a zip", "file", "zip"),
        ("kids.csv", b"", "size", "empty"),
        ("noext", b"a", "extension", "(none)"),
    ],
)
def test_check_bytes_refuses_wrong_types(name, data, field, fragment):
    with pytest.raises(ValidationError) as info:
        safe_io.check_bytes(name, data)
    problems = info.value.problems
    assert any(p.column == field and fragment in f"{p.value} {p.expected}" for p in problems)
    assert name in str(info.value)


def test_size_limit(monkeypatch, tmp_path):
    with pytest.raises(ValidationError, match="at most 10 bytes"):
        safe_io.check_bytes("a.csv", b"a,b\n" * 10, max_bytes=10)
    monkeypatch.setattr(safe_io, "MAX_UPLOAD_BYTES", 5)
    f = tmp_path / "a.csv"
    f.write_bytes(b"a,b\n1,2\n")
    with pytest.raises(ValidationError, match="split the file"):
        safe_io.check_file(f)
    with pytest.raises(ValidationError, match="an existing file"):
        safe_io.check_file(tmp_path / "missing.csv")


def test_allowed_extensions_can_be_narrowed():
    with pytest.raises(ValidationError, match=r"one of \.csv"):
        safe_io.check_bytes("a.geojson", b"{}", allowed=[".csv"])


@pytest.mark.parametrize(
    "member",
    ["../evil.csv", "a/../../evil.csv", "/etc/passwd", "C:/Windows/evil.dll", "..\\evil.csv"],
)
def test_zip_with_escaping_paths_is_refused(member):
    data = _zip({"ok.csv": b"a", member: b"b"})
    with pytest.raises(ValidationError) as info:
        safe_io.check_zip(data, name="upload.zip")
    assert [p.value for p in info.value.problems] == [member]


def test_zip_symlink_and_nested_zip_are_refused():
    link = zipfile.ZipInfo("link.csv")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with pytest.raises(ValidationError, match="symbolic link"):
        safe_io.check_zip(_zip({"link.csv": link}), name="l.zip")
    with pytest.raises(ValidationError, match="no zip inside"):
        safe_io.check_zip(_zip({"inner.zip": b"PK"}), name="n.zip")


def test_zip_bombs_are_refused():
    bomb = _zip({"zeros.csv": b"0" * (8 * 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(ValidationError, match="zip bomb"):
        safe_io.check_zip(bomb, name="bomb.zip")
    # many members, or a total past the limit
    many = _zip({f"f{i}.csv": b"x" for i in range(30)})
    with pytest.raises(ValidationError, match="at most 20 files"):
        safe_io.check_zip(many, name="many.zip", max_members=20)
    with pytest.raises(ValidationError, match="once unpacked"):
        safe_io.check_zip(_zip({"a.csv": b"x" * 5000}), name="big.zip", max_total=1000)


def test_extract_zip_writes_only_inside_dest(tmp_path):
    data = _zip({"shp/a.shp": b"\x00\x00\x27\x0a" + b"\x00" * 96, "shp/a.dbf": b"d"})
    files = safe_io.extract_zip(data, tmp_path / "out", name="a.zip")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in files) == [
        "shp/a.dbf",
        "shp/a.shp",
    ]
    assert not (tmp_path / "evil.csv").exists()


def test_stage_upload(tmp_path):
    p = safe_io.stage_upload("../../etc/kids.csv", b"child_id,age\nc1,4\n", tmp_path)
    assert p.name == "kids.csv" and p.is_relative_to(tmp_path)
    shp = _zip({"n03/a.shp": b"\x00\x00\x27\x0a" + b"\x00" * 96, "n03/a.dbf": b"d"})
    staged = safe_io.stage_upload("n03.zip", shp, tmp_path)
    assert staged.name == "a.shp" and staged.is_relative_to(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(ValidationError):
        safe_io.stage_upload("evil.zip", _zip({"../x.csv": b"x"}), tmp_path)
    assert sorted(tmp_path.rglob("*")) == before


def test_safe_name():
    assert safe_io.safe_name("..\\..\\Windows\\a.csv") == "a.csv"
    assert safe_io.safe_name("a b;rm -rf.csv") == "a_b_rm_-rf.csv"
    assert safe_io.safe_name("\x00") == "upload"
    assert len(safe_io.safe_name("x" * 300 + ".csv")) == 100


def test_errors_are_ikemap_errors_without_traceback():
    with pytest.raises(IkemapError) as info:
        safe_io.check_bytes("a.csv", b"")
    assert "Traceback" not in str(info.value)


def test_read_csv_strict_reports_every_problem_with_the_importers_parser():
    from geo.errors import ValidationError

    data = "child_id;age\nＫ１;4\nk1;5\nc3\nc4;6\x00\n".encode()
    with pytest.raises(ValidationError) as info:
        safe_io.read_csv(data, name="k.csv", required=["child_id", "care"], unique=["child_id"])
    got = sorted((str(p.row), p.column) for p in info.value.problems)
    assert got == [("1", "care"), ("3", "child_id"), ("4", "fields"), ("5", "age")]
    ok = safe_io.read_csv(b"a;b\n1;2\n", name="ok.csv")
    assert ok.to_dict("list") == {"a": ["1"], "b": ["2"]}
