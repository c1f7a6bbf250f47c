"""Resource directory: places, what each can really do, who covers an address, and placements.

The places are the ``facilities`` layer (services, and the other kinds of place families need:
nurseries accepting medical care, special-needs schools, 医療型障害児入所施設, support centres,
municipal windows, 圏域 coordinators, power points; see the ``category`` of
``data/service_types.csv``). Their capabilities come from the ``facility_capabilities`` layer
(:mod:`geo.importers.capabilities`) and the municipalities each contact covers from
``place_coverage``.

- :func:`capability_table`: one typed column per capability, aligned with the facilities.
- :func:`need_status`: per facility, whether it meets a list of needs (nurse on site,
  transport, open on Saturday ...): confirmed, possible (some unknown) or no.
- :func:`directory`: browse and filter places by area, kind, capability, accepted care, age and
  opening day; with an address, minutes by road and sorted by them.
- :func:`who_covers`: the municipal window, the 圏域 coordinator and the prefectural centre of
  an address, with opening hours and whether they are open now.
- :func:`placements`: coordinators per municipality and per 圏域 (one coordinator spanning
  several municipalities is one placement).

Unknown stays unknown: a place whose capability is not known is ``possible``, never excluded
as "no".
"""

from __future__ import annotations

import datetime as _dt
import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import codes, workspace
from geo.importers import capabilities as caps_io

from . import coverage

logger = logging.getLogger(__name__)

#: Japan has no daylight saving time: JST is UTC+9 all year.
JST = _dt.timezone(_dt.timedelta(hours=9), "JST")

#: Contact kinds in the order "who covers" lists them, with their level.
CONTACT_LEVELS = {
    "municipal_window": "municipality",
    "area_coordinator": "area",
    "support_centre": "prefecture",
}
LEVEL_JA = {"municipality": "市町村", "area": "圏域", "prefecture": "都道府県"}

#: Day classes of the opening hours (capability codes), by ``datetime.weekday()``.
DAY_CLASSES = ("hours_weekday", "hours_saturday", "hours_sunday_holiday")
DAY_JA = {"hours_weekday": "平日", "hours_saturday": "土曜", "hours_sunday_holiday": "日祝"}
#: Short names a user may give for an opening day.
OPEN_DAYS = {
    "weekday": "hours_weekday",
    "saturday": "hours_saturday",
    "sunday_holiday": "hours_sunday_holiday",
    "sunday": "hours_sunday_holiday",
    "holiday": "hours_sunday_holiday",
    "平日": "hours_weekday",
    "土曜": "hours_saturday",
    "日祝": "hours_sunday_holiday",
}

CONFIRMED, POSSIBLE, NO = "confirmed", "possible", "no"


# ---------------------------------------------------------------------------------------------
# layers


def _layer(ctx, name, columns):
    """A side layer of the workspace (``facility_capabilities``, ``place_coverage``), cached."""
    if name in ctx.layers and ctx.layers[name] is not None:
        return ctx.layers[name]
    frame = None
    if ctx.path is not None and name in workspace.layers(ctx.path):
        frame = pd.DataFrame(workspace.read(ctx.path, name))
    if frame is None:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    ctx.layers[name] = frame
    return frame


def capability_rows(ctx):
    """Known capability values of the context's facilities (long table).

    The ``facility_capabilities`` layer, over values read from the facilities' ``extra`` column
    (capability columns an importer kept from the source file); a stored value of the same
    facility and capability wins. Empty when neither holds any.
    """
    key = ("directory", "rows", id(ctx.facilities))
    if key not in ctx._cache:
        stored = _layer(ctx, "facility_capabilities", caps_io.LONG_COLUMNS)
        ctx._cache[key] = caps_io.merge(caps_io.from_extra(ctx.facilities), stored)
    return ctx._cache[key]


def coverage_rows(ctx):
    """The ``place_coverage`` table of the context (empty when the workspace has none)."""
    return _layer(ctx, "place_coverage", caps_io.COVERAGE_COLUMNS)


def capability_table(ctx):
    """Capabilities of every facility, one typed column each, indexed like ``ctx.facilities``.

    Examples
    --------
    >>> capability_table(ctx)["nurse_on_site"].value_counts(dropna=False)  # doctest: +SKIP
    """
    key = ("directory", "wide", id(ctx.facilities))
    if key not in ctx._cache:
        fac = ctx.facilities
        w = caps_io.wide(capability_rows(ctx), facility_ids=fac["facility_id"].astype(str))
        w.index = fac.index
        ctx._cache[key] = w
    return ctx._cache[key]


# ---------------------------------------------------------------------------------------------
# needs


def _status(value, kind):
    """True / False / None (unknown) of one capability value for a 'need'."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value) > 0
    if kind == "hours":
        return value != "closed"
    return bool(str(value).strip())


def parse_needs(needs):
    """Normalise needs to a list of capability codes (``open_saturday`` -> ``hours_saturday``).

    Accepts a list, or a comma/``;`` separated string, of capability codes or Japanese labels,
    and ``open_weekday`` / ``open_saturday`` / ``open_sunday_holiday``.

    Examples
    --------
    >>> parse_needs("nurse_on_site, 送迎, open_saturday")
    ['nurse_on_site', 'transport', 'hours_saturday']
    """
    if needs is None:
        return []
    items = codes.split_list(needs) if isinstance(needs, str) else [str(n) for n in needs]
    table = codes.capabilities()
    lookup = {str(v): k for k, v in table["label_ja"].items()}
    lookup.update({k: k for k in table.index})
    lookup.update({f"open_{k}": v for k, v in OPEN_DAYS.items() if k.isascii()})
    out, bad = [], []
    for item in items:
        code = lookup.get(item.strip())
        if code is None:
            bad.append(item)
        elif code not in out:
            out.append(code)
    if bad:
        msg = (
            f"unknown need {bad}; use capability codes of data/capabilities.csv "
            f"({', '.join(table.index)}) or open_weekday / open_saturday / open_sunday_holiday."
        )
        raise ValueError(msg)
    return out


def need_status(ctx, needs, *, positions=None):
    """Whether each facility meets every need: ``confirmed``, ``possible`` or ``no``.

    A need is met when the capability is true (bool), above zero (int), open (hours) or given
    (text). One known "no" makes ``no``; otherwise any unknown makes ``possible``.

    Parameters
    ----------
    ctx : analysis.context.Context
    needs : list of str or str
        Capability codes (see :func:`parse_needs`).
    positions : array of int, optional
        Facility positions (``iloc``) to evaluate (default: all).

    Returns
    -------
    numpy.ndarray of str
        One status per facility (all ``confirmed`` when ``needs`` is empty).

    Examples
    --------
    >>> need_status(ctx, ["nurse_on_site", "transport"])  # doctest: +SKIP
    array(['confirmed', 'possible', 'no', ...], dtype='<U9')
    """
    needs = parse_needs(needs)
    wide = capability_table(ctx)
    if positions is not None:
        wide = wide.iloc[np.asarray(positions, dtype=int)]
    out = np.full(len(wide), CONFIRMED, dtype="<U9")
    kinds = codes.capabilities()["type"]
    for need in needs:
        col = wide[need].tolist()
        for i, v in enumerate(col):
            s = _status(v, kinds[need])
            if s is False:
                out[i] = NO
            elif s is None and out[i] == CONFIRMED:
                out[i] = POSSIBLE
    return out


# ---------------------------------------------------------------------------------------------
# opening hours


def _ranges(text):
    out = []
    for part in str(text).split(","):
        a, _, b = part.partition("-")
        ha, ma = (int(x) for x in a.split(":"))
        hb, mb = (int(x) for x in b.split(":"))
        out.append((ha * 60 + ma, hb * 60 + mb))
    return out


def day_class(when, *, holiday=False):
    """The day class (capability code) of a datetime: weekday, Saturday or Sunday/holiday.

    National holidays are not computed (no calendar ships with ikemap): pass ``holiday=True``.

    Examples
    --------
    >>> import datetime as dt
    >>> day_class(dt.datetime(2025, 4, 5, 10)), day_class(dt.datetime(2025, 4, 7, 10))
    ('hours_saturday', 'hours_weekday')
    """
    if holiday or when.weekday() == 6:
        return "hours_sunday_holiday"
    return "hours_saturday" if when.weekday() == 5 else "hours_weekday"


def is_open(hours, when, *, holiday=False):
    """Whether a place is open at ``when`` from its hours per day class (None = unknown).

    Parameters
    ----------
    hours : dict of str to str or None
        ``hours_weekday``, ``hours_saturday``, ``hours_sunday_holiday`` values
        (``HH:MM-HH:MM[,...]``, ``closed`` or None).
    when : datetime.datetime
        Local time (JST; a time-zone aware value is converted).

    Examples
    --------
    >>> import datetime as dt
    >>> h = {"hours_weekday": "09:00-17:00", "hours_saturday": "closed"}
    >>> is_open(h, dt.datetime(2025, 4, 7, 10)), is_open(h, dt.datetime(2025, 4, 5, 10))
    (True, False)
    >>> is_open(h, dt.datetime(2025, 4, 6, 10)) is None
    True
    """
    if when.tzinfo is not None:
        when = when.astimezone(JST).replace(tzinfo=None)
    text = hours.get(day_class(when, holiday=holiday))
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    if text == "closed":
        return False
    t = when.hour * 60 + when.minute
    return any((a <= t < b) if a <= b else (t >= a or t < b) for a, b in _ranges(text))


def hours_text(hours):
    """Opening hours as one Japanese line, e.g. ``平日 09:00-17:00／土曜 休／日祝 不明``."""
    parts = []
    for c in DAY_CLASSES:
        v = hours.get(c)
        if v is None or (isinstance(v, float) and np.isnan(v)):
            shown = "不明"
        elif v == "closed":
            shown = "休"
        else:
            shown = v.replace(",", "・")
        parts.append(f"{DAY_JA[c]} {shown}")
    return "／".join(parts)


def _now():
    return _dt.datetime.now(JST).replace(tzinfo=None)


# ---------------------------------------------------------------------------------------------
# coverage of contacts


def _muni_pref(ctx):
    m = ctx.municipalities
    return dict(zip(m["code"], m["pref"], strict=True)) if len(m) else {}


def covered_municipalities(ctx, *, area_kind=None):
    """The municipality codes each contact covers, as a dict ``facility_id -> list``.

    ``place_coverage`` rows decide where a place has them; otherwise a municipal window covers
    its own municipality, a 圏域 coordinator the members of its 圏域 (``area_kind``, default the
    workspace's first kind) and a support centre every municipality of its prefecture.
    """
    kind = area_kind or ctx.default_area_kind()
    key = ("directory", "covers", id(ctx.facilities), kind)
    if key in ctx._cache:
        return ctx._cache[key]
    fac = ctx.facilities
    rows = coverage_rows(ctx)
    given = {}
    for f, c in zip(rows["facility_id"], rows["municipality_code"], strict=True):
        given.setdefault(str(f), []).append(str(c))
    members = ctx.layers["area_members"]
    members = members[members["kind"] == kind] if len(members) and kind else members.iloc[:0]
    area_of = dict(zip(members["municipality_code"], members["area_id"], strict=True))
    pref = _muni_pref(ctx)
    muni = ctx.municipality_of("facilities")
    out = {}
    for i, (fid, service) in enumerate(zip(fac["facility_id"], fac["service"], strict=True)):
        fid = str(fid)
        if fid in given:
            out[fid] = list(dict.fromkeys(given[fid]))
            continue
        level = CONTACT_LEVELS.get(service)
        own = muni.iloc[i]
        if level is None or own is None:
            continue
        if level == "municipality":
            out[fid] = [own]
        elif level == "area":
            aid = area_of.get(own)
            out[fid] = sorted(members.loc[members["area_id"] == aid, "municipality_code"]) or [own]
        else:
            out[fid] = sorted(c for c, p in pref.items() if p == pref.get(own)) or [own]
    ctx._cache[key] = out
    return out


def _point_municipality(ctx, lat, lon):
    from shapely.geometry import Point

    if not (-90 <= float(lat) <= 90 and -180 <= float(lon) <= 180):
        msg = f"lat {lat}, lon {lon} is not a WGS84 coordinate; give degrees (e.g. 35.6, 139.7)."
        raise ValueError(msg)
    pt = gpd.GeoDataFrame(geometry=[Point(float(lon), float(lat))], crs="EPSG:4326")
    munis = ctx.municipalities
    if not len(munis):
        return pt, None, None
    hit = gpd.sjoin(pt, munis[["code", "name", "geometry"]], predicate="intersects")
    if not len(hit):
        return pt, None, None
    return pt, str(hit["code"].iloc[0]), str(hit["name"].iloc[0])


def _minutes_from(ctx, pt, positions, *, direction="to_facility"):
    """Door-to-door minutes from a point to facilities (positions), inf where unreachable."""
    from geo import travel

    if not len(positions):
        return np.zeros(0)
    sn = ctx.snap(pt).iloc[0]
    t = np.asarray(travel.from_node(ctx.net, int(sn["node"]), direction=direction), dtype=float)
    fsn = ctx.snaps["facilities"]
    pos = np.asarray(positions, dtype=int)
    return (
        t[fsn["node"].to_numpy()[pos]] + fsn["access_s"].to_numpy()[pos] + float(sn["access_s"])
    ) / 60.0


WHO_COLUMNS = [
    "level",
    "level_ja",
    "service",
    "service_ja",
    "facility_id",
    "name",
    "phone",
    "hours",
    "hours_weekday",
    "hours_saturday",
    "hours_sunday_holiday",
    "open_now",
    "minutes",
    "covers_n",
    "covers",
    "source",
    "source_date",
]


def who_covers(ctx, *, lat, lon, when=None, holiday=False, area_kind=None):
    """Who covers this address: municipal window, 圏域 coordinator, prefectural centre.

    Parameters
    ----------
    ctx : analysis.context.Context
    lat, lon : float
        The address (WGS84).
    when : datetime.datetime, optional
        Time for ``open_now`` (default: now, JST).
    holiday : bool, default False
        Treat ``when`` as a national holiday (Sunday/holiday hours).
    area_kind : str, optional
        Area kind whose 圏域 a coordinator without explicit coverage serves.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`WHO_COLUMNS`, one row per contact covering the address (levels in the
        order municipality, area, prefecture; nearest first within a level). A level with no
        contact has one row with ``facility_id`` None (nobody registered: a gap to fill).
        ``attrs`` hold ``municipality_code`` and ``municipality_name`` of the address.

    Examples
    --------
    >>> who_covers(ctx, lat=35.0, lon=139.0)[["level", "name", "open_now"]]  # doctest: +SKIP
    """
    when = when or _now()
    pt, code, name = _point_municipality(ctx, lat, lon)
    fac = ctx.facilities
    st = codes.service_types()
    covers = covered_municipalities(ctx, area_kind=area_kind)
    wide = capability_table(ctx)
    mnames = dict(zip(ctx.municipalities["code"], ctx.municipalities["name"], strict=True))
    rows = []
    for service, level in CONTACT_LEVELS.items():
        pos = [
            i
            for i, (fid, s) in enumerate(zip(fac["facility_id"], fac["service"], strict=True))
            if s == service and code is not None and code in covers.get(str(fid), [])
        ]
        minutes = _minutes_from(ctx, pt, pos)
        found = []
        for i, m in zip(pos, minutes, strict=True):
            r = fac.iloc[i]
            hours = {c: wide[c].iloc[i] for c in DAY_CLASSES}
            cov = covers.get(str(r["facility_id"]), [])
            found.append(
                {
                    "level": level,
                    "level_ja": LEVEL_JA[level],
                    "service": service,
                    "service_ja": st.loc[service, "label_ja"],
                    "facility_id": str(r["facility_id"]),
                    "name": r["name"],
                    "phone": r.get("phone") if "phone" in fac.columns else None,
                    "hours": hours_text(hours),
                    **hours,
                    "open_now": is_open(hours, when, holiday=holiday),
                    "minutes": round(float(m), 1) if np.isfinite(m) else np.nan,
                    "covers_n": len(cov),
                    "covers": "、".join(mnames.get(c, c) for c in cov),
                    "source": r.get("source"),
                    "source_date": r.get("source_date"),
                }
            )
        found.sort(key=lambda d: (np.isnan(d["minutes"]), d["minutes"]))
        if not found:
            found = [
                {
                    "level": level,
                    "level_ja": LEVEL_JA[level],
                    "service": service,
                    "service_ja": st.loc[service, "label_ja"],
                    "facility_id": None,
                    "name": "（登録なし）",
                    "open_now": None,
                    "minutes": np.nan,
                    "covers_n": 0,
                }
            ]
        rows.extend(found)
    out = pd.DataFrame(rows, columns=WHO_COLUMNS).astype({"facility_id": object})
    out["facility_id"] = out["facility_id"].where(out["facility_id"].notna(), None)
    out["open_now"] = pd.array(out["open_now"].tolist(), dtype="boolean")
    out.attrs["municipality_code"] = code
    out.attrs["municipality_name"] = name
    out.attrs["when"] = when.isoformat(timespec="minutes")
    if code is None:
        logger.warning("who_covers: %.5f, %.5f lies in no municipality of the workspace", lat, lon)
    return out


# ---------------------------------------------------------------------------------------------
# placements (scenario 10)


def placements(ctx, *, area_kind=None, service="area_coordinator"):
    """Coordinator placements per municipality and per 圏域 (shared coordinators count once).

    Parameters
    ----------
    area_kind : str, optional
        Area kind to count per (default: the workspace's first).
    service : str, default "area_coordinator"
        Contact kind to count (``municipal_window`` works too).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Per municipality: ``municipality_code``, ``name``, ``area_id``, ``coordinators``
        (names), ``n_coordinators``, ``shared_with`` (other municipalities served by the same
        coordinator(s)). Per area: ``area_id``, ``name``, ``placements`` (distinct coordinators
        serving any member), ``municipalities``, ``covered`` (members with a coordinator),
        ``uncovered`` (names).

    Examples
    --------
    >>> per_muni, per_area = placements(ctx)  # doctest: +SKIP
    """
    kind = area_kind or ctx.default_area_kind()
    fac = ctx.facilities
    covers = covered_municipalities(ctx, area_kind=kind)
    coords = fac[fac["service"] == service]
    names = dict(zip(fac["facility_id"].astype(str), fac["name"], strict=True))
    munis = ctx.municipalities
    members = ctx.layers["area_members"]
    members = members[members["kind"] == kind] if len(members) and kind else members.iloc[:0]
    area_of = dict(zip(members["municipality_code"], members["area_id"], strict=True))
    by_muni = {}
    for fid in coords["facility_id"].astype(str):
        for c in covers.get(fid, []):
            by_muni.setdefault(c, []).append(fid)
    rows = []
    for code, mname in zip(munis["code"], munis["name"], strict=True):
        mine = by_muni.get(code, [])
        others = {c for f in mine for c in covers.get(f, []) if c != code}
        rows.append(
            {
                "municipality_code": code,
                "name": mname,
                "area_id": area_of.get(code),
                "coordinators": "、".join(names[f] for f in mine),
                "n_coordinators": len(mine),
                "shared_with": len(others),
            }
        )
    per_muni = pd.DataFrame(
        rows,
        columns=[
            "municipality_code",
            "name",
            "area_id",
            "coordinators",
            "n_coordinators",
            "shared_with",
        ],
    )
    arows = []
    for aid, aname in zip(ctx.areas["area_id"], ctx.areas["name"], strict=True):
        if aid not in set(members["area_id"]):
            continue
        mem = list(members.loc[members["area_id"] == aid, "municipality_code"])
        coords_here = {f for c in mem for f in by_muni.get(c, [])}
        sub = per_muni[per_muni["municipality_code"].isin(mem)]
        arows.append(
            {
                "area_id": aid,
                "name": aname,
                "placements": len(coords_here),
                "municipalities": len(mem),
                "covered": int((sub["n_coordinators"] > 0).sum()),
                "uncovered": "、".join(sub.loc[sub["n_coordinators"] == 0, "name"]),
            }
        )
    per_area = pd.DataFrame(
        arows, columns=["area_id", "name", "placements", "municipalities", "covered", "uncovered"]
    )
    return per_muni, per_area


# ---------------------------------------------------------------------------------------------
# the directory


BASE_COLUMNS = [
    "facility_id",
    "name",
    "service",
    "service_ja",
    "category",
    "municipality_code",
    "municipality_name",
    "area_id",
    "area_name",
    "accepts",
    "age_min",
    "age_max",
    "capacity",
    "basis",
    "hours",
    "covers",
    "minutes",
    "lat",
    "lon",
    "source",
    "source_date",
]


def directory(
    ctx,
    *,
    kinds=None,
    categories=None,
    area_id=None,
    area_kind=None,
    municipality=None,
    needs=None,
    care=None,
    age=None,
    open_on=None,
    lat=None,
    lon=None,
    minutes=None,
    include_possible=True,
):
    """Browse and filter places; with an address, add minutes by road and sort by them.

    Parameters
    ----------
    ctx : analysis.context.Context
    kinds : list of str, optional
        Service codes (kinds of place) to list (default: all).
    categories : list of str, optional
        Categories of ``data/service_types.csv`` (service, place, contact, power).
    area_id, area_kind : str, optional
        Keep places in one area (of ``area_kind``, default the first kind).
    municipality : str, optional
        Keep places in one municipality (5-digit code).
    needs : list of str or str, optional
        Capabilities every place must have (:func:`parse_needs`).
    care : list of str, optional
        Care codes a place must accept (unknown accepts = possible).
    age : int, optional
        Age a place must take (its range, else its kind's default).
    open_on : str, optional
        ``weekday``, ``saturday`` or ``sunday_holiday``: open that day class (unknown =
        possible).
    lat, lon : float, optional
        An address: adds ``minutes`` (door to door, in the kind's direction) and sorts by them.
    minutes : float, optional
        With an address, keep places within this many minutes.
    include_possible : bool, default True
        Keep places that only possibly match (some capability or accepts unknown).

    Returns
    -------
    pandas.DataFrame
        :data:`BASE_COLUMNS` plus one column per capability; indexed like the facilities
        kept. ``basis`` is ``confirmed`` or ``possible``.

    Examples
    --------
    >>> directory(ctx, kinds=["life_care"], needs=["nurse_on_site", "transport", "bathing"],
    ...           area_id="K05")  # doctest: +SKIP
    """
    fac = ctx.facilities
    st = codes.service_types()
    mask = np.ones(len(fac), dtype=bool)
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        bad = [k for k in kinds if k not in st.index]
        if bad:
            msg = f"unknown kind of place {bad}; expected codes of data/service_types.csv."
            raise ValueError(msg)
        mask &= fac["service"].isin(kinds).to_numpy()
    if categories is not None:
        categories = [categories] if isinstance(categories, str) else list(categories)
        mask &= fac["service"].isin(codes.service_codes(categories)).to_numpy()
    kind = area_kind or ctx.default_area_kind()
    area_of = ctx.area_of("facilities", kind=kind) if kind else pd.Series(None, index=fac.index)
    if area_id is not None:
        if area_id not in set(ctx.areas["area_id"]):
            known = sorted(ctx.areas["area_id"])
            msg = f"unknown area_id {area_id!r}; the workspace's areas are {known}."
            raise ValueError(msg)
        mask &= (area_of == area_id).to_numpy()
    muni = ctx.municipality_of("facilities")
    if municipality is not None:
        mask &= (muni == str(municipality)).to_numpy()
    lo, hi = coverage.facility_age_range(fac)
    basis = np.full(len(fac), CONFIRMED, dtype="<U9")
    if care or age is not None:
        compat = coverage.compatibility(
            [list(care or [])], [np.nan if age is None else age], fac["accepts"].tolist(), lo, hi
        )[0]
        mask &= compat > 0
        basis[compat == coverage.POSSIBLE] = POSSIBLE
    need_list = parse_needs(needs)
    if open_on is not None:
        if open_on not in OPEN_DAYS:
            msg = f"open_on {open_on!r}: expected weekday, saturday or sunday_holiday."
            raise ValueError(msg)
        need_list = [*need_list, OPEN_DAYS[open_on]]
    if need_list:
        ns = need_status(ctx, need_list)
        mask &= ns != NO
        basis[(ns == POSSIBLE) & (basis == CONFIRMED)] = POSSIBLE
    if not include_possible:
        mask &= basis == CONFIRMED
    pos = np.flatnonzero(mask)
    wide = capability_table(ctx).iloc[pos]
    mins = np.full(len(pos), np.nan)
    if lat is not None and lon is not None:
        pt, _, _ = _point_municipality(ctx, lat, lon)
        for d in ("to_facility", "to_home"):
            sel = np.array([coverage.direction(s) == d for s in fac["service"].iloc[pos]], bool)
            if sel.any():
                mins[sel] = _minutes_from(ctx, pt, pos[sel], direction=d)
        if minutes is not None:
            keep = np.isfinite(mins) & (mins <= float(minutes))
            pos, wide, mins = pos[keep], wide[keep], mins[keep]
    sub = fac.iloc[pos]
    areas = ctx.areas
    aname = dict(zip(areas["area_id"], areas["name"], strict=True)) if len(areas) else {}
    mnames = dict(zip(ctx.municipalities["code"], ctx.municipalities["name"], strict=True))
    covers = covered_municipalities(ctx, area_kind=kind)
    cat = st["category"]
    out = pd.DataFrame(index=sub.index)
    out["facility_id"] = sub["facility_id"].astype(str)
    out["name"] = sub["name"]
    out["service"] = sub["service"]
    out["service_ja"] = [st.loc[s, "label_ja"] for s in sub["service"]]
    out["category"] = [cat[s] for s in sub["service"]]
    out["municipality_code"] = muni.iloc[pos].to_numpy()
    out["municipality_name"] = [mnames.get(c) for c in out["municipality_code"]]
    out["area_id"] = area_of.iloc[pos].to_numpy()
    out["area_name"] = [aname.get(a) for a in out["area_id"]]
    out["accepts"] = [None if a is None else "、".join(a) for a in sub["accepts"]]
    out["age_min"] = pd.array([None if np.isnan(v) else int(v) for v in lo[pos]], "Int64")
    out["age_max"] = pd.array([None if np.isnan(v) else int(v) for v in hi[pos]], "Int64")
    out["capacity"] = sub["capacity"].to_numpy() if "capacity" in sub else None
    out["basis"] = basis[pos]
    out["hours"] = [hours_text({c: wide[c].iloc[j] for c in DAY_CLASSES}) for j in range(len(pos))]
    out["covers"] = [
        "、".join(mnames.get(c, c) for c in covers.get(f, [])) or None for f in out["facility_id"]
    ]
    out["minutes"] = np.round(mins, 1)
    out["lat"] = sub.geometry.y.to_numpy()
    out["lon"] = sub.geometry.x.to_numpy()
    out["source"] = sub["source"].to_numpy() if "source" in sub else None
    out["source_date"] = sub["source_date"].to_numpy() if "source_date" in sub else None
    for c in wide.columns:
        out[c] = wide[c].to_numpy()
    if lat is not None and lon is not None:
        out = out.sort_values("minutes", kind="stable", na_position="last")
    else:
        order = {s: i for i, s in enumerate(st.index)}
        out = out.assign(_o=out["service"].map(order)).sort_values(
            ["_o", "municipality_code", "name"], kind="stable"
        )
        out = out.drop(columns="_o")
    return out


def capability_sources(ctx, facility_id):
    """Every known capability value of one place, with its source and survey date.

    Examples
    --------
    >>> capability_sources(ctx, "F1")  # doctest: +SKIP
    """
    rows = capability_rows(ctx)
    sub = rows[rows["facility_id"].astype(str) == str(facility_id)].copy()
    labels = codes.capabilities()["label_ja"]
    sub.insert(2, "label_ja", [labels.get(c, c) for c in sub["capability"]])
    return sub.reset_index(drop=True)
