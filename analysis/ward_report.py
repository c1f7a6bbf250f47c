"""Ward report for a designated city (brief §8 scenario 2): children at risk per ward.

Per ward (or per municipality when no city is given): children living there, children inside
each hazard type's zones — **NA where that hazard type has no map over the ward** ("not
mapped" is not "nobody"), power-dependent children (and of them, those in a zone), children
without an individual evacuation plan (and of them, those in a zone), and the two cut-off kinds
("in the zone — leave before the water", "outside the zone but the roads flood").

Counts are raw; the caller passes the table through the gate (small counts hidden for
planners), as the command ``ikemap ward-report`` does.

Examples
--------
>>> ward_report(ctx, city="99100")  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import evacuation as _evac
from . import exposure as _exposure

#: Count columns besides the per-hazard-type ones.
COUNTS = [
    "children",
    "power_dependent",
    "power_dependent_exposed",
    "no_plan",
    "no_plan_exposed",
    "in_zone",
    "roads_cut",
]


def wards(municipalities, city):
    """The municipalities (wards) of a designated city, given by its code or its name.

    A 5-digit code ``C`` (e.g. 14100) selects the municipalities coded ``C+1 .. C+49`` whose
    name ends in 区 and starts with the city name of the lowest of them (N03 names wards
    横浜市鶴見区); a name (e.g. 横浜市) selects those whose name starts with it and ends in 区.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"code": ["14101", "14102", "14131", "14201"],
    ...                   "name": ["横浜市鶴見区", "横浜市神奈川区", "川崎市川崎区", "横須賀市"]})
    >>> wards(m, "14100")["code"].tolist(), wards(m, "川崎市")["code"].tolist()
    (['14101', '14102'], ['14131'])
    """
    names = municipalities["name"].astype(str)
    is_ward = names.str.endswith("区")
    text = str(city).strip()
    if text.isdigit() and len(text) == 5:
        c = int(text)
        codes_ = pd.to_numeric(municipalities["code"], errors="coerce")
        sel = is_ward & (codes_ > c) & (codes_ < c + 50)
        if sel.any():
            first = names[sel.to_numpy(dtype=bool)].iloc[int(np.argmin(codes_[sel]))]
            prefix = first.split("市")[0] + "市" if "市" in first else first
            sel &= names.str.startswith(prefix)
    else:
        sel = is_ward & names.str.startswith(text)
    out = municipalities[sel.to_numpy(dtype=bool)]
    if not len(out):
        cities = sorted({n.split("市")[0] + "市" for n in names[is_ward] if "市" in n})
        msg = (
            f"no ward of city {text!r} in the municipalities layer; designated cities with "
            f"wards here: {', '.join(cities) or 'none'}. Give the city's 5-digit code or name."
        )
        raise ValueError(msg)
    return out


def ward_report(ctx, *, city=None, hazard_level=None, evac=None):
    """Children at risk per ward of ``city`` (or per municipality), one row per unit.

    Parameters
    ----------
    ctx : analysis.context.Context
    city : str, optional
        Designated city code or name (:func:`wards`); every municipality when omitted.
    hazard_level : int, optional
        Scenario level of the cut-off counts (as :func:`analysis.evacuation.evacuation`).
    evac : DataFrame, optional
        A precomputed evacuation table (all children) for that level.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``name``, :data:`COUNTS`, and per hazard type ``T`` of the workspace ``T``
        (children in a zone of ``T``; NA where ``T`` is not mapped over the unit) and
        ``T_mapped``.
    """
    units = ctx.municipalities[["code", "name", "geometry"]]
    if city is not None:
        units = wards(units, city)
    if evac is None:
        evac = _evac.evacuation(ctx, hazard_level=hazard_level)
    ev = evac.set_index("child_id").reindex(ctx.children["child_id"])
    ex = ctx.exposure("children")
    types = _exposure.hazard_types(ctx.hazards)
    mapped = _exposure.mapped_types(units, ctx.hazards, key="code")
    unit_of = ctx.municipality_of("children").to_numpy()
    exposed = ex["exposed"].to_numpy(dtype=bool)
    power = ev["power_dependent"].fillna(False).to_numpy(dtype=bool)
    plan = ctx.children.get("has_evac_plan", None)
    no_plan = (
        ~plan.fillna(False).astype(bool).to_numpy()
        if plan is not None
        else np.ones(len(ctx.children), dtype=bool)
    )
    cut = ev["cut_off"].fillna("").to_numpy()
    rows = []
    for u in units.itertuples():
        sel = unit_of == u.code
        row = {
            "code": u.code,
            "name": u.name,
            "children": int(sel.sum()),
            "power_dependent": int((power & sel).sum()),
            "power_dependent_exposed": int((power & exposed & sel).sum()),
            "no_plan": int((no_plan & sel).sum()),
            "no_plan_exposed": int((no_plan & exposed & sel).sum()),
            "in_zone": int(((cut == "in_zone") & sel).sum()),
            "roads_cut": int(((cut == "roads_cut") & sel).sum()),
        }
        for t in types:
            is_mapped = bool(mapped.loc[u.code, t]) if t in mapped.columns else False
            row[t] = int((ex[f"{t}_level"].to_numpy()[sel] > 0).sum()) if is_mapped else pd.NA
            row[f"{t}_mapped"] = is_mapped
        rows.append(row)
    out = pd.DataFrame(
        rows, columns=["code", "name", *COUNTS, *types, *[f"{t}_mapped" for t in types]]
    )
    for t in types:
        out[t] = pd.array(out[t], dtype="Int64")
    return out
