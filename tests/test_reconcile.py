"""Register reconciliation on three hand-made lists (as of 2024-06-01), answers worked by hand.

nurses (保健師):      N1 Ａ００１ 2015-04-01 99001 吸引・経管栄養 (verified 2024-03-01)
                      N2 A002 2018-07-07 99001 人工呼吸器
                      N3 A003 2020-01-15 99002 在宅酸素
                      N4 A004 2016-05-05 99002 導尿
                      N5 A002 2018-07-07 99001 人工呼吸器   (same id twice in one list)
education (教育委員会): E1 A001 2015/4/1 99001 吸引 (verified 2024-04-01) -> id: P1, care differs
                      E2 E-2 2018-07-07 99001 人工呼吸器 -> birth+municipality+care: P2, 0.9
                      E3 E-3 2012-02-02 99002 導尿 -> education only
                      E4 A004 2016-06-05 99002 導尿 -> id: P4, birth dates differ
                      E5 A003 2020-01-15 99001 在宅酸素 -> id: P3, municipality differs
nicu (NICU退院):       C1 (no id) 2023-08-01 99001 気管切開・吸引 -> nicu only
                      C2 (no id) 2020-01-15 二町 在宅酸素 -> birth+municipality (N3): P3, 0.9
                      C3 N-77 age 8 (no birth) 99002 導尿 -> possible match with N4 (0.5)

Persons in order of first record: P1 {N1,E1}, P2 {N2,E2}, P3 {N3,E5,C2}, P4 {N4,E4}, P5 {N5},
P6 {E3}, P7 {C1}, P8 {C3}.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from analysis import reconcile
from geo import workspace
from geo.errors import ValidationError
from ikemap.cli import main

AS_OF = dt.date(2024, 6, 1)
MUNIS = pd.DataFrame({"code": ["99001", "99002"], "name": ["一町", "二町"]})

NURSES = """管理番号,生年月日,市区町村コード,医療的ケア,確認日
Ａ００１,2015-04-01,99001,吸引、経管栄養,2024-03-01
A002,2018-07-07,99001,人工呼吸器,2024-02-01
A003,2020-01-15,99002,在宅酸素,2024-02-01
A004,2016-05-05,99002,導尿,2024-02-01
A002,2018-07-07,99001,人工呼吸器,2024-02-01
"""
EDUCATION = """id,生年月日,市区町村コード,医療的ケア,確認日
A001,2015/4/1,99001,吸引,2024-04-01
E-2,2018-07-07,99001,人工呼吸器,2024-04-01
E-3,2012-02-02,99002,導尿,2024-04-01
A004,2016-06-05,99002,導尿,2024-04-01
A003,2020-01-15,99001,在宅酸素,2024-04-01
"""
NICU = """管理番号,生年月日,年齢,市区町村,医療的ケア
,2023-08-01,,一町,気管切開;吸引
,2020-01-15,,二町,在宅酸素
N-77,,8,二町,導尿
"""


def _files(tmp_path):
    out = {}
    for name, text in (("nurses", NURSES), ("education", EDUCATION), ("nicu", NICU)):
        p = tmp_path / f"{name}.csv"
        p.write_text(text, encoding="utf-8")
        out[name] = p
    return out


@pytest.fixture
def recon(tmp_path):
    lists = []
    for name, path in _files(tmp_path).items():
        recs, problems = reconcile.read_list(path, source=name, municipalities=MUNIS, as_of=AS_OF)
        assert problems == []
        lists.append(recs)
    return reconcile.reconcile(lists)


def test_nfkc_and_read(tmp_path):
    recs, _ = reconcile.read_list(
        _files(tmp_path)["nurses"], source="nurses", municipalities=MUNIS, as_of=AS_OF
    )
    assert recs["child_id"].tolist() == ["A001", "A002", "A003", "A004", "A002"]
    assert recs.loc[0, "age"] == 9 and recs.loc[0, "care"] == ["suction", "tube_feeding"]
    nicu, _ = reconcile.read_list(
        _files(tmp_path)["nicu"], source="nicu", municipalities=MUNIS, as_of=AS_OF
    )
    assert nicu["municipality_code"].tolist() == ["99001", "99002", "99002"]
    assert nicu["record_id"].tolist() == ["nicu:row2", "nicu:row3", "nicu:N-77"]


def test_persons_and_scores(recon):
    r = recon.records.set_index("record_id")
    person = r["person"].to_dict()
    assert person["nurses:A001"] == person["education:A001"] == "P00001"
    assert person["nurses:A002"] == "P00002" and person["education:E-2"] == "P00002"
    assert person["nurses:A002@row6"] == "P00005"
    assert person["nurses:A003"] == person["education:A003"] == person["nicu:row3"] == "P00003"
    assert person["nurses:A004"] == person["education:A004"] == "P00004"
    assert len(recon.register) == 8
    reg = recon.register.set_index("person")
    assert reg.loc["P00001", "match_score"] == 1.0
    assert reg.loc["P00002", "match_score"] == 0.9
    assert reg.loc["P00003", "match_score"] == 0.9
    assert r.loc["nicu:row3", "method"] == "birth_municipality_care"
    # the register keeps each record's sources and the latest verification
    assert reg.loc["P00001", "sources"] == ["nurses", "education"]
    assert reg.loc["P00001", "source_ids"] == "nurses:A001;education:A001"
    assert reg.loc["P00001", "last_verified"] == "2024-04-01"
    assert reg.loc["P00001", "verified_by_source"] == "nurses:2024-03-01;education:2024-04-01"
    assert reg.loc["P00001", "care"] == ["suction"]  # from the newest record
    assert reg.loc["P00001", "conflicts"] == ["care"]
    assert reg.loc["P00003", "sources"] == ["nurses", "education", "nicu"]
    assert reg.loc["P00003", "conflicts"] == ["municipality"]
    assert reg.loc["P00007", "child_id"] == "P00007"  # no id in any source


def test_issues_per_municipality(recon):
    got = {
        (m, k, p)
        for m, k, p in recon.issues[["municipality_code", "kind", "person"]].itertuples(index=False)
    }
    expected = {
        ("99001", "only_in", "P00001"),
        ("99001", "care_conflict", "P00001"),
        ("99001", "only_in", "P00002"),
        ("99001", "municipality_conflict", "P00003"),
        ("99001", "only_in", "P00005"),
        ("99001", "duplicate_in_source", "P00002;P00005"),
        ("99001", "only_in", "P00007"),
        ("99002", "municipality_conflict", "P00003"),
        ("99002", "only_in", "P00004"),
        ("99002", "age_conflict", "P00004"),
        ("99002", "only_in", "P00006"),
        ("99002", "only_in", "P00008"),
        ("99002", "possible_match", "P00004/P00008"),
    }
    assert got == expected
    only = recon.issues[(recon.issues["kind"] == "only_in")].set_index("person")
    assert only.loc["P00006", "sources_present"] == "education"
    assert only.loc["P00006", "sources_missing"] == "nurses;nicu"
    summ = reconcile.summary(recon).set_index("municipality_code")
    assert summ.loc["99001", "only_in"] == 4 and summ.loc["99002", "only_in"] == 3


def test_return_tables_name_the_records(recon):
    tables = reconcile.return_tables(recon, municipalities=MUNIS)
    assert sorted(tables) == ["99001", "99002"]
    t = tables["99001"]
    care = t[t["kind"] == "care_conflict"].set_index("source")
    assert care.loc["nurses", "care"] == "吸引・経管栄養"
    assert care.loc["education", "care"] == "吸引"
    assert (t["municipality"] == "一町").all()


def test_min_score_links_less(tmp_path):
    lists = [
        reconcile.read_list(p, source=n, municipalities=MUNIS, as_of=AS_OF)[0]
        for n, p in _files(tmp_path).items()
    ]
    strict = reconcile.reconcile(lists, min_score=0.95)  # only id links
    person = strict.records.set_index("record_id")["person"]
    assert person["nurses:A002"] != person["education:E-2"]
    assert person["nurses:A001"] == person["education:A001"]
    with pytest.raises(ValueError, match="min_score"):
        reconcile.reconcile(lists, min_score=0)


def test_bad_rows_and_files(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(
        "管理番号,生年月日,市区町村コード,医療的ケア\n"
        "X1,2015-02-30,99001,吸引\n"  # no such day
        ",,99001,吸引\n"  # nothing to match on
        "X3,2015-01-01,99009,吸引\n"  # not a municipality of the workspace
        "X4,2015-01-01,99001,カラオケ\n",  # unknown care: kept, care unknown
        encoding="utf-8",
    )
    recs, problems = reconcile.read_list(p, source="x", municipalities=MUNIS, as_of=AS_OF)
    assert [pr.row for pr in problems] == [2, 3, 4, 5]
    assert recs["child_id"].tolist() == ["X4"] and recs.loc[0, "care"] is None
    q = tmp_path / "nocols.csv"
    q.write_text("名前,年齢\nA,3\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="care"):
        reconcile.read_list(q, source="y")


@pytest.fixture
def tiny_workspace(tmp_path):
    path = tmp_path / "w.gpkg"
    munis = gpd.GeoDataFrame(
        MUNIS.assign(pref="デモ県"),
        geometry=[box(143, 31, 143.5, 31.5), box(143.5, 31, 144, 31.5)],
        crs="EPSG:4326",
    )
    workspace.write_layers(path, {"municipalities": munis})
    return path


def test_cli_lists_to_return_files(tiny_workspace, tmp_path, capsys):
    f = _files(tmp_path)
    out = tmp_path / "out"
    args = ["reconcile", "-w", str(tiny_workspace), "--out-dir", str(out), "--as-of", "2024-06-01"]
    args += [x for n, p in f.items() for x in ("--list", f"{n}={p}")]
    assert main([*args, "--write-register"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["reconcile_99001.csv", "reconcile_99002.csv", "register.csv", "summary.csv"]
    back = pd.read_csv(out / "reconcile_99002.csv", dtype=str, encoding="utf-8-sig")
    assert set(back["kind"]) == {"municipality_conflict", "only_in", "age_conflict",
                                 "possible_match"}  # fmt: skip
    reg = pd.read_csv(out / "register.csv", dtype=str, encoding="utf-8-sig")
    assert len(reg) == 8 and "sources" in reg and "last_verified" in reg
    stored = workspace.read(tiny_workspace, "children_register")
    assert len(stored) == 8
    assert "8 children" in capsys.readouterr().out
    # a planner never gets individual records
    assert main([*args, "--role", "planner"]) == 2
    # a coordinator of 99002 gets only that municipality's file
    out2 = tmp_path / "out2"
    scoped = [a if a != str(out) else str(out2) for a in args]
    assert main([*scoped, "--role", "coordinator", "--scope", "99002"]) == 0
    assert sorted(p.name for p in out2.iterdir() if p.name.startswith("reconcile_")) == [
        "reconcile_99002.csv"
    ]
    reg2 = pd.read_csv(out2 / "register.csv", dtype=str, encoding="utf-8-sig")
    assert set(reg2["municipality_code"]) == {"99002"}


def test_import_source_never_replaces(tiny_workspace, tmp_path, capsys):
    f = _files(tmp_path)
    ws = str(tiny_workspace)
    assert main(["import", "-w", ws, "--children", str(f["nurses"]), "--source", "nurses"]) == 0
    assert main(["import", "-w", ws, "--children", str(f["education"]), "--source", "教育"]) == 0
    stored = workspace.read(tiny_workspace, "child_sources")
    assert stored["source"].value_counts().to_dict() == {"nurses": 5, "教育": 5}
    # the same source again replaces only its own rows
    assert main(["import", "-w", ws, "--children", str(f["nurses"]), "--source", "nurses"]) == 0
    assert len(workspace.read(tiny_workspace, "child_sources")) == 10
    assert "children" not in workspace.layers(tiny_workspace)
    out = tmp_path / "o"
    assert main(["reconcile", "-w", ws, "--out-dir", str(out), "--as-of", "2024-06-01"]) == 0
    assert "10 records from 2 sources" in capsys.readouterr().out


def test_import_children_refuses_to_replace(tiny_workspace, tmp_path, capsys):
    kids = tmp_path / "kids.csv"
    kids.write_text("管理番号,年齢,医療的ケア,緯度,経度\nK1,3,吸引,31.2,143.2\n", encoding="utf-8")
    ws = str(tiny_workspace)
    assert main(["import", "-w", ws, "--children", str(kids)]) == 0
    before = tiny_workspace.read_bytes()
    kids2 = tmp_path / "kids2.csv"
    kids2.write_text("管理番号,年齢,医療的ケア,緯度,経度\nK9,5,吸引,31.2,143.7\n", encoding="utf-8")
    assert main(["import", "-w", ws, "--children", str(kids2)]) == 2
    assert "--replace-children" in capsys.readouterr().out
    assert tiny_workspace.read_bytes() == before
    assert main(["import", "-w", ws, "--children", str(kids2), "--replace-children"]) == 0
    assert workspace.read(tiny_workspace, "children")["child_id"].tolist() == ["K9"]


def test_age_coverage_of_a_source(tmp_path):
    lists = [
        reconcile.read_list(p, source=n, municipalities=MUNIS, as_of=AS_OF)[0]
        for n, p in _files(tmp_path).items()
    ]
    r = reconcile.reconcile(lists, coverage=reconcile.parse_coverage(["nicu=0-3"]))
    only = r.issues[r.issues["kind"] == "only_in"].set_index("person")["sources_missing"]
    # P1 (9), P2 (5), P4 (8) are in nurses and education: the NICU list is not expected to
    # hold them; P5 (5, nurses only) misses education; P8 (8, NICU only) misses both
    assert only.to_dict() == {
        "P00005": "education",
        "P00006": "nurses",
        "P00007": "nurses;education",
        "P00008": "nurses;education",
    }
    with pytest.raises(ValueError, match="SOURCE=LO-HI"):
        reconcile.parse_coverage(["nicu=3-1"])


def test_cli_user_needs_a_password(tiny_workspace, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("IKEMAP_PASSWORD", raising=False)
    f = _files(tmp_path)
    args = ["reconcile", "-w", str(tiny_workspace), "--out-dir", str(tmp_path / "o"),
            "--list", f"nurses={f['nurses']}", "--list", f"education={f['education']}",
            "--user", "someone"]  # fmt: skip
    assert main(args) == 2
    assert "IKEMAP_PASSWORD" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
