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
    path = report.write(ctx, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:4] == ["概要", "圏域別ギャップ", "児童別アクセス", "避難・安否確認"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.column_dimensions["A"].width >= 8
    head = [c.value for c in wb["児童別アクセス"][1]]
    assert head[:5] == ["管理番号", "サービス種別", "順位", "事業所番号", "所要時間（分）"]
    assert wb["避難・安否確認"]["A2"].value == 1


def test_planner_workbook_has_no_child_rows(ctx, tmp_path):
    path = report.write(ctx, tmp_path / "p.xlsx", role="planner")
    wb = openpyxl.load_workbook(path)
    assert "児童別アクセス" not in wb.sheetnames and "避難・安否確認" not in wb.sheetnames
    heads = [c.value for c in wb["圏域別ギャップ"][1]]
    col = heads.index("児数") + 1
    # 1 and 3 children per area: hidden
    assert all(wb["圏域別ギャップ"].cell(r, col).value is None for r in range(2, 6))


def test_html_is_offline_and_has_no_child_points(ctx, tmp_path):
    path = report.write(ctx, tmp_path / "r.html")
    text = path.read_text(encoding="utf-8")
    assert "<svg" in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in text and "<script" not in text
    assert "c1" not in text and "c3" not in text  # no child ids
    assert "<10" in text or "&lt;10" in text  # the child count is suppressed
    with pytest.raises(ValueError, match="xlsx"):
        report.write(ctx, tmp_path / "r.pdf")


def test_cli_commands_write_csv_and_layers(tmp_path):
    import pandas as pd

    from geo import workspace
    from ikemap.cli import main

    ws = tmp_path / "w.gpkg"
    workspace.write_layers(ws, world())
    assert main(["coverage", "-w", str(ws), "--out", str(tmp_path / "ca.csv")]) == 0
    assert main(["gaps", "-w", str(ws), "--out", str(tmp_path / "g.csv")]) == 0
    assert main(["evacuation", "-w", str(ws), "--out", str(tmp_path / "ev.csv")]) == 0
    ca = pd.read_csv(tmp_path / "ca.csv", encoding="utf-8")
    assert list(ca.columns[:3]) == ["child_id", "service", "rank"] and len(ca) == 12
    ev = pd.read_csv(tmp_path / "ev.csv", encoding="utf-8")
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
