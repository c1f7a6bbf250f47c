"""Code tables of ikemap, read from the CSV files in ``data/``.

The tables are the only source of valid codes: care types, service types, hazard types and
levels, shelter kinds, mobility classes and default road speeds. Each row has a Japanese label.

Examples
--------
>>> from geo import codes
>>> codes.care_types().loc["ventilator", "label_ja"]
'人工呼吸器'
>>> "short_stay_medical" in codes.valid("service_types")
True
"""

from __future__ import annotations

import re
from functools import cache

import pandas as pd

from . import settings

_TABLES = {
    "care_types": "code",
    "service_types": "code",
    "hazard_types": "code",
    "shelter_kinds": "code",
    "mobility": "code",
    "road_speeds": "highway",
    "capabilities": "code",
}

_BOOL_COLUMNS = {"power_dependent", "medical"}


@cache
def _load(name):
    path = settings.data_dir / f"{name}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    for col in df.columns:
        if col in _BOOL_COLUMNS:
            df[col] = df[col].str.lower().eq("true")
    return df


def table(name):
    """Return a code table as a DataFrame indexed by its code.

    Parameters
    ----------
    name : str
        One of care_types, service_types, hazard_types, shelter_kinds, mobility, road_speeds.

    Returns
    -------
    pandas.DataFrame
    """
    if name not in _TABLES:
        msg = f"Unknown code table {name!r}; expected one of {sorted(_TABLES)}."
        raise KeyError(msg)
    df = _load(name).copy()
    return df.set_index(_TABLES[name], drop=False)


@cache
def valid(name):
    """Return the set of valid codes of a table."""
    return frozenset(table(name).index)


@cache
def _care_types():
    df = table("care_types")
    df["triage_group"] = df["triage_group"].astype(int)
    return df


def care_types():
    """Care types with ``label_ja``, ``power_dependent`` and ``triage_group``.

    The tables are parsed once per process; every call returns a fresh copy.
    """
    return _care_types().copy()


@cache
def _service_types():
    df = table("service_types")
    df["threshold_min"] = df["threshold_min"].astype(float)
    for col in ("age_min", "age_max"):
        df[col] = pd.to_numeric(df[col].replace("", None), errors="coerce").astype("Int64")
    return df


def service_types():
    """Service types with ``threshold_min`` (float), ``direction`` and default age range."""
    return _service_types().copy()


#: Categories of ``data/service_types.csv``: analysed services, other places families need,
#: contacts (windows, coordinators, centres) and power points.
CATEGORIES = ("service", "place", "contact", "power")


def service_codes(category="service"):
    """Codes of the service types of one category (or several), in table order.

    Coverage, gaps and sites mean the ``service`` category: nurseries, schools, contacts and
    power points are places of the directory, not services whose reach is measured per child.

    Parameters
    ----------
    category : str or iterable of str, default "service"
        One or more of :data:`CATEGORIES`.

    Examples
    --------
    >>> "nursery_medical" in service_codes("place")
    True
    >>> "nursery_medical" in service_codes()
    False
    """
    cats = {category} if isinstance(category, str) else set(category)
    bad = cats - set(CATEGORIES)
    if bad:
        msg = f"Unknown service category {sorted(bad)}; expected one of {list(CATEGORIES)}."
        raise ValueError(msg)
    st = _service_types()
    return [c for c, k in zip(st.index, st["category"], strict=True) if k in cats]


def analysed(services):
    """Keep the codes of ``services`` (any iterable) whose category is ``service``, in order.

    Examples
    --------
    >>> analysed(["life_care", "special_school", "life_care", "power_point"])
    ['life_care']
    """
    keep = set(service_codes("service"))
    return [s for s in dict.fromkeys(services) if s in keep]


@cache
def _capabilities():
    df = table("capabilities")
    df["aliases"] = [[a for a in v.split("|") if a] for v in df["aliases"]]
    return df


def capabilities():
    """Facility capabilities (``data/capabilities.csv``): code, labels, ``type`` and aliases.

    ``type`` is ``bool``, ``int``, ``text`` or ``hours`` (opening hours of one day class:
    weekday, Saturday, Sunday/holiday). ``aliases`` is a list of header names.

    Examples
    --------
    >>> capabilities().loc["nurse_on_site", "type"]
    'bool'
    """
    return _capabilities().copy()


@cache
def _hazard_levels():
    df = _load("hazard_levels").copy()
    df["level"] = df["level"].astype(int)
    for col in ("depth_min_m", "depth_max_m"):
        df[col] = pd.to_numeric(df[col].replace("", None), errors="coerce")
    return df.set_index(["hazard_type", "level"], drop=False)


def hazard_levels():
    """Hazard levels per hazard type (A31 flood ranks, A33 landslide classes, A40 tsunami bands)."""
    return _hazard_levels().copy()


def road_speeds():
    """Default car speed (km/h) per OSM ``highway`` value, as a dict."""
    df = table("road_speeds")
    return {k: float(v) for k, v in zip(df["highway"], df["speed_kph"], strict=True)}


def power_dependent(care):
    """Return True when any care code in ``care`` needs power (from the care table)."""
    if care is None:
        return False
    flags = _care_types()["power_dependent"]
    return any(bool(flags.get(c, False)) for c in care)


_SPLIT = re.compile(r"\s*[;、,，/／・]\s*")


def split_list(value):
    """Split a list cell (``;``, ``、`` or ``,`` separated) into a list of stripped strings.

    ``None``/NaN gives ``None`` (unknown); an empty string gives an empty list.

    Examples
    --------
    >>> split_list("ventilator; suction")
    ['ventilator', 'suction']
    >>> split_list("") == []
    True
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, list | tuple | set | frozenset):
        return [str(v) for v in value]
    text = str(value).strip()
    if not text:
        return []
    return [part for part in _SPLIT.split(text) if part]


def label_to_code(name):
    """Map Japanese labels, English labels and codes of a table to codes (for importers)."""
    df = table(name)
    out = {}
    for col in ("label_ja", "label_en"):
        if col in df:
            out.update({str(v): k for k, v in zip(df.index, df[col], strict=True)})
    out.update({k: k for k in df.index})
    return out
