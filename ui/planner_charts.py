"""Altair charts of the planner tools (transition, consultations); no streamlit, so the CLI can
write the same chart as HTML. Inputs are tables that already passed the access gate: a hidden
count is NA and is drawn as a 「<10」 label, never as a bar."""

from __future__ import annotations

import altair as alt
import pandas as pd

_TEXT = {
    "ja": {
        "year": "年後",
        "cumulative": "18歳到達（累計）",
        "confirmed": "確認済み定員",
        "possible": "定員（能力不明を含む）",
        "area": "圏域",
        "month": "月",
        "count": "相談件数",
        "category": "分類",
        "hidden": "<10",
        "places": "定員",
    },
    "en": {
        "year": "years ahead",
        "cumulative": "turning 18 (cumulative)",
        "confirmed": "confirmed places",
        "possible": "places incl. unknown capability",
        "area": "area",
        "month": "month",
        "count": "consultations",
        "category": "category",
        "hidden": "<10",
        "places": "places",
    },
}


def transition_chart(long, *, lang="ja"):
    """Bars of children turning 18 (cumulative) per year and area, with the places as lines.

    Parameters
    ----------
    long : DataFrame
        :func:`analysis.transition.long_form` of a gated projection.
    lang : {"ja", "en"}

    Returns
    -------
    altair.FacetChart
    """
    tx = _TEXT.get(lang, _TEXT["ja"])
    data = long.copy()
    data["cumulative"] = pd.to_numeric(data["cumulative"], errors="coerce")
    data["hidden"] = [tx["hidden"] if pd.isna(v) else "" for v in data["cumulative"]]
    data["label_y"] = data["cumulative"].fillna(0)
    data[tx["confirmed"]] = pd.to_numeric(data["places_confirmed"], errors="coerce")
    data[tx["possible"]] = pd.to_numeric(data["places_possible"], errors="coerce")
    base = alt.Chart()
    bars = base.mark_bar(color="#4c78a8").encode(
        x=alt.X("year:O", title=tx["year"]),
        y=alt.Y("cumulative:Q", title=tx["cumulative"], axis=alt.Axis(format="d")),
        tooltip=["area_name", "year", "cumulative", "places_confirmed", "places_possible"],
    )
    hidden = base.mark_text(dy=-6, color="#555").encode(x="year:O", y="label_y:Q", text="hidden:N")
    rules = (
        base.transform_fold([tx["confirmed"], tx["possible"]], as_=["kind", "places"])
        .mark_rule(strokeDash=[4, 3])
        .encode(
            y="places:Q",
            color=alt.Color(
                "kind:N",
                title=tx["places"],
                scale=alt.Scale(
                    domain=[tx["confirmed"], tx["possible"]], range=["#d62728", "#ff9896"]
                ),
            ),
        )
    )
    return (
        alt.layer(bars, hidden, rules, data=data)
        .properties(width=150, height=130)
        .facet(facet=alt.Facet("area_name:N", title=tx["area"]), columns=3)
        .resolve_scale(y="independent")
    )


def consultation_chart(counts, *, lang="ja", by="category"):
    """Monthly consultations (seasonality): one line per category summed over areas.

    Parameters
    ----------
    counts : DataFrame
        Gated long counts with ``month`` (YYYY-MM), ``category`` (label), ``count`` (NA when
        hidden).
    lang : {"ja", "en"}
    by : str
        Column drawn as colour.

    Returns
    -------
    altair.Chart
    """
    tx = _TEXT.get(lang, _TEXT["ja"])
    data = counts.copy()
    data["count"] = pd.to_numeric(data["count"], errors="coerce")
    data["hidden"] = [tx["hidden"] if pd.isna(v) else "" for v in data["count"]]
    data["label_y"] = data["count"].fillna(0)
    base = alt.Chart(data)
    line = base.mark_line(point=True).encode(
        x=alt.X("month:O", title=tx["month"]),
        y=alt.Y("count:Q", title=tx["count"]),
        color=alt.Color(f"{by}:N", title=tx["category"]),
        tooltip=["month", by, "count"],
    )
    hidden = base.mark_text(dy=-6, color="#555").encode(
        x="month:O", y="label_y:Q", text="hidden:N", color=alt.Color(f"{by}:N", legend=None)
    )
    return alt.layer(line, hidden).properties(width=640, height=260)


def seasonal_heatmap(counts, *, lang="ja"):
    """Heatmap of counts by area (rows) and month (columns); hidden cells read 「<10」."""
    tx = _TEXT.get(lang, _TEXT["ja"])
    data = counts.copy()
    data["count"] = pd.to_numeric(data["count"], errors="coerce")
    data["text"] = [tx["hidden"] if pd.isna(v) else str(int(v)) for v in data["count"]]
    base = alt.Chart(data).encode(
        x=alt.X("month:O", title=tx["month"]), y=alt.Y("area_name:N", title=tx["area"])
    )
    rect = base.mark_rect().encode(
        color=alt.Color("count:Q", title=tx["count"], scale=alt.Scale(scheme="blues"))
    )
    text = base.mark_text(fontSize=10).encode(text="text:N")
    return (rect + text).properties(width=640)
