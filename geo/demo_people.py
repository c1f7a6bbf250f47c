"""Children, facilities and shelters of the fictional デモ県.

The built-in situations (see ``geo.demo.SITUATIONS``) are placed deterministically from the fixed
geography; everything else is drawn from the user's seed, weighted by where people live (street
grids carry a population density; the roads between towns carry none).

Examples
--------
>>> from geo import demo_people
>>> round(sum(p for p, _ in demo_people.CARE_PROFILES), 6)
1.0
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd
import shapely

from .demo_geography import MUNICIPALITIES

#: Reference date of the fictional register (last_verified dates lie before it).
REFERENCE_DATE = _dt.date(2025, 3, 31)

#: Care combinations of 医療的ケア児 and their shares: tube feeding and suction are the most
#: common, ventilators a minority (usually with tracheostomy and suction), tracheostomy always
#: with suction, catheterisation and insulin mostly alone (children who can walk).
CARE_PROFILES = (
    (0.12, ("ventilator", "tracheostomy", "suction", "gastrostomy")),
    (0.04, ("ventilator", "suction", "tube_feeding")),
    (0.10, ("tracheostomy", "suction", "tube_feeding")),
    (0.04, ("tracheostomy", "suction", "oxygen")),
    (0.21, ("suction", "tube_feeding")),
    (0.08, ("suction", "gastrostomy", "oxygen")),
    (0.15, ("tube_feeding",)),
    (0.07, ("gastrostomy",)),
    (0.06, ("oxygen",)),
    (0.02, ("nasal_high_flow", "suction")),
    (0.05, ("catheterization",)),
    (0.03, ("insulin",)),
    (0.02, ("central_venous", "tube_feeding")),
    (0.01, ("dialysis",)),
)

#: Relative number of children per year of age 0-18 (more under 5: many grow out of the need
#: for care, and survival of the most severe cases into school age is lower).
AGE_WEIGHTS = np.array(
    [9.0, 9.5, 9.0, 8.5, 8.0, 6.5, 6.0, 5.6, 5.3, 5.0, 4.8, 4.6, 4.4, 4.2, 4.0, 3.8, 3.6, 3.4, 3.0]
)

#: Facilities per service in the small demo (short_stay_medical are all built in).
FACILITY_COUNTS = {
    "short_stay_welfare": 8,
    "child_development": 24,
    "after_school_day": 32,
    "life_care": 10,
    "daytime_care": 12,
    "visiting_nurse": 28,
    "home_medical": 14,
    "consultation": 16,
}

_FLAVOURS = (
    "ひまわり", "さくら", "あおぞら", "つばさ", "こもれび", "すまいる", "にじいろ", "かがやき",
    "たんぽぽ", "ほほえみ", "みらい", "わかば", "どんぐり", "そよかぜ", "ひだまり", "ゆうき",
)  # fmt: skip

_SERVICE_NAMES = {
    "short_stay_medical": "医療型短期入所",
    "short_stay_welfare": "短期入所事業所",
    "child_development": "児童発達支援事業所",
    "after_school_day": "放課後等デイサービス",
    "life_care": "生活介護事業所",
    "daytime_care": "日中一時支援事業所",
    "visiting_nurse": "訪問看護ステーション",
    "home_medical": "在宅診療所",
    "consultation": "相談支援事業所",
}

_ALL_CARE = [
    "ventilator", "tracheostomy", "suction", "oxygen", "nasal_high_flow", "tube_feeding",
    "gastrostomy", "catheterization", "insulin", "central_venous", "dialysis",
]  # fmt: skip
_LIGHT_CARE = ["tube_feeding", "gastrostomy", "catheterization", "insulin", "oxygen"]
_MID_CARE = [*_LIGHT_CARE, "suction", "tracheostomy", "nasal_high_flow"]


def municipality_of(munis, x, y):
    """Municipality code of each point (``None`` outside every polygon).

    Examples
    --------
    >>> munis = {"99999": shapely.box(0, 0, 10, 10)}
    >>> municipality_of(munis, np.array([5.0, 50.0]), np.array([5.0, 5.0])).tolist()
    ['99999', None]
    """
    out = np.full(len(x), None, object)
    for code, poly in munis.items():
        inside = shapely.contains_xy(poly, x, y)
        out[inside] = code
    return out


def _muni_names():
    return {m.code: m.name for m in MUNICIPALITIES}


def place(rng, net, weights, count, munis, *, max_offset=80.0, avoid=None):
    """Draw ``count`` points near street nodes with probability ``weights``.

    Each point lies within ``max_offset`` m (and half the street spacing) of its node, on land
    inside a municipality; ``avoid(x, y) -> bool array`` rejects points (redrawn).
    Returns x, y, node index and municipality code arrays.
    """
    p = weights / weights.sum()
    xs, ys, ns, cs = [], [], [], []
    need = count
    for _ in range(50):
        if need <= 0:
            break
        m = int(need * 1.3) + 8
        node = rng.choice(net.x.size, size=m, p=p)
        r = np.minimum(max_offset, net.spacing[node] * 0.45) * np.sqrt(rng.uniform(0, 1, m))
        a = rng.uniform(0, 2 * np.pi, m)
        x = net.x[node] + r * np.cos(a)
        y = net.y[node] + r * np.sin(a)
        code = municipality_of(munis, x, y)
        ok = code != None  # noqa: E711
        if avoid is not None:
            ok &= ~avoid(x, y)
        k = np.nonzero(ok)[0][:need]
        xs.append(x[k])
        ys.append(y[k])
        ns.append(node[k])
        cs.append(code[k])
        need -= k.size
    if need > 0:
        msg = f"could not place {count} demo points"
        raise AssertionError(msg)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ns), np.concatenate(cs)


def care_lists(rng, n):
    """Draw ``n`` care lists from :data:`CARE_PROFILES` (oxygen added to some ventilators).

    Examples
    --------
    >>> lists = care_lists(np.random.default_rng(0), 500)
    >>> all("suction" in c for c in lists if "tracheostomy" in c)
    True
    """
    probs = np.array([p for p, _ in CARE_PROFILES])
    pick = rng.choice(len(CARE_PROFILES), size=n, p=probs / probs.sum())
    extra = rng.uniform(0, 1, n)
    out = []
    for k, e in zip(pick, extra, strict=True):
        care = list(CARE_PROFILES[k][1])
        if "ventilator" in care and e < 0.3:
            care.append("oxygen")
        out.append(care)
    return out


def ages(rng, care):
    """Ages 0-18 skewed young; children with catheterisation or insulin only are older."""
    w = AGE_WEIGHTS / AGE_WEIGHTS.sum()
    a = rng.choice(19, size=len(care), p=w)
    for i, c in enumerate(care):
        if c in (["catheterization"], ["insulin"]) and a[i] < 3:
            a[i] = rng.integers(3, 16)
    return a


def mobility(rng, care, age):
    """Mobility class from care and age (ventilated children are mostly bed-bound)."""
    out = []
    u = rng.uniform(0, 1, len(care))
    for c, a, r in zip(care, age, u, strict=True):
        if a < 2:
            out.append("bedridden")
        elif "ventilator" in c or "tracheostomy" in c:
            out.append("bedridden" if r < 0.75 else "wheelchair")
        elif set(c) <= {"catheterization", "insulin", "oxygen"}:
            out.append("walk" if r < 0.85 else "wheelchair")
        else:
            out.append("bedridden" if r < 0.4 else ("wheelchair" if r < 0.75 else "walk"))
    return out


def verified_dates(rng, n):
    """``last_verified`` dates: mostly within a year, one in ten stale (over 18 months)."""
    days = rng.exponential(150, n).astype(int)
    stale = rng.uniform(0, 1, n) < 0.1
    days[stale] = rng.integers(540, 1100, stale.sum())
    return [(REFERENCE_DATE - _dt.timedelta(days=int(d))).isoformat() for d in days]


def facility_name(rng, service, code):
    """A fictional facility name, e.g. 'かわべ市 ひまわり 児童発達支援事業所'."""
    town = _muni_names()[code].replace("デモ市", "デモ")
    return f"{town} {_FLAVOURS[rng.integers(len(_FLAVOURS))]} {_SERVICE_NAMES[service]}"


def accepts(rng, service):
    """Accepted care codes of a facility (``None`` = unknown, about one in five)."""
    if rng.uniform() < 0.2:
        return None
    if service in ("visiting_nurse", "home_medical"):
        drop = rng.uniform(0, 1, len(_ALL_CARE)) < 0.15
        return [c for c, d in zip(_ALL_CARE, drop, strict=True) if not d or c == "suction"]
    if service in ("short_stay_welfare", "life_care", "daytime_care", "consultation"):
        pool = _MID_CARE if rng.uniform() < 0.4 else _LIGHT_CARE
    else:  # day services for children: half have a nurse and take most care
        pool = (
            _ALL_CARE
            if rng.uniform() < 0.25
            else (_MID_CARE if rng.uniform() < 0.5 else _LIGHT_CARE)
        )
    keep = rng.uniform(0, 1, len(pool)) < 0.85
    return [c for c, k in zip(pool, keep, strict=True) if k] or [pool[0]]


def capacity(rng, service):
    """Capacity (places or beds; ``None`` for home-visit services now and then)."""
    if service in ("visiting_nurse", "home_medical"):
        return None if rng.uniform() < 0.5 else int(rng.integers(3, 20))
    table = {
        "short_stay_welfare": (2, 7),
        "child_development": (5, 21),
        "after_school_day": (10, 21),
        "life_care": (20, 41),
        "daytime_care": (5, 11),
        "consultation": (30, 120),
    }
    lo, hi = table[service]
    value = int(rng.integers(lo, hi))
    if service in ("child_development", "after_school_day"):
        value = 10 if rng.uniform() < 0.6 else 5 * (value // 5 or 1)
    return value


def age_range(rng, service, defaults):
    """Age range of a facility from the service defaults, narrowed now and then."""
    lo = defaults.loc[service, "age_min"]
    hi = defaults.loc[service, "age_max"]
    lo = 0 if pd.isna(lo) else int(lo)
    hi = None if pd.isna(hi) else int(hi)
    if service == "after_school_day" and rng.uniform() < 0.2:
        hi = 15
    if service in ("short_stay_welfare", "daytime_care") and rng.uniform() < 0.3:
        hi = 18
    return lo, hi
