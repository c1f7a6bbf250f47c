"""Demo data of the planner tools: a consultation log and three child source lists.

Hooked at the end of :func:`geo.demo.build`; draws only from its own generator
(``numpy.random.default_rng([seed, STREAM])``), so no existing draw moves. Adds two
non-spatial layers:

- ``consultations``: two fiscal years (2023-04 to 2025-03) of a support centre's log, about 75
  consultations a month, with the seasonal themes of the sources (Miyagi [000:7499-7506]):
  nursery applications in October-November (and a second round in January), 生活介護 before
  graduation in December-February, school in September-November, disaster in the rainy and
  typhoon months, respite all year (the commonest topic, Kanagawa [000:8306-8314]). Mostly by
  municipality, one in ten by 圏域 only. No personal data.
- ``child_sources``: three lists of the same children as separate sources, for
  ``ikemap reconcile`` (``--as-of 2025-03-31``): ``保健師`` (public-health nurses: nine in ten
  children, the register's ids), ``教育委員会`` (school ages 6-17: most children, own ids, a third
  with the nurses' id; some care lists differ, a few birth dates disagree, a few children the
  nurses do not have) and ``NICU`` (ages 0-2 without ids, plus infants not yet registered).
"""

from __future__ import annotations

import datetime as _dt
import logging

import numpy as np
import pandas as pd

from .demo_people import REFERENCE_DATE
from .workspace import LAYERS

logger = logging.getLogger(__name__)

#: Own random stream (``default_rng([seed, STREAM])``).
STREAM = 1708

#: Columns of the layers: their workspace schemas (what analysis.consultations / reconcile write).
CONSULTATION_COLUMNS = tuple(c.name for c in LAYERS["consultations"].columns)
SOURCE_COLUMNS = tuple(c.name for c in LAYERS["child_sources"].columns)

#: Consultations a month (whole demo prefecture) per category, and monthly multipliers.
BASE = {"nursery": 10, "respite": 24, "school": 9, "adult_life": 7, "disaster": 5, "other": 20}
SEASON = {
    "nursery": {10: 3.0, 11: 4.0, 12: 1.5, 1: 2.0},
    "respite": {7: 1.5, 8: 1.6, 12: 1.3},
    "school": {9: 2.0, 10: 2.5, 11: 2.0},
    "adult_life": {12: 3.0, 1: 4.0, 2: 3.0},
    "disaster": {6: 2.0, 7: 3.0, 8: 3.0, 9: 3.5},
}
CHANNELS = {"phone": 0.72, "visit": 0.11, "message": 0.12, "form": 0.05}
REQUESTERS = {"family": 0.3, "supporter": 0.55, "agency": 0.15}
FIRST_MONTH = "2023-04"
MONTHS = 24


def _consultations(rng, layers):
    children = layers["children"]
    weights = children["municipality_code"].value_counts()
    codes = weights.index.to_numpy(dtype=object)
    p = (weights.to_numpy() + 1.0) / (weights.to_numpy() + 1.0).sum()
    areas = layers["areas"]
    kind = areas["kind"].iloc[0]
    members = layers["area_members"]
    members = members[members["kind"] == kind]
    area_of = dict(zip(members["municipality_code"], members["area_id"], strict=True))
    rows = []
    first = pd.Period(FIRST_MONTH, "M")
    for k in range(MONTHS):
        month = first + k
        days = month.days_in_month
        for cat, base in BASE.items():
            lam = base * SEASON.get(cat, {}).get(month.month, 1.0)
            for _ in range(int(rng.poisson(lam))):
                code = str(codes[rng.choice(len(codes), p=p)])
                day = int(rng.integers(1, days + 1))
                by_area = rng.uniform() < 0.1
                rows.append(
                    {
                        "date": f"{month}-{day:02d}",
                        "month": str(month),
                        "municipality_code": None if by_area else code,
                        "area_id": area_of.get(code) if by_area else None,
                        "area_kind": kind if by_area else None,
                        "category": cat,
                        "channel": str(rng.choice(list(CHANNELS), p=list(CHANNELS.values()))),
                        "requester": str(rng.choice(list(REQUESTERS), p=list(REQUESTERS.values()))),
                        "source_file": "demo_consultation_log.csv",
                    }
                )
    out = pd.DataFrame(rows, columns=list(CONSULTATION_COLUMNS))
    return (
        out.sort_values(["date", "category"], kind="stable").reset_index(drop=True).astype(object)
    )


def _birth(rng, age):
    days = int(rng.integers(0, 365))
    born = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - int(age)) - _dt.timedelta(days=days)
    return born.isoformat()


def _record(source, rid, row, cid, birth, code, care, verified):
    return {
        "source": source,
        "record_id": f"{source}:{rid}",
        "row": row,
        "child_id": cid,
        "birth_date": birth,
        "age": None,
        "municipality_code": code,
        "care": None if care is None else ";".join(care),
        "last_verified": verified,
        "lat": None,
        "lon": None,
    }


def _sources(rng, layers):
    kids = layers["children"]
    codes = kids["municipality_code"].astype(str).tolist()
    care_pool = ["suction", "tube_feeding", "oxygen", "gastrostomy", "catheterization"]
    nurses, school, nicu = [], [], []
    for i, (cid, age, care, code, verified) in enumerate(
        zip(
            kids["child_id"],
            kids["age"],
            kids["care"],
            codes,
            kids["last_verified"],
            strict=True,
        )
    ):
        age = int(age)
        care = list(care) if care is not None else []
        birth = _birth(rng, age)
        in_nurses = rng.uniform() < 0.9
        in_school = 6 <= age <= 17 and rng.uniform() < 0.85
        in_nicu = age <= 2 and rng.uniform() < 0.7
        if in_nurses:
            nurses.append(_record("保健師", cid, len(nurses) + 2, cid, birth, code, care, verified))
        if in_school:
            shared = rng.uniform() < 0.35
            eid = cid if shared and in_nurses else f"E{50000 + i}"
            e_care = list(care)
            if rng.uniform() < 0.1:  # the school knows the care differently
                if len(e_care) > 1:
                    e_care = e_care[:-1]
                else:
                    e_care = sorted({*e_care, str(rng.choice(care_pool))})
            e_birth = birth
            if shared and rng.uniform() < 0.1:  # a birth date typed differently
                e_birth = (_dt.date.fromisoformat(birth) + _dt.timedelta(days=31)).isoformat()
            school.append(
                _record(
                    "教育委員会",
                    eid,
                    len(school) + 2,
                    eid,
                    e_birth,
                    code,
                    e_care,
                    "2025-02-01",
                )
            )
        if in_nicu:
            nicu.append(
                _record("NICU", f"row{len(nicu) + 2}", len(nicu) + 2, None, birth, code, care,
                        None)
            )  # fmt: skip
    munis = sorted(set(codes))
    for k in range(5):  # school-age children the nurses' list does not have
        age = int(rng.integers(6, 18))
        school.append(
            _record("教育委員会", f"E9{k:04d}", len(school) + 2, f"E9{k:04d}", _birth(rng, age),
                    str(rng.choice(munis)), ["tube_feeding"], "2025-02-01")
        )  # fmt: skip
    for _ in range(3):  # infants discharged but not yet on any list
        nicu.append(
            _record("NICU", f"row{len(nicu) + 2}", len(nicu) + 2, None, _birth(rng, 0),
                    str(rng.choice(munis)), ["tracheostomy", "suction"], None)
        )  # fmt: skip
    out = pd.DataFrame(nurses + school + nicu, columns=list(SOURCE_COLUMNS))
    return out.astype(object)


def add(layers, *, seed=42):
    """Add ``consultations`` and ``child_sources`` to the demo layers (own RNG stream)."""
    rng = np.random.default_rng([seed, STREAM])
    layers["consultations"] = _consultations(rng, layers)
    layers["child_sources"] = _sources(rng, layers)
    logger.info(
        "Demo planner data: %d consultations, %d source records",
        len(layers["consultations"]),
        len(layers["child_sources"]),
    )
    return layers
