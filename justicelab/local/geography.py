"""Where people live: the area lookup and the levels local statistics can be grouped by.

A person's home local authority is on `person`; the optional `area` table maps each authority to its
region, police force area and probation region, so every level nests the same people consistently.
"""
from __future__ import annotations

from ..engine import Engine, Step, run_steps
from ..errors import JusticeLabError

LEVELS = {
    "local_authority": "Local authority",
    "police_force_area": "Police force area",
    "probation_region": "Probation region",
    "region": "Region",
}
ENGLAND_AND_WALES = "England and Wales"


def parse_levels(text: str) -> list[str]:
    """'probation_region,local_authority' -> the levels, checked (a combination groups by all of them)."""
    levels = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in levels if t not in LEVELS]
    if bad or not levels:
        raise JusticeLabError(f"--by {text!r}: each level must be one of {', '.join(LEVELS)} (comma-separated)")
    return list(dict.fromkeys(levels))


def attach_areas(engine: Engine, source: str = "cohort_measures", target: str = "area_measures") -> None:
    """`target`: `source` with each person's police force area and probation region from the lookup."""
    if not engine.has_table("area"):
        raise JusticeLabError("the database has no area lookup (table area: local_authority, region, "
                              "police_force_area, probation_region): load area.csv with 'justicelab load'")
    missing = engine.query(f"""SELECT DISTINCT m.local_authority FROM {source} m
                               WHERE NOT EXISTS (SELECT 1 FROM area a WHERE a.local_authority = m.local_authority)
                               ORDER BY 1 LIMIT 3""")
    if len(missing):
        raise JusticeLabError(f"table area, column local_authority: no row for {missing.iloc[0, 0]!r} "
                              f"(every person's local authority needs one)")
    run_steps(engine, [Step(target, f"""
        SELECT m.*, a.police_force_area, a.probation_region
        FROM {source} m JOIN area a ON a.local_authority = m.local_authority""")])


def where_clause(filters: dict[str, str]) -> str:
    """SQL condition selecting one area (level = name for each given level); names are quoted safely."""
    parts = []
    for level, name in filters.items():
        if level not in LEVELS:
            raise JusticeLabError(f"unknown area level {level!r}: use one of {', '.join(LEVELS)}")
        parts.append(f"{level} = '" + name.replace("'", "''") + "'")
    return " AND ".join(parts) or "TRUE"
