"""One local evaluation, as the service's worker runs it: predicted against actual for a cohort (with the
matched analysis where numbers allow), cohort tracking for a scheme, or demand for an area. The same
functions as `justicelab local report` / `local track`, writing the same outputs; the service stores
only the published figures (the people file is deleted once the job is done).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from ..errors import JusticeLabError
from ..provenance import sha256_of

KINDS = {"predicted": "Predicted against actual", "tracking": "Cohort tracking", "demand": "Demand on the justice system"}
PEOPLE_FILE = "the cohort"  # how row errors name the (normalised) people file in the job


def _day(params: dict, key: str) -> date | None:
    return date.fromisoformat(params[key]) if params.get(key) else None


def config_for(kind: str, params: dict):
    """The LocalConfig the CLI builds from the same choices (`local report` options)."""
    from .run import LocalConfig

    if kind == "predicted":
        return LocalConfig(levels=["region"], start=_day(params, "from"), end=_day(params, "to"), predict=True)
    if kind == "demand":
        level, name = params["level"], params["area"]
        return LocalConfig(levels=[level], area={level: name}, start=_day(params, "from"), end=_day(params, "to"),
                           predict=False, baseline_start=_day(params, "baseline_from"),
                           baseline_end=_day(params, "baseline_to"))
    raise JusticeLabError(f"unknown kind of local evaluation {kind!r}")


def evaluate(database: Path, kind: str, params: dict, people_file: Path | None, out: Path,
             title: str | None = None) -> dict:
    """Run it and write results.json, HTML, xlsx and PDF into `out`; returns the results. The outputs'
    title says what was evaluated (the CLI's says "Proven reoffending by area")."""
    from ..engine import DuckDBEngine
    from .cohort_file import read_people, read_scheme
    from .outputs import write_outputs, write_tracking
    from .run import run_local, run_tracking

    with DuckDBEngine(database, read_only=True) as engine:
        if kind == "tracking":
            if people_file is None:
                raise JusticeLabError("cohort tracking needs the scheme's people and selection dates")
            results = run_tracking(engine, read_scheme(people_file, PEOPLE_FILE), database, PEOPLE_FILE)
        else:
            people = read_people(people_file, PEOPLE_FILE) if people_file is not None and kind == "predicted" else None
            if kind == "predicted" and people is None:
                raise JusticeLabError("predicted against actual needs a cohort: a submission's people or a file")
            results = run_local(engine, config_for(kind, params), database, people)
    if people_file is not None:
        results["provenance"]["people_file_sha256"] = sha256_of(people_file)
    results["provenance"]["service_parameters"] = params
    results["title"] = KINDS[kind] + (f": {title}" if title and title != KINDS[kind] else "")
    (write_tracking(results, out, pdf=True) if kind == "tracking" else write_outputs(results, out, pdf=True))
    return results


def headline(kind: str, results: dict) -> dict:
    """The line the list of evaluations shows."""
    if kind == "tracking":
        return {k: results[k] for k in ("effect", "effect_low", "effect_high", "naive_change", "scheme_people")}
    if kind == "demand":
        first = results["demand"]["rows"][0]
        return {k: first[k] for k in ("measure", "relative", "relative_low", "relative_high")}
    local = results["prediction"].get("local")
    if local is None:
        return {"withheld": True}
    return {k: local[k] for k in ("actual", "predicted", "difference_low", "difference_high", "verdict")}


def output_files(kind: str) -> dict[str, str]:
    """Download name -> media type, as the outputs name them."""
    stem = "tracking" if kind == "tracking" else "local"
    data = "tracking.json" if kind == "tracking" else "results.json"
    return {data: "application/json", f"{stem}.html": "text/html", f"{stem}.pdf": "application/pdf",
            f"{stem}.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
