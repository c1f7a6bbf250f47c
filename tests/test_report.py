"""Reports on the hand-made world: workbook layout and the offline HTML summary."""

from __future__ import annotations

import openpyxl
import pytest
from analysis_world import world

from analysis import context, report


@pytest.fixture(scope="module")
def ctx():
    return context.from_layers(world())


def test_workbook_sheets_headers_frozen(ctx, tmp_path):
    path = report.write(ctx, tmp_path / "r.xlsx", who="admin")
    wb = openpyxl.load_workbook(path)
    kinds = [f"圏域別ギャップ（{k}）" for k in ctx.area_kinds()]
    assert wb.sheetnames[: 2 + len(kinds) + 2] == [
        "概要",
        "凡例",
        *kinds,
        "児童別アクセス",
        "避難・安否確認",
    ]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.column_dimensions["A"].width >= 8
    head = [c.value for c in wb["児童別アクセス"][1]]
    assert head[:5] == ["管理番号", "サービス種別", "順位", "事業所番号", "所要時間（分）"]
    assert wb["避難・安否確認"]["A2"].value == 1


def test_planner_workbook_has_no_child_rows(ctx, tmp_path):
    path = report.write(ctx, tmp_path / "p.xlsx", who="planner")
    wb = openpyxl.load_workbook(path)
    assert "児童別アクセス" not in wb.sheetnames and "避難・安否確認" not in wb.sheetnames
    sheet = wb[f"圏域別ギャップ（{ctx.area_kinds()[0]}）"]
    heads = [c.value for c in sheet[1]]
    col = heads.index("児数") + 1
    # 1 and 3 children per area: hidden, labelled (<10 for 1-9, 秘匿 for a complement)
    cells = [sheet.cell(r, col).value for r in range(2, sheet.max_row + 1)]
    assert cells and all(v in ("<10", "秘匿", 0) for v in cells)
    assert "<10" in cells
    # flags keep their Japanese labels; the header names region, kinds and thresholds
    assert "フラグ（説明）" in heads
    summary = {r[0].value: r[1].value for r in wb["概要"].iter_rows(min_row=2)}
    assert summary["圏域の種類"] == "、".join(ctx.area_kinds())
    assert "分" in summary["到達時間のしきい値"] and "10人未満" in summary["秘匿のしきい値"]
    for kind in ctx.area_kinds():
        assert f"{kind}: 不足フラグのある圏域×サービス" in summary
    assert summary["医療的ケア児"] in ("<10", "秘匿")  # 4 children in the small world
    legend = [r[0].value for r in wb["凡例"].iter_rows(min_row=2)]
    assert "<10" in legend and "秘匿" in legend


def test_html_is_offline_and_has_no_child_points(ctx, tmp_path):
    path = report.write(ctx, tmp_path / "r.html")
    text = path.read_text(encoding="utf-8")
    assert "<svg" in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in text and "<script" not in text
    assert "c1" not in text and "c3" not in text  # no child ids
    assert "&lt;10" in text  # the child count is suppressed
    assert "凡例" in text and "作成日" in text and "圏域の種類" in text
    with pytest.raises(ValueError, match="xlsx"):
        report.write(ctx, tmp_path / "r.pdf")


def test_cli_commands_write_csv_and_layers(tmp_path):
    import pandas as pd

    from geo import workspace
    from ikemap.cli import main

    ws = tmp_path / "w.gpkg"
    workspace.write_layers(ws, world())
    admin = ["--role", "admin"]
    assert main(["coverage", "-w", str(ws), "--out", str(tmp_path / "ca.csv"), *admin]) == 0
    assert main(["gaps", "-w", str(ws), "--out", str(tmp_path / "g.csv")]) == 0
    assert main(["evacuation", "-w", str(ws), "--out", str(tmp_path / "ev.csv"), *admin]) == 0
    ca = pd.read_csv(tmp_path / "ca.csv", encoding="utf-8-sig")
    assert list(ca.columns[:3]) == ["child_id", "service", "rank"] and len(ca) == 12
    ev = pd.read_csv(tmp_path / "ev.csv", encoding="utf-8-sig")
    assert ev["triage_rank"].tolist() == [1, 2, 3, 4]
    assert {"child_access", "area_gaps", "evacuation"} <= set(workspace.layers(ws))
    assert (
        main(["gaps", "-w", str(ws), "--out", str(tmp_path / "x.csv"), "--area-kind", "nope"]) == 2
    )
    assert (
        main(
            [
                "sites",
                "-w",
                str(ws),
                "--service",
                "nope",
                "--k",
                "1",
                "--out",
                str(tmp_path / "s.csv"),
            ]
        )
        == 2
    )
