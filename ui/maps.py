"""Pure map builders: workspace frames in, ``folium.Map`` out (no Streamlit, testable alone).

Offline first: every map loads Leaflet from the copy vendored in ``ui/static/leaflet`` (inlined
as ``data:`` URLs, images included), never from a CDN, and draws boundaries and roads from the
workspace so that no basemap tiles are needed. :func:`base_map` adds the 地理院タイル basemap
only when asked (``basemap=True``), with its attribution.

No element used here pulls a plugin or a font from the internet: icons are ``DivIcon`` HTML,
legends and colour scales are plain Leaflet controls (branca colormaps would make
streamlit-folium fetch d3 from a CDN, so colours are computed here instead).

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> fac = gpd.GeoDataFrame({"facility_id": ["f1"], "name": ["A"], "service": ["visiting_nurse"]},
...                        geometry=[Point(139.5, 35.5)], crs="EPSG:4326")
>>> m = base_map(bounds=fac.total_bounds)
>>> _ = add_facilities(m, fac)
>>> "cdn" in m.get_root().render()
False
"""

from __future__ import annotations

import base64
import html
import json
import re
from functools import cache
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.template import Template

import gate
from gate import INDIVIDUAL_ROLES
from geo import codes
from ui import labels

STATIC = Path(__file__).resolve().parent / "static"

GSI_TILES = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
GSI_ATTRIBUTION = (
    '<a href="https://maps.gsi.go.jp/development/ichiran.html" target="_blank">地理院タイル</a>'
)

#: Roles that may see individual children on a map; every other role sees counts per area.
CHILD_ROLES = INDIVIDUAL_ROLES

#: Colour and one-character symbol per service type (distinct at a glance, no icon font needed).
SERVICE_STYLE = {
    "short_stay_medical": ("#c0392b", "医"),
    "short_stay_welfare": ("#e67e22", "短"),
    "child_development": ("#27ae60", "児"),
    "after_school_day": ("#16a085", "放"),
    "life_care": ("#8e44ad", "生"),
    "daytime_care": ("#2980b9", "日"),
    "visiting_nurse": ("#d81b60", "看"),
    "home_medical": ("#6d4c41", "診"),
    "consultation": ("#546e7a", "相"),
    # places, contacts and power points of the resource directory (data/service_types.csv)
    "nursery_medical": ("#f06292", "保"),
    "special_school": ("#3949ab", "学"),
    "medical_residential": ("#880e4f", "入"),
    "support_centre": ("#00838f", "支"),
    "area_coordinator": ("#5d4037", "調"),
    "municipal_window": ("#455a64", "窓"),
    "power_point": ("#f9a825", "電"),
}
_FALLBACK_STYLE = ("#333333", "他")

#: Colour and symbol per shelter kind.
SHELTER_STYLE = {
    "emergency_site": ("#607d8b", "緊"),
    "designated_shelter": ("#1565c0", "避"),
    "welfare_shelter": ("#00897b", "福"),
}

#: Hazard fill colours per level (light to dark), following the usual hazard-map ramp.
HAZARD_RAMP = {
    "flood": ["#f7f5a9", "#ffd8c0", "#ffb7b7", "#ff9191", "#f285c9", "#dc7adc"],
    "inland_flood": ["#f7f5a9", "#ffd8c0", "#ffb7b7", "#ff9191", "#f285c9", "#dc7adc"],
    "storm_surge": ["#f7f5a9", "#ffd8c0", "#ffb7b7", "#ff9191", "#f285c9", "#dc7adc"],
    "tsunami": [
        "#e0f3f8",
        "#c6e6f0",
        "#abd9e9",
        "#8fc5e0",
        "#74add1",
        "#5b8fc4",
        "#4575b4",
        "#3a5fa0",
        "#313695",
        "#22255e",
    ],
    "landslide": ["#f5d76e", "#e74c3c"],
}

#: Fill of an area without a value (no children, or a count hidden for privacy).
NO_VALUE = "#cccccc"

#: Sequential colour scale for choropleths (light = low, dark = high).
SCALE = ["#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"]

MAIN_ROADS = ("motorway", "trunk", "primary", "secondary")
_ROAD_STYLE = {"motorway": ("#2e7d32", 3), "trunk": ("#d35400", 2.5), "primary": ("#b9770e", 2)}


# ---------------------------------------------------------------------------------------------
# offline assets


def _data_url(mime, payload: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


@cache
def offline_assets() -> tuple[tuple, tuple]:
    """Return ``(default_js, default_css)`` pointing at the vendored Leaflet as ``data:`` URLs.

    The CSS has its images (layer icon, default marker) inlined too, so a rendered map needs
    nothing but itself.
    """
    root = STATIC / "leaflet"
    js = (root / "leaflet.js").read_bytes()
    css = (root / "leaflet.css").read_text(encoding="utf-8")

    def inline(match):
        name = match.group(1)
        img = root / "images" / name
        return f"url({_data_url('image/png', img.read_bytes())})"

    css = re.sub(r"url\(images/([\w.-]+)\)", inline, css)
    # Text and legend styling shared by every map (no bootstrap needed).
    css += (
        ".leaflet-container{background:#eef2f3;font-family:sans-serif}"
        ".ikemap-legend{background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;"
        "font-size:12px;line-height:18px;box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:240px}"
        ".ikemap-legend i{display:inline-block;width:14px;height:14px;margin-right:5px;"
        "vertical-align:middle;border-radius:2px}"
        ".ikemap-sym{color:#fff;font-size:11px;font-weight:bold;text-align:center;"
        "line-height:18px;width:18px;height:18px;border-radius:50%;border:1px solid #fff;"
        "box-shadow:0 0 2px rgba(0,0,0,.6)}"
        ".ikemap-sym.sq{border-radius:3px}"
        ".ikemap-count{background:#37474f;color:#fff;border-radius:12px;padding:1px 6px;"
        "font-size:12px;font-weight:bold;white-space:nowrap;text-align:center}"
    )
    default_js = (("leaflet", _data_url("text/javascript", js)),)
    default_css = (("leaflet_css", _data_url("text/css", css.encode("utf-8"))),)
    return default_js, default_css


# ---------------------------------------------------------------------------------------------
# base map and small helpers


def base_map(*, bounds, basemap: bool = False, height: int | None = None) -> folium.Map:
    """Return an empty map fitted to ``bounds`` (minx, miny, maxx, maxy in EPSG:4326).

    Parameters
    ----------
    bounds : sequence of 4 floats
        Region extent, as ``GeoDataFrame.total_bounds``.
    basemap : bool, default False
        Add 地理院タイル (needs internet) with its attribution. Without it the map has no tiles:
        the workspace layers are the map.
    height : int, optional
        Map height in pixels (default: fill the container).
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    kwargs = {"height": height} if height else {}
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        tiles=None,
        zoom_start=10,
        control_scale=False,
        prefer_canvas=True,
        **kwargs,
    )
    m.add_child(MetricScale())
    js, css = offline_assets()
    m.default_js = list(js)
    m.default_css = list(css)
    if basemap:
        folium.TileLayer(
            tiles=GSI_TILES, attr=GSI_ATTRIBUTION, name="地理院タイル", max_zoom=18
        ).add_to(m)
    # room on the right for the legends, so they do not cover the region
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding_bottom_right=(LEGEND_ROOM_PX, 0))
    return m


#: Pixels kept free on the right of a fitted map for the legends.
LEGEND_ROOM_PX = 150


class MetricScale(folium.MacroElement):
    """A scale bar in metres and kilometres only (Leaflet's default adds miles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false, position: 'bottomleft'})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "MetricScale"


def fit_to(m, lats, lons, *, margin_deg=0.01):
    """Zoom ``m`` to the given points (e.g. a search point and the facilities found).

    Examples
    --------
    >>> m = base_map(bounds=(139.0, 35.0, 140.0, 36.0))
    >>> _ = fit_to(m, [35.5, 35.52], [139.5, 139.6])
    >>> fitted_bounds(m)
    [[35.49, 139.49], [35.53, 139.61]]
    """
    lats = [float(v) for v in lats if v is not None and np.isfinite(v)]
    lons = [float(v) for v in lons if v is not None and np.isfinite(v)]
    if not lats or not lons:
        return m
    bounds = [
        [round(min(lats) - margin_deg, 6), round(min(lons) - margin_deg, 6)],
        [round(max(lats) + margin_deg, 6), round(max(lons) + margin_deg, 6)],
    ]
    for key, child in list(m._children.items()):  # one fit only: the last asked for
        if type(child).__name__ == "FitBounds":
            del m._children[key]
    m.fit_bounds(bounds, padding_bottom_right=(LEGEND_ROOM_PX, 0))
    return m


def fitted_bounds(m):
    """The bounds ``m`` is fitted to ([[south, west], [north, east]]), for tests and checks."""
    for child in m._children.values():
        if type(child).__name__ == "FitBounds":
            return child.bounds
    return None


def _simplify(frame: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    out = frame.copy()
    out["geometry"] = out.geometry.simplify(tolerance, preserve_topology=True)
    return out


def _plain(frame: gpd.GeoDataFrame, keep) -> gpd.GeoDataFrame:
    """Keep ``keep`` columns as JSON-safe scalars (lists joined, NA -> None)."""
    cols = [c for c in keep if c in frame.columns]
    out = gpd.GeoDataFrame(frame[cols].copy(), geometry=frame.geometry, crs=frame.crs)
    for c in cols:
        vals = []
        for v in out[c].tolist():
            if isinstance(v, list | tuple):
                vals.append("、".join(map(str, v)))
            elif v is None or (not isinstance(v, str) and pd.isna(v)):
                vals.append(None)
            elif isinstance(v, np.generic):
                vals.append(v.item())
            else:
                vals.append(v)
        out[c] = pd.Series(vals, index=out.index, dtype=object)
    return out


class Legend(folium.MacroElement):
    """A Leaflet control with a title and coloured rows (``items`` = [(colour, text), ...])."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(){
          var legend = L.control({position: {{ this.position|tojson }}});
          legend.onAdd = function () {
            var div = L.DomUtil.create('div', 'ikemap-legend');
            div.innerHTML = {{ this.inner|tojson }};
            return div;
          };
          legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, title, items, *, position="bottomright", shape="box"):
        super().__init__()
        self._name = "Legend"
        self.title = title
        self.items = list(items)
        self.position = position
        rows = []
        for colour, text in self.items:
            if shape == "symbol":
                colour, sym = colour
                swatch = (
                    f'<i class="ikemap-sym" style="background:{colour};width:16px;height:16px;'
                    f'line-height:16px;font-style:normal">{html.escape(sym)}</i>'
                )
            else:
                swatch = f'<i style="background:{colour}"></i>'
            rows.append(f"{swatch}{html.escape(str(text))}")
        self.inner = f"<b>{html.escape(title)}</b><br>" + "<br>".join(rows)


class Points(folium.MacroElement):
    """Many point markers drawn by one script (DivIcon symbols or circles, with tooltips).

    One element instead of three per marker keeps a map of hundreds of points fast to build
    and to send (folium compiles a template per element).
    ``points``: list of dicts with ``lat``, ``lon``, ``tip`` and either ``html`` (+ ``size``)
    for a symbol or ``style`` (Leaflet circleMarker options) for a circle.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(){
          var layer = {{ this._parent.get_name() }};
          {{ this.points|tojson }}.forEach(function (p) {
            var mk;
            if (p.html) {
              mk = L.marker([p.lat, p.lon], {icon: L.divIcon({html: p.html,
                className: 'ikemap-icon', iconSize: p.size,
                iconAnchor: [p.size[0] / 2, p.size[1] / 2]})});
            } else {
              mk = L.circleMarker([p.lat, p.lon], p.style);
            }
            if (p.tip) { mk.bindTooltip(p.tip); }
            mk.addTo(layer);
          });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, points):
        super().__init__()
        self._name = "Points"
        self.points = list(points)


def _symbol(colour, sym, *, square=False, extra=""):
    cls = "ikemap-sym sq" if square else "ikemap-sym"
    return f'<div class="{cls}" style="background:{colour};{extra}">{html.escape(sym)}</div>'


def points(group) -> list[dict]:
    """The points drawn in a feature group by :class:`Points` (for tests and checks)."""
    out = []
    for child in group._children.values():
        if isinstance(child, Points):
            out.extend(child.points)
    return out


def legends(m: folium.Map) -> list[Legend]:
    """Return the legends on ``m`` (for tests and checks)."""
    return [c for c in m._children.values() if isinstance(c, Legend)]


def layer(m: folium.Map, name: str) -> folium.FeatureGroup | None:
    """Return the feature group called ``name`` on ``m``, or None."""
    for child in m._children.values():
        if isinstance(child, folium.FeatureGroup) and child.layer_name == name:
            return child
    return None


def feature_count(group: folium.FeatureGroup) -> int:
    """Count the features drawn in a feature group (GeoJson features + markers)."""
    n = 0
    for child in group._children.values():
        if isinstance(child, folium.GeoJson):
            n += len(child.data.get("features", []))
        elif isinstance(child, folium.Marker | folium.CircleMarker | folium.Circle):
            n += 1
        elif isinstance(child, Points):
            n += len(child.points)
    return n


def _group(m, name, *, show=True):
    return folium.FeatureGroup(name=name, show=show).add_to(m)


def _tooltip(fields, aliases):
    return folium.GeoJsonTooltip(fields=list(fields), aliases=list(aliases), sticky=False)


# ---------------------------------------------------------------------------------------------
# layers


def add_boundaries(m, municipalities=None, areas=None, *, lang="ja", area_kind=None):
    """Draw municipal boundaries (thin) and 圏域 outlines (thick) from the workspace."""
    if municipalities is not None and len(municipalities):
        g = _group(m, labels.t("layer_municipalities", lang))
        data = _plain(_simplify(municipalities, 0.0005), ["code", "name"])
        folium.GeoJson(
            data.__geo_interface__,
            style_function=lambda f: {
                "color": "#78909c",
                "weight": 1,
                "fillColor": "#ffffff",
                "fillOpacity": 0.55,
            },
            tooltip=_tooltip(["name", "code"], ["市区町村", "コード"]),
        ).add_to(g)
    if areas is not None and len(areas):
        a = areas if area_kind is None else areas[areas["kind"] == area_kind]
        g = _group(m, labels.t("layer_areas", lang))
        data = _plain(_simplify(a, 0.0005), ["area_id", "name", "kind"])
        folium.GeoJson(
            data.__geo_interface__,
            style_function=lambda f: {"color": "#263238", "weight": 2.5, "fillOpacity": 0},
            tooltip=_tooltip(["name", "kind"], ["圏域", "種類"]),
        ).add_to(g)
    return m


def merge_roads(edges, *, classes=MAIN_ROADS):
    """The main roads as one simplified geometry per class (``highway``), to draw many times.

    Simplifying and merging a prefecture's main roads takes seconds; pages cache this once per
    workspace (:func:`ui.common.layers`) and :func:`add_roads` draws it as it is.
    """
    import geopandas as gpd

    if edges is None or not len(edges) or "highway" not in edges.columns:
        return edges
    if edges.attrs.get("merged_roads"):
        return edges
    hw = edges["highway"].astype(str).str.replace("_link", "", regex=False)
    sel = edges[hw.isin(classes)]
    rows, geoms = [], []
    for cls, part in sel.groupby(hw[sel.index]):
        rows.append(cls)
        merged = part.geometry.simplify(0.0002).union_all()
        # 5 decimals (~1 m) are plenty at this tolerance and halve the map's GeoJSON
        geoms.append(shapely.transform(merged, lambda xy: xy.round(5)))
    out = gpd.GeoDataFrame({"highway": rows}, geometry=geoms, crs=edges.crs)
    # the GeoJSON geometry too: converting a prefecture's roads takes a while on every map
    out["geojson"] = [g.__geo_interface__ for g in geoms]
    out.attrs["merged_roads"] = True
    return out


def add_roads(m, edges, *, lang="ja", classes=MAIN_ROADS):
    """Draw the main roads (``highway`` in ``classes``) from the workspace road layer.

    ``edges`` is the road layer or its :func:`merge_roads` (drawn without merging again).
    """
    if edges is None or not len(edges) or "highway" not in edges.columns:
        return m
    merged = merge_roads(edges, classes=classes)
    if not len(merged):
        return m
    g = _group(m, labels.t("layer_roads", lang))
    shapes = merged["geojson"]  # converted once per workspace (merge_roads)
    for cls, shape in zip(merged["highway"], shapes, strict=True):
        if cls not in classes:
            continue
        colour, weight = _ROAD_STYLE.get(cls, ("#9e9e9e", 1.5))
        folium.GeoJson(
            {
                "type": "Feature",
                "properties": {"highway": cls},
                "geometry": shape,
            },
            style_function=lambda f, c=colour, w=weight: {"color": c, "weight": w, "opacity": 0.8},
            interactive=False,
        ).add_to(g)
    return m


def add_facilities(m, facilities, *, lang="ja", services=None, legend=True):
    """Draw facilities with one colour and symbol per service type, and a legend.

    Unknown ``accepts`` is shown as such in the popup (confirmed vs possible coverage).
    """
    if facilities is None:
        return m
    fac = facilities if services is None else facilities[facilities["service"].isin(services)]
    g = _group(m, labels.t("layer_facilities", lang))
    present = []
    pts = []
    for _, row in fac.iterrows():
        colour, sym = SERVICE_STYLE.get(row["service"], _FALLBACK_STYLE)
        if row["service"] not in present:
            present.append(row["service"])
        accepts = row.get("accepts")
        if accepts is None or (not isinstance(accepts, list | tuple) and pd.isna(accepts)):
            acc = "不明（要確認）" if lang == "ja" else "unknown (ask)"
        else:
            acc = "、".join(labels.code_label("care", c, lang) for c in accepts) or "—"
        cap = row.get("capacity")
        popup = (
            f"<b>{html.escape(str(row['name']))}</b><br>"
            f"{html.escape(labels.code_label('service', row['service'], lang))}<br>"
            f"{labels.column('care', lang)}: {html.escape(acc)}"
            + (f"<br>定員: {int(cap)}" if cap is not None and not pd.isna(cap) else "")
        )
        pts.append(
            {
                "lat": row.geometry.y,
                "lon": row.geometry.x,
                "html": _symbol(colour, sym),
                "size": [20, 20],
                "tip": popup,
            }
        )
    g.add_child(Points(pts))
    if legend and present:
        order = [s for s in SERVICE_STYLE if s in present] + [
            s for s in present if s not in SERVICE_STYLE
        ]
        items = [
            (SERVICE_STYLE.get(s, _FALLBACK_STYLE), labels.code_label("service", s, lang))
            for s in order
        ]
        m.add_child(Legend(labels.t("layer_facilities", lang), items, shape="symbol"))
    return m


def colour_scale(values, *, n=6):
    """Return ``(colours per value, bins)``: equal-interval classes over the finite values.

    NaN gives grey (:data:`NO_VALUE`).

    Examples
    --------
    >>> colour_scale([0, 5, 10], n=2)[0]
    ['#fff5eb', '#a63603', '#a63603']
    """
    arr = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    finite = arr[np.isfinite(arr)]
    ramp = (
        SCALE
        if n == len(SCALE)
        else [SCALE[round(i * (len(SCALE) - 1) / max(n - 1, 1))] for i in range(n)]
    )
    if not len(finite):
        return ["#cccccc"] * len(arr), []
    lo, hi = float(finite.min()), float(finite.max())
    if hi == lo:
        bins = [lo, hi]
        return [ramp[-1] if np.isfinite(v) else "#cccccc" for v in arr], bins
    bins = list(np.linspace(lo, hi, n + 1))
    out = []
    for v in arr:
        if not np.isfinite(v):
            out.append("#cccccc")
        else:
            i = min(int((v - lo) / (hi - lo) * n), n - 1)
            out.append(ramp[i])
    return out, bins


def add_choropleth(m, areas, values, *, title, lang="ja", fmt="{:.0f}", id_column="area_id"):
    """Fill 圏域 by ``values`` (a Series indexed by ``id_column`` values) with a colour scale.

    Areas without a value are grey. A legend shows the classes.
    """
    a = areas[areas[id_column].isin(values.index)] if len(values) else areas.iloc[:0]
    if not len(a):
        return m
    vals = values.reindex(a[id_column]).to_numpy()
    colours, bins = colour_scale(vals)
    data = _plain(_simplify(a, 0.0005), [id_column, "name"])
    data["value"] = [None if not np.isfinite(v) else float(v) for v in np.asarray(vals, float)]
    data["value_text"] = ["—" if v is None else fmt.format(v) for v in data["value"]]
    data["fill"] = colours
    g = _group(m, title)
    folium.GeoJson(
        data.__geo_interface__,
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 0.75,
            "color": "#263238",
            "weight": 1.5,
        },
        tooltip=_tooltip(["name", "value_text"], [labels.t("layer_areas", lang), title]),
    ).add_to(g)
    if bins:
        if len(bins) == 2 and bins[0] == bins[1]:
            items = [(colours[0], fmt.format(bins[0]))]
        else:
            items = [
                (SCALE[i], f"{fmt.format(bins[i])} – {fmt.format(bins[i + 1])}")
                for i in range(len(bins) - 1)
            ]
        if not np.isfinite(np.asarray(vals, float)).all():  # say what grey means
            items.append((NO_VALUE, labels.t("legend_grey", lang)))
        m.add_child(Legend(title, items, position="topright"))
    return m


def hazard_colour(hazard_type, level):
    """Return the fill colour of a hazard level (darker = worse)."""
    ramp = HAZARD_RAMP.get(hazard_type, SCALE)
    return ramp[max(0, min(int(level) - 1, len(ramp) - 1))]


def add_hazards(m, hazards, *, lang="ja", hazard_types=None, min_level=1):
    """Draw hazard polygons styled by level, one group per hazard type, with legends."""
    if hazards is None or not len(hazards):
        return m
    hz = hazards[hazards["level"].astype(int) >= int(min_level)]
    if hazard_types is not None:
        hz = hz[hz["hazard_type"].isin(hazard_types)]
    for htype, part in hz.groupby("hazard_type", sort=False):
        name = labels.code_label("hazard", htype, lang)
        g = _group(m, name)
        data = _plain(_simplify(part.sort_values("level"), 0.0002), ["hazard_id", "level", "label"])
        data["fill"] = [hazard_colour(htype, lv) for lv in part.sort_values("level")["level"]]
        data["level_text"] = [
            labels.hazard_level_label(htype, lv, lang) for lv in part.sort_values("level")["level"]
        ]
        folium.GeoJson(
            data.__geo_interface__,
            style_function=lambda f: {
                "fillColor": f["properties"]["fill"],
                "fillOpacity": 0.6,
                "color": f["properties"]["fill"],
                "weight": 0.5,
            },
            tooltip=_tooltip(["level_text"], [name]),
        ).add_to(g)
        levels = sorted(int(v) for v in part["level"].unique())
        items = [
            (hazard_colour(htype, lv), labels.hazard_level_label(htype, lv, lang)) for lv in levels
        ]
        m.add_child(Legend(name, items, position="bottomleft"))
    return m


def add_shelters(m, shelters, *, lang="ja", highlight=None):
    """Draw shelters (square symbols by kind); ``highlight`` ids get a thick outline."""
    if shelters is None or not len(shelters):
        return m
    g = _group(m, labels.t("layer_shelters", lang))
    highlight = set(highlight or ())
    kinds = []
    pts = []
    for _, row in shelters.iterrows():
        colour, sym = SHELTER_STYLE.get(row["kind"], _FALLBACK_STYLE)
        if row["kind"] not in kinds:
            kinds.append(row["kind"])
        power = row.get("has_power")
        power_txt = {True: "あり", False: "なし"}.get(
            None if power is None or pd.isna(power) else bool(power), "不明"
        )
        popup = (
            f"<b>{html.escape(str(row['name']))}</b><br>"
            f"{html.escape(labels.code_label('shelter', row['kind'], lang))}<br>"
            f"非常用電源: {power_txt}"
        )
        extra = "outline:3px solid #ffeb3b" if row["shelter_id"] in highlight else ""
        pts.append(
            {
                "lat": row.geometry.y,
                "lon": row.geometry.x,
                "html": _symbol(colour, sym, square=True, extra=extra),
                "size": [20, 20],
                "tip": popup,
            }
        )
    g.add_child(Points(pts))
    items = [
        (SHELTER_STYLE.get(k, _FALLBACK_STYLE), labels.code_label("shelter", k, lang))
        for k in kinds
    ]
    m.add_child(
        Legend(labels.t("layer_shelters", lang), items, shape="symbol", position="topright")
    )
    return m


def add_isochrone(m, polygon, *, minutes, lang="ja", colour="#1e88e5"):
    """Draw a reachable-area polygon (EPSG:4326 shapely geometry) for ``minutes``."""
    if polygon is None or polygon.is_empty:
        return m
    name = labels.t("isochrone_of", lang, m=f"{minutes:g}")
    g = _group(m, name)
    folium.GeoJson(
        {
            "type": "Feature",
            "properties": {"minutes": minutes},
            "geometry": polygon.__geo_interface__,
        },
        style_function=lambda f: {
            "fillColor": colour,
            "color": colour,
            "weight": 2,
            "fillOpacity": 0.15,
        },
        tooltip=name,
    ).add_to(g)
    return m


def add_search_legend(m, *, minutes=None, lang="ja", colour="#1e88e5", point_label=None):
    """Legend of a search: the searched point and, when drawn, the reachable area."""
    items = [("#000000", point_label or labels.t("layer_point", lang))]
    if minutes is not None:
        items.append((colour, labels.t("isochrone_of", lang, m=f"{minutes:g}")))
    m.add_child(Legend(labels.t("legend_search", lang), items, position="topright"))
    return m


def add_point(m, lat, lon, *, label, colour="#000000"):
    """Mark the searched point (a family's address, a clicked place)."""
    g = _group(m, label)
    folium.CircleMarker(
        [lat, lon],
        radius=8,
        color="#ffffff",
        weight=3,
        fill=True,
        fill_color=colour,
        fill_opacity=1,
        tooltip=html.escape(label),
    ).add_to(g)
    return m


def add_candidates(m, sites, *, lang="ja", label_column=None):
    """Draw suggested or candidate sites as numbered stars."""
    if sites is None or not len(sites):
        return m
    g = _group(m, labels.t("layer_candidates", lang))
    for i, (_, row) in enumerate(sites.iterrows(), start=1):
        text = str(row[label_column]) if label_column and label_column in row else str(i)
        folium.Marker(
            [row.geometry.y, row.geometry.x],
            icon=folium.DivIcon(
                html=(
                    '<div class="ikemap-sym sq" style="background:#212121;'
                    f'outline:2px solid #ffc107">{html.escape(text)}</div>'
                ),
                icon_size=(20, 20),
                icon_anchor=(10, 10),
            ),
            tooltip=f"{labels.t('layer_candidates', lang)} {html.escape(text)}",
        ).add_to(g)
    return m


@cache
def _power_codes() -> frozenset:
    table = codes.care_types()
    return frozenset(table.index[table["power_dependent"]])


def is_power_dependent(care) -> bool:
    """Same answer as :func:`geo.codes.power_dependent`, from a cached set (fast per child)."""
    return care is not None and not _power_codes().isdisjoint(care)


def can_see_children(role) -> bool:
    """Return True when ``role`` may see individual children on a map."""
    return role in CHILD_ROLES


def add_children(
    m,
    children,
    *,
    role,
    areas=None,
    area_kind=None,
    lang="ja",
    highlight=None,
    colour_by=None,
    suppress_below=None,
    linked=None,
):
    """Draw children: individual points where ``role`` allows, otherwise counts per area.

    Parameters
    ----------
    children : GeoDataFrame
        The children layer (or a subset, e.g. those in hazard zones).
    role : str
        The session's role; only :data:`CHILD_ROLES` see individual points.
    areas : GeoDataFrame, optional
        Where to aggregate for other roles (counts per area, drawn at a point inside each area,
        suppressed by :func:`gate.table`: 「<10」 for 1-9, 「秘匿」 for complements).
    highlight : iterable of child ids, optional
        Drawn larger with a red ring (e.g. isolated children).
    colour_by : dict child_id -> colour, optional
    linked : gate.disclosure.Linked, optional
        The children publication (``gate.publish.children``) of the page: the counts on the map
        are then hidden exactly as in the page's tables (「<10」 for 1-9, 「秘匿」 for cells
        hidden to protect another), so map and table cannot be differenced.
    """
    if children is None:
        return m
    if can_see_children(role):
        g = _group(m, labels.t("layer_children", lang))
        highlight = set(highlight or ())
        colour_by = colour_by or {}
        power = [is_power_dependent(c) for c in children["care"]] if "care" in children else []
        pts = []
        for i, (_, row) in enumerate(children.iterrows()):
            hot = row["child_id"] in highlight
            care = row.get("care") or []
            tip = f"{html.escape(str(row['child_id']))} ({int(row['age'])}歳) " + "、".join(
                labels.code_label("care", c, lang) for c in care
            )
            default = "#d32f2f" if power and power[i] else "#1976d2"
            style = {
                "radius": 7 if hot else 4,
                "color": "#b71c1c" if hot else "#ffffff",
                "weight": 3 if hot else 1,
                "fill": True,
                "fillColor": colour_by.get(row["child_id"], default),
                "fillOpacity": 0.9,
            }
            pts.append({"lat": row.geometry.y, "lon": row.geometry.x, "style": style, "tip": tip})
        g.add_child(Points(pts))
        return m
    if areas is None or not len(areas):
        return m
    a = areas if area_kind is None else areas[areas["kind"] == area_kind]
    joined = gpd.sjoin(children[["geometry"]], a[["area_id", "geometry"]], predicate="within")
    per_area = joined.groupby("area_id").size()
    counts = pd.DataFrame(
        {
            "area_id": a["area_id"].to_numpy(),
            "area_kind": a["kind"].to_numpy(),
            "n_children": [int(per_area.get(i, 0)) for i in a["area_id"]],
        },
        index=a.index,
    )
    # through the access gate: small counts hidden, and enough others that none can be worked
    # back — jointly with the page's tables when the publication is given
    shown = gate.display(
        gate.table(
            counts,
            role,
            what="children per area (map)",
            count_columns=["n_children"],
            linked=linked,
            threshold=suppress_below,
        ),
        lang=lang,
    ).rename(columns={"n_children": "children"})
    g = _group(m, labels.t("layer_children_agg", lang))
    pts = []
    for idx, row in a.iterrows():
        text = shown.loc[idx, "children"]
        pt = row.geometry.representative_point()
        pts.append(
            {
                "lat": pt.y,
                "lon": pt.x,
                "html": f'<div class="ikemap-count">{html.escape(text)}人</div>',
                "size": [48, 20],
                "tip": f"{html.escape(str(row['name']))}: {html.escape(text)}",
            }
        )
    g.add_child(Points(pts))
    return m


def finish(m, *, collapsed=True):
    """Add the layer switcher (call last)."""
    folium.LayerControl(collapsed=collapsed).add_to(m)
    return m


def region_map(
    layers, *, role, lang="ja", basemap=False, area_kind=None, children=True, linked=None
):
    """The overview map: boundaries, 圏域, main roads, facilities and children as the role allows.

    Parameters
    ----------
    layers : dict of GeoDataFrame
        Workspace layers by name (``municipalities``, ``areas``, ``roads_edges``,
        ``facilities``, ``children``); missing ones are skipped.
    """
    muni = layers.get("municipalities")
    areas = layers.get("areas")
    if area_kind is None and areas is not None and len(areas):
        area_kind = areas["kind"].iloc[0]
    bounds = (muni if muni is not None and len(muni) else areas).total_bounds
    m = base_map(bounds=bounds, basemap=basemap)
    add_boundaries(m, muni, areas, lang=lang, area_kind=area_kind)
    add_roads(m, layers.get("roads_edges"), lang=lang)
    add_facilities(m, layers.get("facilities"), lang=lang)
    if children and layers.get("children") is not None:  # drawn last: counts stay on top
        add_children(
            m,
            layers["children"],
            role=role,
            areas=areas,
            area_kind=area_kind,
            lang=lang,
            linked=linked,
        )
    return finish(m)


def external_urls(html_text: str) -> list[str]:
    """Return every http(s) URL in rendered map HTML that would be fetched from outside.

    Links in attributions (``href``) are not fetched and are ignored; tile URL templates are
    reported.
    """
    urls = re.findall(r"""(?<!href=")(?<!href=\\")https?://[^\s"'<>\\)]+""", html_text)
    return sorted({u for u in urls if not re.match(r"https?://(127\.0\.0\.1|localhost)", u)})


def to_geojson(frame) -> str:
    """Return a GeoDataFrame as GeoJSON text with lists joined (small helper for exports)."""
    return json.dumps(
        _plain(frame, [c for c in frame.columns if c != "geometry"]).__geo_interface__
    )


def marker_html(marker) -> str:
    """Return the DivIcon HTML of a marker ('' when it has none), for tests and checks."""
    for child in marker._children.values():
        if isinstance(child, folium.DivIcon):
            return child.options.get("html", "")
    return ""
