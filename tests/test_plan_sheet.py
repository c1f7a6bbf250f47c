"""Plan sheets, ward report and the disaster commands on the hand-made world."""

from __future__ import annotations

import pandas as pd
import pyogrio
import pytest
from analysis_world import world

from analysis import context, plan_sheet, ward_report
from geo import workspace
from ikemap import cli


@pytest.fixture(scope="module")
def ctx():
    return context.from_layers(world())


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    path = tmp_path_factory.mktemp("h7") / "world.gpkg"
    workspace.write_layers(path, world())
    return path


def test_sheets_hold_the_plan_of_each_child(ctx):
    html = plan_sheet.sheets_html(ctx, ["c2", "c4"], hazard_level=2)
    assert html.count('<section class="sheet">') == 2 and "@page { size: A4" in html
    c2, c4 = html.split('<section class="sheet">')[1:]
    # c2 lives in the 3-5 m flood: in the zone, leave before the water (5 min to S2)
    assert "レベル3（4m以上）" in c2 and "浸水前に避難" in c2 and "約5分" in c2
    assert "特別支援学校（S2" in c2 and "<svg" in c2 and "通行止めの道路リンク: 6→3" in c2
    # c4 is dry: the route avoids the flood, to S1 in 15 min on both networks
    assert "浸水区域を避ける経路" in c4 and "小学校（S1" in c4
    for blank in plan_sheet.BLANKS:
        assert blank in c2
    # offline: no scripts, no tiles, no web links
    assert "<script" not in html and "https://" not in html and "tile" not in html


def test_power_and_services_on_the_sheet(ctx):
    html = plan_sheet.sheets_html(ctx, ["c1"])
    assert "電源の確保" in html and "病院1" in html  # F1 has backup power, 5 min from c1
    assert "近くのサービス" in html and "医療型短期入所" in html


def test_unknown_child_and_municipality_lists(ctx):
    with pytest.raises(ValueError, match="zz"):
        plan_sheet.sheets_html(ctx, ["zz"])
    assert plan_sheet.children_of(ctx, municipality="99002") == ["c1", "c2", "c4"]
    with pytest.raises(ValueError, match="99001"):
        plan_sheet.children_of(ctx, municipality="12345")


def test_ward_report_counts_and_unmapped_is_na(ctx):
    t = ward_report.ward_report(ctx).set_index("code")
    assert t.loc["99002", "children"] == 3 and t.loc["99001", "children"] == 1
    # the flood square lies in the east only: the west has no flood map -> NA, not 0
    assert t.loc["99002", "flood"] == 1 and pd.isna(t.loc["99001", "flood"])
    assert not t.loc["99001", "flood_mapped"]
    assert t.loc["99002", "power_dependent"] == 1 and t.loc["99002", "in_zone"] == 1
    assert t.loc["99002", "no_plan"] == 2  # c1 and c4 (c2 has a plan)
    with pytest.raises(ValueError, match="designated cities"):
        ward_report.ward_report(ctx, city="東市")


def test_cli_plan_sheet_is_gated_and_audited(ws, tmp_path, capsys):
    out = tmp_path / "p.html"
    rc = cli.main(["plan-sheet", "-w", str(ws), "--municipality", "99002", "--out", str(out)])
    assert rc == 0 and out.read_text("utf-8").count('<section class="sheet">') == 3
    rc = cli.main(["plan-sheet", "-w", str(ws), "--child", "c1", "--out", str(out), "--role",
                   "planner"])  # fmt: skip
    assert rc == 2 and "aggregates only" in capsys.readouterr().err
    rc = cli.main(["plan-sheet", "-w", str(ws), "--child", "c3", "--out", str(out), "--role",
                   "disaster", "--scope", "99002"])  # fmt: skip
    assert rc != 0 and "scope" in capsys.readouterr().err
    from gate import audit

    log = audit.read(ws)
    assert any("個別避難計画" in str(v) for v in pd.DataFrame(log).astype(str).to_numpy().ravel())


def test_cli_evacuation_filters_routes_and_ward_report(ws, tmp_path):
    ev, wr = tmp_path / "ev.csv", tmp_path / "wr.csv"
    rc = cli.main(["evacuation", "-w", str(ws), "--out", str(ev), "--depth-min", "3",
                   "--role", "disaster", "--ward-report", str(wr)])  # fmt: skip
    assert rc == 0
    assert pd.read_csv(ev)["child_id"].tolist() == ["c2"]
    wards = pd.read_csv(wr, dtype={"municipality_code": str}, encoding="utf-8-sig")
    assert set(wards["municipality_code"]) == {"99001", "99002"}
    gp = tmp_path / "r.gpkg"
    rc = cli.main(["routes", "-w", str(ws), "--out", str(gp), "--child", "c4", "--child", "c2"])
    assert rc == 0
    r = pyogrio.read_dataframe(gp).set_index("child_id")
    assert r.loc["c4", "status"] == "ok" and r.loc["c2", "status"] == "in_zone"


def test_sheet_map_of_a_prepared_workspace_reads_only_the_roads_in_view(ctx, ws):
    """Loaded from the workspace (shapes not in memory), the sheet draws the same roads."""
    import re

    pat = re.compile(r'<path d="([^"]*)" fill="none" stroke="#bbb"')
    mem = plan_sheet.sheets_html(ctx, ["c2", "c4"], hazard_level=2)
    disk_ctx = context.load(ws)
    disk = plan_sheet.sheets_html(disk_ctx, ["c2", "c4"], hazard_level=2)
    assert disk_ctx.net.edge_geometry is None  # no shape of the whole network was loaded
    assert pat.sub("", mem) == pat.sub("", disk)
    a, b = pat.findall(mem), pat.findall(disk)
    assert len(a) == len(b) == 2
    for x, y in zip(a, b, strict=True):
        assert sorted(x.split("M")) == sorted(y.split("M"))
