"""End to end: `ikemap import` of a 立川市/多摩 workspace from the real files, then the analyses.

The 圏域 table and the child register are SYNTHETIC (generated here, seeded): no official 圏域
definition or real child is used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo import workspace
from ikemap import cli

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

SEED = 20240401
N_CHILDREN = 40


def _synthetic_areas(shared_data, path):
    """SYNTHETIC 圏域 table over every Tokyo code of the N03 file: two kinds, wide layout,
    6-digit codes (with check digit) on even rows and 5-digit N03 codes on odd rows."""
    from geo.importers.areas import check_digit

    n03 = pd.read_json(shared_data / "admin_boundaries" / "N03-21_13_210101.geojson")
    props = pd.DataFrame([f["properties"] for f in n03["features"]])
    props = props[props["N03_007"].notna()].drop_duplicates("N03_007")
    rows = []
    for i, (code, name) in enumerate(zip(props["N03_007"], props["N03_004"], strict=True)):
        ward = code.startswith("131")
        island = int(code[2:]) >= 360
        kind1 = "区部（合成）" if ward else ("島しょ（合成）" if island else "多摩（合成）")
        kind2 = (
            kind1
            if ward or island
            else ("立川周辺（合成）" if code in TAMA_WEST else "多摩他（合成）")
        )
        shown = f"{code}{check_digit(code)}" if i % 2 == 0 else code
        rows.append(
            {
                "市区町村コード": shown,
                "市区町村名": name,
                "障害保健福祉圏域（合成）": kind1,
                "二次医療圏（合成）": kind2,
                "備考": "SYNTHETIC test table",
            }
        )
    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8-sig")
    return len(rows)


#: 立川市 and neighbours (a made-up grouping for the synthetic table).
TAMA_WEST = {"13202", "13211", "13213", "13222", "13223", "13228"}


def _synthetic_register(shared_data, path):
    """SYNTHETIC child register over 立川市 町丁目 points (seeded): lat/lon rows, address rows,
    one unresolvable address. Written in CP932 as registers exported from Excel are."""
    rng = np.random.default_rng(SEED)
    pts = pd.read_csv(shared_data / "address_points" / "geolonia_machi_chome_13.csv")
    pts = pts[(pts["city"] == "立川市") & pts["lat"].notna()].reset_index(drop=True)
    care_labels = [
        "人工呼吸器",
        "気管切開",
        "吸引",
        "経管栄養",
        "胃ろう",
        "導尿",
        "oxygen",
        "insulin",
    ]
    rows = []
    for i in range(N_CHILDREN):
        p = pts.iloc[int(rng.integers(len(pts)))]
        care = rng.choice(care_labels, size=int(rng.integers(1, 4)), replace=False)
        row = {
            "管理番号": f"S{i:03d}",
            "年齢": int(rng.integers(0, 18)),
            "医療的ケア": "、".join(care),
            "緯度": "",
            "経度": "",
            "住所": "",
            "個別避難計画": rng.choice(["済", "未"]),
        }
        if i % 4 == 0:
            row["住所"] = (
                f"東京都立川市{p['town']}{int(rng.integers(1, 30))}-{int(rng.integers(1, 20))}"
            )
        else:
            row["緯度"] = round(p["lat"] + rng.normal(0, 0.0008), 6)
            row["経度"] = round(p["lng"] + rng.normal(0, 0.0008), 6)
        rows.append(row)
    rows[-1].update({"緯度": "", "経度": "", "住所": "東京都立川市存在しない町9-9"})
    pd.DataFrame(rows).to_csv(path, index=False, encoding="cp932")


@pytest.fixture(scope="module")
def tama(shared_data, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tama")
    n_munis = _synthetic_areas(shared_data, tmp / "圏域_synthetic.csv")
    _synthetic_register(shared_data, tmp / "register_synthetic.csv")
    d = shared_data
    ws = tmp / "tama.gpkg"
    argv = [
        "import", "--workspace", str(ws),
        "--boundaries", str(d / "admin_boundaries" / "N03-21_13_210101.geojson"),
        "--areas", str(tmp / "圏域_synthetic.csv"),
        "--roads", str(d / "osm_roads" / "tachikawa" / "tachikawa_drive.graphml"), "--clip",
        "--facilities", str(d / "facilities" / "home_nursing" / "houmon_kango_13.csv"),
        "--format", "kaigo",
        "--shelters", str(d / "facilities" / "evacuation_sites" / "gsi_shitei_hinanjo_13.geojson"),
        "--shelters",
        str(d / "facilities" / "evacuation_sites" / "gsi_shitei_kinkyu_hinanbasho_13.geojson"),
        "--hazards", str(d / "hazards" / "tokyo_landslide" / "tokyo_dosekiryu_tokubetsu.geojson"),
        "--hazards", str(d / "hazards" / "tokyo_landslide" / "tokyo_jisuberi.geojson"),
        "--hazard-layout", "tokyo", "--hazard-layout", "tokyo",
        "--children", str(tmp / "register_synthetic.csv"),
        "--address-points", str(d / "address_points" / "geolonia_machi_chome_13.csv"),
        "--report", str(tmp / "report.csv"),
    ]  # fmt: skip
    code = cli.main(argv)
    return {"ws": ws, "code": code, "tmp": tmp, "n_munis": n_munis}


def test_import_writes_every_layer_and_balanced_reports(tama):
    assert tama["code"] == 0
    ws = tama["ws"]
    layers = set(workspace.layers(ws))
    assert set(workspace.INPUT_LAYERS) <= layers
    for name in workspace.INPUT_LAYERS:
        workspace.read(ws, name, validate_schema=True)
    summary = workspace.read(ws, "import_summary")
    for r in summary.itertuples():
        assert int(r.rows_read) == int(r.rows_accepted) + int(r.rows_rejected), r.file
    munis = workspace.read(ws, "municipalities")
    assert len(munis) == tama["n_munis"] == 62
    members = workspace.read(ws, "area_members")
    assert len(members) == 2 * 62  # two kinds, every municipality once each
    areas = workspace.read(ws, "areas").set_index("area_id")
    assert areas.loc["二次医療圏（合成）:立川周辺（合成）", "n_municipalities"] == len(TAMA_WEST)


def test_children_addresses_resolved_and_unresolved_listed(tama):
    kids = workspace.read(tama["ws"], "children")
    assert len(kids) == N_CHILDREN - 1
    # jittered lat/lon rows near the city edge may fall in a neighbour: that is where they are
    assert (kids["municipality_code"] == "13202").mean() > 0.8
    by_address = kids[kids["location_source"].str.startswith("address:")]
    assert len(by_address) == N_CHILDREN // 4  # rows 0, 4, 8, ... give an address
    assert set(by_address["municipality_code"]) == {"13202"}
    unresolved = workspace.read(tama["ws"], "children_unresolved")
    assert list(unresolved["child_id"]) == [f"S{N_CHILDREN - 1:03d}"]
    report = pd.read_csv(tama["tmp"] / "report.csv")
    rej = report[(report["status"] == "rejected") & (report["file"] == "register_synthetic.csv")]
    assert list(rej["field"]) == ["住所"] and "存在しない町" in rej["value"].iloc[0]
    ireland = report[report["value"] == "53.41291,-8.24389"]
    assert len(ireland) == 2


def test_repairs_and_hazards_in_workspace(tama):
    hz = workspace.read(tama["ws"], "hazards")
    assert len(hz) == 1688 + 65 and set(hz["level"]) == {1, 2}
    report = pd.read_csv(tama["tmp"] / "report.csv")
    assert (report["status"] == "repaired").sum() == 7


def test_analyses_run_on_the_imported_workspace(tama):
    context = pytest.importorskip("analysis.context")
    from analysis import coverage, evacuation, gaps

    ctx = context.load(tama["ws"])
    access = coverage.child_access(ctx)
    assert len(access) > 0 and set(access["child_id"]) <= {f"S{i:03d}" for i in range(N_CHILDREN)}
    nurse = access[(access["service"] == "visiting_nurse") & (access["rank"] == 1)]
    assert nurse["child_id"].nunique() == len(nurse) == N_CHILDREN - 1
    assert (nurse["minutes"] < 30).mean() > 0.9  # 31 stations inside Tachikawa's road graph
    area = gaps.area_gaps(ctx, area_kind="二次医療圏（合成）", threshold=1)
    assert len(area) > 0
    evac = evacuation.evacuation(ctx)
    assert len(evac) == N_CHILDREN - 1


def test_address_points_kept_for_the_app_address_search(tama):
    """--address-points is stored as the workspace's address_points layer, so the
    coordinator page can search a 立川市 address typed as a person would."""
    from geo import geocode

    pts = workspace.read(tama["ws"], "address_points")
    assert {"pref", "city", "town", "municipality_code"} <= set(pts.columns)
    tachikawa = pts[pts["city"] == "立川市"]
    assert len(tachikawa) == 79 and set(tachikawa["municipality_code"]) == {"13202"}
    for typed in ("東京都立川市錦町２丁目３番１号", "立川市錦町二丁目3-1", "立川市　錦町2-3"):
        hit = geocode.geocode(typed, workspace=tama["ws"])
        assert (hit.status, hit.town) == ("found", "錦町二丁目"), (typed, hit.status)
