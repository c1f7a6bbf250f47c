r"""Hardened intake of files users upload or point ikemap at.

Every check raises :class:`geo.errors.ValidationError` whose problems name the file, the row (or
``-``), the field and what was expected, so the CLI and the app show one clear paragraph and
never a traceback:

* :func:`check_file` / :func:`check_bytes`: size limit, extension allowed, content matching the
  extension by its magic bytes (a ``.csv`` that is really a zip or an executable is refused).
* :func:`check_zip` / :func:`extract_zip`: members with absolute paths, ``..``, drive letters or
  symbolic links are refused; so are zip bombs (too many members, a compression ratio above
  :data:`MAX_ZIP_RATIO`, a total above :data:`MAX_ZIP_TOTAL_BYTES`); extraction counts the
  bytes really written, not the sizes the archive claims.
* :func:`read_text`: UTF-8 (with or without BOM), then CP932; otherwise an error naming the line
  and byte of the first character that fits neither.
* :func:`detect_encoding`: the one encoding detection of ikemap (UTF-8, then CP932).
* :func:`read_records` (lenient: bad rows listed for the importer to reject) and
  :func:`read_csv` (strict: any problem raises) parse CSV with the delimiter found by
  :func:`sniff_delimiter`; an unclosed quote (truncated file), a row with too many or too few
  cells, a cell longer than :data:`MAX_FIELD_CHARS` or holding control characters (NUL), an
  empty or headerless file, blank or repeated headers (:func:`header_problems`) are reported.
  :func:`geo.importers.reading.read_table` is the importers' use of them.
* :data:`LAT_RANGE` / :data:`LON_RANGE`: Japan's plausible coordinates, the one definition
  (:mod:`geo.importers.places`, :mod:`geo.importers.geometry_check`).
* :func:`stage_upload`: the checks above, then the upload written under a safe name in a
  folder of its own (zips extracted safely); returns the path an importer reads.

Limits are module attributes (the :mod:`geo.settings` pattern): change
``geo.safe_io.MAX_UPLOAD_BYTES`` for a session.

Examples
--------
>>> check_bytes("kids.csv", "child_id,age\nc1,4\n".encode())
'text'
>>> check_bytes("kids.csv", b"PK\x03\x04rest")
Traceback (most recent call last):
...
geo.errors.ValidationError: kids.csv: 1 problem(s) found:
kids.csv row -: file is 'a zip archive'; expected a text file (.csv).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

import pandas as pd

from .errors import ValidationError
from .workspace import Problem

logger = logging.getLogger(__name__)

#: Largest upload accepted (bytes).
MAX_UPLOAD_BYTES = 200 * 1024 * 1024

#: Largest total uncompressed size of a zip (bytes).
MAX_ZIP_TOTAL_BYTES = 1024 * 1024 * 1024

#: Largest compression ratio of a zip member (uncompressed / compressed); higher is a bomb.
MAX_ZIP_RATIO = 100

#: Most members in a zip.
MAX_ZIP_MEMBERS = 2000

#: Longest CSV field (characters); longer is an error, never a silently truncated value.
MAX_FIELD_CHARS = 10_000

#: Encodings tried, in order, for text without a declared encoding.
ENCODINGS = ("utf-8-sig", "cp932")

#: Extension to the kind of content it must hold.
ALLOWED = {
    ".csv": "text",
    ".tsv": "text",
    ".txt": "text",
    ".geojson": "json",
    ".json": "json",
    ".gpkg": "sqlite",
    ".zip": "zip",
    ".xlsx": "zip",
    ".osm": "xml",
    ".graphml": "xml",
    ".pbf": "pbf",
    ".shp": "shp",
    ".shx": "shp",
    ".dbf": "binary",
    ".prj": "text",
    ".cpg": "text",
    ".qix": "binary",
    ".xml": "xml",
}

_KIND_TEXT = {
    "text": "a text file",
    "json": "a JSON/GeoJSON text starting with '{' or '['",
    "sqlite": "a GeoPackage (SQLite) file",
    "zip": "a zip archive",
    "xml": "an XML file (.osm, .graphml)",
    "pbf": "an OSM PBF file",
    "shp": "a Shapefile part",
    "binary": "a binary file",
    "utf16": "UTF-16 text",
}


def _fail(name, problems):
    raise ValidationError(problems, str(name))


def _problem(name, field, value, expected, row="-"):
    return Problem(str(name), row, field, value, expected)


_FOREIGN = {
    b"MZ": "an executable",
    b"\x7fELF": "an executable",
    b"%PDF": "a PDF",
    b"\xd0\xcf\x11\xe0": "an old Office file (.xls/.doc)",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-zip archive",
}


def sniff(data):
    r"""Name the kind of content from its first bytes (``zip``, ``sqlite``, ``text``, ...).

    Examples
    --------
    >>> sniff(b"SQLite format 3\x00..."), sniff(b"PK\x03\x04"), sniff(b"a,b\n1,2")
    ('sqlite', 'zip', 'text')
    """
    head = bytes(data[:4096])
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if head[:4] == b"\x00\x00\x27\x0a" and len(head) >= 8:  # Shapefile main/index file code 9994
        return "shp"
    if b"OSMHeader" in head[:64]:
        return "pbf"
    for magic, kind in _FOREIGN.items():
        if head.startswith(magic):
            return kind
    stripped = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf16"
    if head.count(b"\x00") > max(8, len(head) // 50):
        # a NUL or two inside a text cell is a row problem (reported by read_records), not a
        # binary file; many NULs are
        return "binary"
    if stripped.startswith(b"<"):
        return "xml"
    if stripped.startswith((b"{", b"[")):
        return "json"
    return "text"


def _fits(expected, found):
    if expected == found:
        return True
    if expected == "text":
        return found in ("text", "json", "xml")
    if expected == "binary":
        return found in ("binary", "text", "shp")
    if expected == "json":
        return found == "json"
    return False


def check_bytes(name, data, *, allowed=None, max_bytes=None):
    """Check an upload held in memory; return its kind or raise ValidationError.

    Parameters
    ----------
    name : str
        File name as uploaded (its extension decides what the content must be).
    data : bytes
        The content.
    allowed : iterable of str, optional
        Extensions accepted here (default every key of :data:`ALLOWED`).
    max_bytes : int, optional
        Size limit (default :data:`MAX_UPLOAD_BYTES`).
    """
    return _check(name, len(data), bytes(data[:4096]), allowed=allowed, max_bytes=max_bytes)


def check_file(path, *, allowed=None, max_bytes=None):
    """Check a file on disk like :func:`check_bytes` (reads only its first bytes)."""
    path = Path(path)
    if not path.is_file():
        _fail(path.name, [_problem(path.name, "file", str(path), "an existing file")])
    with path.open("rb") as fh:
        head = fh.read(4096)
    return _check(path.name, path.stat().st_size, head, allowed=allowed, max_bytes=max_bytes)


def _check(name, size, head, *, allowed, max_bytes):
    name = str(name)
    limit = MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
    suffix = Path(name).suffix.lower()
    allowed = {s.lower() for s in (allowed or ALLOWED)}
    problems = []
    if suffix not in allowed:
        problems.append(
            _problem(name, "extension", suffix or "(none)", f"one of {', '.join(sorted(allowed))}")
        )
    if size > limit:
        problems.append(
            _problem(name, "size", f"{size:,} bytes", f"at most {limit:,} bytes; split the file")
        )
    if size == 0:
        problems.append(_problem(name, "size", "0 bytes", "a file with content (it is empty)"))
    expected = ALLOWED.get(suffix)
    found = sniff(head) if size else "empty"
    if found == "utf16" and expected in ("text", "json", "xml"):
        problems.append(
            _problem(
                name,
                "encoding",
                "UTF-16",
                "UTF-8 or CP932 (Shift_JIS) text: save it from Excel as 'CSV UTF-8'",
                row=1,
            )
        )
    elif expected and size and not _fits(expected, found):
        shown = _KIND_TEXT.get(found, found)
        problems.append(
            _problem(name, "file", shown, f"{_KIND_TEXT.get(expected, expected)} ({suffix})")
        )
    if problems:
        _fail(name, problems)
    return expected


# ---------------------------------------------------------------------------------------------
# zip archives


def _unsafe_member(member):
    """Return why a zip member name is unsafe, or None."""
    name = member.filename
    if "\x00" in name:
        return "a name without NUL characters"
    if name.startswith(("/", "\\")) or PureWindowsPath(name).drive:
        return "a relative path (it is absolute)"
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if ".." in parts:
        return "a path inside the archive (it climbs out with '..')"
    mode = member.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "a regular file (it is a symbolic link)"
    return None


def check_zip(source, *, name=None, max_total=None, max_ratio=None, max_members=None):
    """Check a zip's members without extracting; return the list of safe member names.

    Parameters
    ----------
    source : path or bytes
        The archive.
    name : str, optional
        File name used in messages (default the path's name).
    max_total, max_ratio, max_members : optional
        Limits (default :data:`MAX_ZIP_TOTAL_BYTES`, :data:`MAX_ZIP_RATIO`,
        :data:`MAX_ZIP_MEMBERS`).
    """
    name = name or (
        Path(source).name if not isinstance(source, bytes | bytearray) else "upload.zip"
    )
    max_total = MAX_ZIP_TOTAL_BYTES if max_total is None else max_total
    max_ratio = MAX_ZIP_RATIO if max_ratio is None else max_ratio
    max_members = MAX_ZIP_MEMBERS if max_members is None else max_members
    fh = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        archive = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError) as exc:
        _fail(name, [_problem(name, "file", str(exc), "a readable zip archive")])
    problems = []
    with archive:
        members = archive.infolist()
        if len(members) > max_members:
            problems.append(
                _problem(name, "members", len(members), f"at most {max_members} files in the zip")
            )
        total = 0
        names = []
        for m in members:
            why = _unsafe_member(m)
            if why:
                problems.append(_problem(name, "member", m.filename, why, row=m.filename))
                continue
            if m.flag_bits & 0x1:
                problems.append(
                    _problem(name, "member", m.filename, "an unencrypted file", row=m.filename)
                )
                continue
            total += m.file_size
            ratio = m.file_size / max(m.compress_size, 1)
            if m.file_size > 1024 * 1024 and ratio > max_ratio:
                problems.append(
                    _problem(
                        name,
                        "member",
                        f"{m.filename} ({ratio:,.0f}:1)",
                        f"a compression ratio of at most {max_ratio}:1 (a zip bomb?)",
                        row=m.filename,
                    )
                )
            if Path(m.filename).suffix.lower() == ".zip":
                problems.append(
                    _problem(name, "member", m.filename, "no zip inside the zip", row=m.filename)
                )
            if not m.is_dir():
                names.append(m.filename)
        if total > max_total:
            problems.append(
                _problem(
                    name,
                    "size",
                    f"{total:,} bytes uncompressed",
                    f"at most {max_total:,} bytes once unpacked (this looks like a zip bomb)",
                )
            )
    if problems:
        _fail(name, problems)
    return names


def extract_zip(source, dest, *, name=None, **limits):
    """Extract a checked zip into ``dest``, counting the bytes really written.

    Returns the list of extracted file paths. A member that unpacks to more than it declared,
    or a total past the limit, stops the extraction with a ValidationError (the partial folder
    is removed by :func:`stage_upload`).
    """
    names = check_zip(source, name=name, **limits)
    name = name or (
        Path(source).name if not isinstance(source, bytes | bytearray) else "upload.zip"
    )
    max_total = limits.get("max_total") or MAX_ZIP_TOTAL_BYTES
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    fh = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    written = 0
    out = []
    with zipfile.ZipFile(fh) as archive:
        for member in names:
            info = archive.getinfo(member)
            target = (root / member.replace("\\", "/")).resolve()
            if not target.is_relative_to(root):
                _fail(name, [_problem(name, "member", member, "a path inside the archive")])
            target.parent.mkdir(parents=True, exist_ok=True)
            size = 0
            with archive.open(info) as src, target.open("wb") as dst:
                while chunk := src.read(1 << 20):
                    size += len(chunk)
                    written += len(chunk)
                    if size > info.file_size or written > max_total:
                        _fail(
                            name,
                            [
                                _problem(
                                    name,
                                    "member",
                                    member,
                                    "no more bytes than the archive declares (zip bomb)",
                                )
                            ],
                        )
                    dst.write(chunk)
            out.append(target)
    logger.info("Extracted %d files (%s bytes) from %s", len(out), f"{written:,}", name)
    return out


# ---------------------------------------------------------------------------------------------
# text and CSV


_PRIVATE = re.compile("[\ue000-\uf8ff]")

#: Control characters no cell may hold (tab, newline and carriage return are allowed).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _decode_position(data):
    """Return (encoding, None) for the first encoding that fits, else (None, bad offset)."""
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8-sig", None
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError as exc:
        return None, exc.start
    # Python maps the bytes 0xA0 and 0xFD-0xFF to private-use characters: never real text
    odd = _PRIVATE.search(text)
    if odd is None:
        return "cp932", None
    return None, len(text[: odd.start()].encode("cp932"))


def detect_encoding(data):
    r"""Return the first of :data:`ENCODINGS` that decodes ``data`` (bytes), or None.

    The one encoding detection of ikemap: importers, uploads and Shapefile attributes use it.

    Examples
    --------
    >>> detect_encoding("立川市".encode("utf-8")), detect_encoding("①㈱".encode("cp932"))
    ('utf-8-sig', 'cp932')
    >>> detect_encoding(b"\xff\xfe\x00") is None
    True
    """
    return _decode_position(bytes(data))[0]


#: The encoding :func:`read_text` names for CP932 text behind a UTF-8 byte-order mark.
CP932_AFTER_BOM = "cp932 (after a UTF-8 BOM)"


def read_text(source, *, name=None):
    r"""Decode a text file: UTF-8 (BOM or not), else CP932; return ``(text, encoding)``.

    CP932 text behind a UTF-8 byte-order mark is read as CP932 (encoding
    :data:`CP932_AFTER_BOM`, which importers note).

    Examples
    --------
    >>> read_text("市町村".encode("cp932"), name="a.csv")
    ('市町村', 'cp932')
    >>> read_text(b"\xef\xbb\xbf" + "市町村①".encode("cp932"), name="a.csv")
    ('市町村①', 'cp932 (after a UTF-8 BOM)')
    >>> try:
    ...     read_text(b"ok\n\x82\xff", name="a.csv")
    ... except ValidationError as exc:
    ...     print(exc.problems[0].row, exc.problems[0].value)
    2 byte 0x82 at offset 3
    """
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
        name = name or "upload"
    else:
        data = Path(source).read_bytes()
        name = name or Path(source).name
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or sniff(data[:4096]) == "binary":
        enc = "UTF-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "binary"
        _fail(
            name,
            [
                _problem(
                    name,
                    "encoding",
                    enc,
                    "UTF-8 or CP932 (Shift_JIS) text: save it from Excel as 'CSV UTF-8'",
                    row=1,
                )
            ],
        )
    enc, first = _decode_position(data)
    if enc is not None:
        return data.decode(enc), ("utf-8" if enc == "utf-8-sig" else enc)
    if data.startswith(b"\xef\xbb\xbf") and _decode_position(data[3:])[0] == "cp932":
        # a UTF-8 byte-order mark in front of CP932 text (some tools add one to any CSV): the
        # text is CP932; the caller notes it (the encoding says so)
        return data[3:].decode("cp932"), CP932_AFTER_BOM
    line = data[:first].count(b"\n") + 1
    bad = data[first : first + 1]
    _fail(
        name,
        [
            _problem(
                name,
                "encoding",
                f"byte 0x{bad.hex()} at offset {first}",
                "UTF-8 or CP932 (Shift_JIS) text: save it from Excel as 'CSV UTF-8' and import "
                "it again",
                row=line,
            )
        ],
    )
    return None  # not reached


def sniff_delimiter(text, *, suffix=".csv"):
    r"""The delimiter of a table from its header line: ``\t`` for .tsv, else ``,``, tab or ``;``.

    Examples
    --------
    >>> sniff_delimiter("a,b\n1,2"), sniff_delimiter("a\tb\n"), sniff_delimiter("a;b")
    (',', '\t', ';')
    """
    if str(suffix).lower() == ".tsv":
        return "\t"
    head = text.lstrip("\ufeff").split("\n", 1)[0]
    for sep in (",", "\t", ";"):
        if sep in head:
            return sep
    return ","


@dataclass
class Records:
    """Records of a table as :func:`read_records` found them (nothing dropped).

    ``records`` are ``(row, cells)`` with ``row`` the spreadsheet row (header = 1); ``bad`` are
    row problems (a row with too many or too few cells, an over-long cell, a control
    character): the importer rejects those rows; ``errors`` are problems of the whole file.
    """

    header: list
    records: list
    bad: list
    errors: list


def cell_problems(name, row, header, cells, *, max_field_chars=None):
    r"""Problems of one row's cells: too long, or holding control characters (NUL ...).

    Examples
    --------
    >>> [p.column for p in cell_problems("k.csv", 2, ["id", "age"], ["K2\x00", "4"])]
    ['id']
    """
    limit = MAX_FIELD_CHARS if max_field_chars is None else max_field_chars
    out = []
    for col, value in zip(header, cells, strict=False):
        if len(value) > limit:
            out.append(
                Problem(
                    name,
                    row,
                    col,
                    f"{value[:20]}... ({len(value):,} characters)",
                    f"at most {limit:,} characters in a cell (is a column pasted into one cell?)",
                )
            )
        elif CONTROL.search(value):
            out.append(
                Problem(
                    name,
                    row,
                    col,
                    value.encode("unicode_escape").decode("ascii")[:60],
                    "text without control characters (NUL, \\x1b ...); retype the cell",
                )
            )
    return out


def header_problems(name, header):
    """Problems of a header row: blank names, and names that repeat (after NFKC, any case).

    Examples
    --------
    >>> [p.value for p in header_problems("k.csv", ["lat", "lon", "ｌａｔ"])]
    ["'lat' (column 1) and 'ｌａｔ' (column 3)"]
    >>> [p.value for p in header_problems("k.xlsx", ["児の台帳（令和6年度）", "", ""])]
    ["'児の台帳（令和6年度）' (the only name in row 1)"]
    """
    named = [h for h in header if h]
    if len(header) >= 3 and len(named) == 1:
        # a title (often merged cells across the sheet) above the real header row
        return [
            Problem(
                name,
                1,
                "header",
                f"{named[0]!r} (the only name in row 1)",
                "the column names in row 1: row 1 looks like a title (merged cells); delete "
                "the title rows above the header, and write a header spread over two rows "
                "(e.g. 位置 over 緯度/経度) as one row, one name per column",
            )
        ]
    out = []
    seen = {}
    for pos, h in enumerate(header, start=1):
        if not h:
            out.append(
                Problem(
                    name,
                    1,
                    "header",
                    f"(blank, column {pos})",
                    "a name for every column (a merged header cell leaves the columns after "
                    "it blank: one name per column, in one row)",
                )
            )
            continue
        key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", h)).casefold()
        if key in seen:
            first, fpos = seen[key]
            out.append(
                Problem(
                    name,
                    1,
                    "header",
                    f"{first!r} (column {fpos}) and {h!r} (column {pos})",
                    "each column once: the same column twice would make one of them win "
                    "silently; delete or rename one",
                )
            )
        else:
            seen[key] = (h, pos)
    return out


def read_records(text, *, name, delimiter=",", max_field_chars=None):
    r"""Parse CSV text leniently: every record kept with its row number, problems listed.

    Unlike :func:`read_csv` nothing raises for a bad row: it goes to ``bad`` so the importer
    rejects that row and imports the rest. A file whose last quote never closes (a truncated
    export) or that has no header is an error of the whole file.

    Examples
    --------
    >>> got = read_records("id,age\nc1,4\nc2,5,x\n", name="k.csv")
    >>> got.header, got.records, [(p.row, p.column) for p in got.bad]
    (['id', 'age'], [(2, ['c1', '4'])], [(3, 'fields')])
    """
    limit = MAX_FIELD_CHARS if max_field_chars is None else max_field_chars
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max(len(text) + 1, 131072))
    records, bad, errors = [], [], []
    header = []
    try:
        try:
            header = next(reader, None)
        except csv.Error as exc:
            header = None
            errors.append(_problem(name, "header", str(exc), "a readable header row", 1))
        if header is None or not any(h.strip() for h in header):
            if not errors:
                errors.append(
                    _problem(name, "header", "(empty)", "a header row naming the columns", 1)
                )
            return Records([], [], [], errors)
        header = [h.strip().lstrip("\ufeff").strip() for h in header]
        width = len(header)
        row = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                row += 1
                if "unexpected end of data" in str(exc):
                    errors.append(
                        _problem(
                            name,
                            "file",
                            "end of file inside a quoted cell",
                            "a closing quote (the file looks truncated; export it again)",
                            row=row,
                        )
                    )
                    break
                bad.append(
                    _problem(
                        name,
                        "row",
                        str(exc),
                        'well-formed CSV: a quote inside a cell is written twice ("")',
                        row=row,
                    )
                )
                continue
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            row += 1
            if len(cells) != width:
                extra = cells[width:] if len(cells) > width else []
                hint = (
                    "; a decimal comma or an unquoted comma splits a cell: write 35.68 or "
                    'quote the cell ("1,000")'
                    if extra
                    else "; the row is cut short"
                )
                bad.append(
                    _problem(
                        name,
                        "fields",
                        f"{len(cells)} cells",
                        f"{width} cells like the header{hint}",
                        row=row,
                    )
                )
                continue
            problems = cell_problems(name, row, header, cells, max_field_chars=limit)
            if problems:
                bad.extend(problems)
                continue
            records.append((row, [c.strip() for c in cells]))
    finally:
        csv.field_size_limit(old_limit)
    return Records(header, records, bad, errors)


def read_csv(
    source, *, name=None, required=None, unique=None, max_field_chars=None, delimiter=None
):
    r"""Read a CSV strictly into a DataFrame of strings; raise with every problem at once.

    The same parser as the importers (:func:`read_records`), but any bad row is an error
    instead of a rejected row: for small tables ikemap reads whole or not at all (a candidate
    site list, a rules table).

    Parameters
    ----------
    source : path or bytes
        The file.
    name : str, optional
        File name used in messages.
    required : list of str, optional
        Columns that must be present.
    unique : list of str, optional
        Columns whose non-empty values must not repeat (ids; compared after NFKC, any case).
    max_field_chars : int, optional
        Longest field (default :data:`MAX_FIELD_CHARS`).
    delimiter : str, optional
        Default: detected from the header (:func:`sniff_delimiter`).

    Returns
    -------
    DataFrame
        All cells ``str`` (``""`` when empty), header stripped of spaces and BOM; the index is
        the spreadsheet row minus 2.

    Examples
    --------
    >>> read_csv(b"child_id,age\nc1,4\n", name="kids.csv")["age"].tolist()
    ['4']
    >>> try:
    ...     read_csv(b'child_id,age\nc1,4\nc2,"5', name="kids.csv")
    ... except ValidationError as exc:
    ...     print(exc.problems[0].describe())  # doctest: +ELLIPSIS
    kids.csv row 3: file is 'end of file inside a quoted cell'; expected a closing quote...
    """
    if name is None:
        name = "upload.csv" if isinstance(source, bytes | bytearray) else Path(source).name
    text, _enc = read_text(source, name=name)
    sep = delimiter or sniff_delimiter(text, suffix=Path(str(name)).suffix)
    got = read_records(text, name=name, delimiter=sep, max_field_chars=max_field_chars)
    problems = list(got.errors)
    if got.errors:
        _fail(name, problems)
    problems += header_problems(name, got.header) + list(got.bad)
    for col in required or ():
        if col not in got.header:
            problems.append(
                _problem(name, col, "(missing column)", f"a column {col!r} in the header", 1)
            )
    for col in unique or ():
        if col not in got.header:
            continue
        k = got.header.index(col)
        first = {}
        for row, cells in got.records:
            key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", cells[k])).casefold()
            if not key:
                continue
            if key in first:
                problems.append(
                    _problem(
                        name, col, cells[k], f"a unique id (it repeats row {first[key]})", row=row
                    )
                )
            else:
                first[key] = row
    if problems:
        _fail(name, sorted(problems, key=lambda p: (str(p.row).zfill(12), p.column)))
    return pd.DataFrame(
        [c for _, c in got.records],
        columns=got.header,
        index=[row - 2 for row, _ in got.records],
        dtype=object,
    )


# ---------------------------------------------------------------------------------------------
# coordinates


#: Latitude range of Japan, 沖ノ鳥島 (20.4°N) to 択捉島 (45.6°N), with a margin. The one
#: definition: :mod:`geo.importers.places` and the geometry checks use these tuples.
LAT_RANGE = (20.0, 46.0)
#: Longitude range of Japan, 与那国島 (122.9°E) to 南鳥島 (153.99°E), with a margin.
LON_RANGE = (122.0, 154.5)
JAPAN_LAT = LAT_RANGE
JAPAN_LON = LON_RANGE


# ---------------------------------------------------------------------------------------------
# staging uploads


_SAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


def safe_name(name):
    """A file name safe to write: no folders, no control or shell characters, 100 chars max.

    Examples
    --------
    >>> safe_name("../../etc/passwd"), safe_name("施設 一覧.csv"), safe_name("..")
    ('passwd', '施設_一覧.csv', 'upload')
    """
    base = PureWindowsPath(str(name).replace("\x00", "")).name
    base = PurePosixPath(base).name
    base = unicodedata.normalize("NFKC", base)
    base = _SAFE.sub("_", base).strip("._") or "upload"
    stem, dot, ext = base.rpartition(".")
    if dot and len(ext) <= 10:
        return stem[: 100 - len(ext) - 1] + "." + ext
    return base[:100]


def stage_upload(name, data, dest_dir, *, allowed=None, max_bytes=None):
    r"""Check an upload and write it under ``dest_dir``; return the path to import.

    A zip is extracted safely into its own folder; the returned path is its single ``.shp``,
    ``.geojson``, ``.gpkg`` or ``.csv`` when there is one, else the folder. On any error nothing
    is left behind.

    Examples
    --------
    >>> import tempfile
    >>> p = stage_upload("kids.csv", b"child_id,age\nc1,4\n", tempfile.mkdtemp())
    >>> p.name, p.read_bytes()[:8]
    ('kids.csv', b'child_id')
    """
    import shutil
    import tempfile

    kind = check_bytes(name, data, allowed=allowed, max_bytes=max_bytes)
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=dest_dir))
    try:
        target = folder / safe_name(name)
        if kind == "zip" and Path(name).suffix.lower() == ".zip":
            files = extract_zip(bytes(data), folder / target.stem, name=str(name))
            main = [f for f in files if f.suffix.lower() in (".shp", ".geojson", ".gpkg", ".csv")]
            return main[0] if len(main) == 1 else folder / target.stem
        target.write_bytes(bytes(data))
        return target
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
