"""Pure map builders of ui.maps on a hand-made world: two areas, three facilities, four children."""

from __future__ import annotations

import folium
import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from ui import maps


@pytest.fixture(scope="module")
def world():
    crs = "EPSG:4326"
    municipalities = gpd.GeoDataFrame(
        {"code": ["99001", "99002"], "name": ["西町", "東町"], "pref": ["テスト県"] * 2},
        geometry=[box(139.0, 35.0, 139.1, 35.1), box(139.1, 35.0, 139.2, 35.1)],
        crs=crs,
    )
    areas = gpd.GeoDataFrame(
        {"area_id": ["A", "B"], "name": ["西圏域", "東圏域"], "kind": ["障害保健福祉圏域"] * 2},
        geometry=list(municipalities.geometry),
        crs=crs,
    )
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": ["f1", "f2", "f3"],
            "name": ["西病院", "東ステーション", "東デイ"],
            "service": ["short_stay_medical", "visiting_nurse", "child_development"],
            "capacity": [4, None, 10],
            "accepts": [["ventilator", "suction"], None, ["tube_feeding"]],
        },
        geometry=[Point(139.05, 35.05), Point(139.15, 35.05), Point(139.16, 35.06)],
        crs=crs,
    )
    children = gpd.GeoDataFrame(
        {
            "child_id": ["kid-001", "kid-002", "kid-003", "kid-004"],
            "age": [2, 5, 9, 14],
            "care": [["ventilator"], ["tube_feeding"], ["suction", "tube_feeding"], ["insulin"]],
        },
        geometry=[
            Point(139.01, 35.01),
            Point(139.02, 35.02),
            Point(139.03, 35.03),
            Point(139.15, 35.09),
        ],
        crs=crs,
    )
    hazards = gpd.GeoDataFrame(
        {
            "hazard_id": ["h1", "h2", "h3"],
            "hazard_type": ["flood", "flood", "landslide"],
            "level": [2, 4, 1],
            "label": ["0.5-3.0m", "5.0-10.0m", "warning zone"],
        },
        geometry=[
            box(139.0, 35.0, 139.05, 35.05),
            box(139.0, 35.0, 139.02, 35.02),
            box(139.15, 35.08, 139.2, 35.1),
        ],
        crs=crs,
    )
    shelters = gpd.GeoDataFrame(
        {
            "shelter_id": ["s1", "s2"],
            "name": ["西小学校", "東福祉センター"],
            "kind": ["designated_shelter", "welfare_shelter"],
            "has_power": [True, False],
        },
        geometry=[Point(139.06, 35.07), Point(139.17, 35.02)],
        crs=crs,
    )
    edges = gpd.GeoDataFrame(
        {"u": [1, 2, 3], "v": [2, 3, 4], "highway": ["primary", "residential", "motorway"]},
        geometry=[
            LineString([(139.0, 35.05), (139.1, 35.05)]),
            LineString([(139.1, 35.05), (139.1, 35.08)]),
            LineString([(139.0, 35.09), (139.2, 35.09)]),
        ],
        crs=crs,
    )
    return {
        "municipalities": municipalities,
        "areas": areas,
        "facilities": facilities,
        "children": children,
        "hazards": hazards,
        "shelters": shelters,
        "roads_edges": edges,
    }


def test_region_map_layers_and_legend(world):
    m = maps.region_map(world, role="planner", lang="ja")
    assert maps.feature_count(maps.layer(m, "市区町村境界")) == 2
    assert maps.feature_count(maps.layer(m, "圏域")) == 2
    assert maps.feature_count(maps.layer(m, "事業所")) == 3
    # roads: residential is not drawn, primary and motorway are (one feature per class)
    assert maps.feature_count(maps.layer(m, "主要道路")) == 2
    legend = maps.legends(m)
    assert len(legend) == 1
    assert "医療型短期入所" in legend[0].inner and "訪問看護" in legend[0].inner


def test_planner_sees_counts_not_children(world):
    m = maps.region_map(world, role="planner")
    assert maps.layer(m, "医療的ケア児（個人）") is None
    agg = maps.layer(m, "医療的ケア児（圏域別集計）")
    assert maps.feature_count(agg) == 2  # one count label per area
    html = m.get_root().render()
    texts = [p["html"] for p in maps.points(agg)]
    # 3 children in 西圏域 and 1 in 東圏域: both below the suppression threshold of 10
    assert ["&lt;10人" in t for t in texts] == [True, True]
    assert "kid-00" not in html  # no child id leaves for the planner


def test_coordinator_sees_children_with_power_colour(world):
    m = maps.region_map(world, role="coordinator")
    g = maps.layer(m, "医療的ケア児（個人）")
    assert maps.feature_count(g) == 4
    fills = [p["style"]["fillColor"] for p in maps.points(g)]
    # c1 ventilator and c3 suction are power-dependent (red), c2 and c4 are not
    assert fills == ["#d32f2f", "#1976d2", "#d32f2f", "#1976d2"]


def test_no_cdn_urls_and_leaflet_inlined(world):
    m = maps.region_map(world, role="planner")
    html = m.get_root().render()
    assert maps.external_urls(html) == []
    assert "data:text/javascript;base64," in html
    assert "cdn" not in html.lower()


def test_basemap_only_when_asked(world):
    m = maps.base_map(bounds=world["areas"].total_bounds, basemap=True)
    html = m.get_root().render()
    assert maps.external_urls(html) == [maps.GSI_TILES]
    tiles = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert len(tiles) == 1 and "地理院タイル" in tiles[0].options["attribution"]
    plain = maps.base_map(bounds=world["areas"].total_bounds).get_root().render()
    assert "cyberjapandata" not in plain


def test_choropleth_colours_and_legend(world):
    m = maps.base_map(bounds=world["areas"].total_bounds)
    import pandas as pd

    vals = pd.Series({"A": 0.0, "B": 10.0})
    maps.add_choropleth(m, world["areas"], vals, title="到達不可の児")
    g = maps.layer(m, "到達不可の児")
    gj = next(iter(g._children.values()))
    fills = [f["properties"]["fill"] for f in gj.data["features"]]
    assert fills == [maps.SCALE[0], maps.SCALE[-1]]
    assert len(maps.legends(m)) == 1
    assert len(maps.legends(m)[0].items) == len(maps.SCALE)


def test_colour_scale_nan_is_grey():
    colours, bins = maps.colour_scale([1.0, float("nan"), 3.0], n=2)
    assert colours[1] == "#cccccc"
    assert bins == [1.0, 2.0, 3.0]


def test_hazards_by_type_and_level(world):
    m = maps.base_map(bounds=world["areas"].total_bounds)
    maps.add_hazards(m, world["hazards"], min_level=2)
    flood = maps.layer(m, "洪水浸水想定区域")
    assert maps.feature_count(flood) == 2
    assert maps.layer(m, "土砂災害警戒区域") is None  # landslide level 1 < 2
    gj = next(iter(flood._children.values()))
    fills = [f["properties"]["fill"] for f in gj.data["features"]]
    assert fills == [maps.HAZARD_RAMP["flood"][1], maps.HAZARD_RAMP["flood"][3]]


def test_shelters_and_isochrone(world):
    m = maps.base_map(bounds=world["areas"].total_bounds)
    maps.add_shelters(m, world["shelters"], highlight=["s2"])
    maps.add_isochrone(m, box(139.0, 35.0, 139.05, 35.05), minutes=30)
    assert maps.feature_count(maps.layer(m, "避難所")) == 2
    assert maps.feature_count(maps.layer(m, "30分で届く範囲")) == 1
    html = m.get_root().render()
    assert "outline:3px solid #ffeb3b" in html  # s2 highlighted


def test_english_labels(world):
    m = maps.region_map(world, role="coordinator", lang="en")
    assert maps.layer(m, "Facilities") is not None
    assert "Medical short stay" in maps.legends(m)[0].inner


def test_scale_bar_is_metric_only(world):
    m = maps.base_map(bounds=world["areas"].total_bounds)
    html = m.get_root().render()
    assert "imperial: false" in html and "L.control.scale()" not in html


def test_fit_to_the_result_and_search_legend(world):
    m = maps.base_map(bounds=world["areas"].total_bounds)
    maps.fit_to(m, [35.05, 35.06], [139.05, 139.16], margin_deg=0.01)
    assert maps.fitted_bounds(m) == [[35.04, 139.04], [35.07, 139.17]]
    assert sum(type(c).__name__ == "FitBounds" for c in m._children.values()) == 1
    maps.add_search_legend(m, minutes=30, lang="ja")
    legend = maps.legends(m)[-1]
    assert [t for _, t in legend.items] == ["検索地点", "30分で届く範囲"]


def test_choropleth_explains_grey(world):
    import pandas as pd

    m = maps.base_map(bounds=world["areas"].total_bounds)
    maps.add_choropleth(m, world["areas"], pd.Series({"A": 80.0, "B": float("nan")}), title="率")
    texts = [t for _, t in maps.legends(m)[-1].items]
    assert texts[-1].startswith("灰色") and maps.NO_VALUE in [
        c for c, _ in maps.legends(m)[-1].items
    ]
    m = maps.base_map(bounds=world["areas"].total_bounds)
    maps.add_choropleth(m, world["areas"], pd.Series({"A": 80.0, "B": 40.0}), title="率")
    assert not any(t.startswith("灰色") for _, t in maps.legends(m)[-1].items)


def test_area_counts_drawn_above_facilities(world):
    m = maps.region_map(world, role="planner")
    names = [c.layer_name for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    assert names.index("医療的ケア児（圏域別集計）") > names.index("事業所")
