"""The payment decision from summary figures, without a database: `justicelab pbr-calc`.

A commissioner or investor who has the published figures (cohort sizes, events per 100 or rates, the
comparison or baseline values) and the contract can check the decision and the ledger by hand. The same
ledger code as the full statement runs on them; figures given as text ("142", "58.0") are taken as exact
decimals.

Figures file (YAML or JSON)::

    as_of: 2014-08-07            # the statement date (default: the end of the contract's results)
    cohorts:
      - cohort: 1
        size: 1000
        treated_per_100: 142     # matched contracts: events per 100 (or events: N)
        comparison_per_100: 155
        final: true              # the count is final (default true)
        final_on: 2013-12-31     # when it became final (for due dates; optional)
        filling: false           # the cohort is still filling (default false)
      - cohort: 1                # baseline contracts: rates in per cent (or reconvicted: N)
        size: 950
        rate: 52.3
        baseline_rate: 58.0      # or expected_rate for a case-mix contract
        baseline_size: 1000      # optional: gives the interval and p-value (or give p_value)
        frequency: 3.1           # case-mix contracts: reoffences per reoffender now and at baseline
        baseline_frequency: 3.4
        reoffenders: 400
        frequency_p_value: 0.01
"""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import yaml

from ..errors import JusticeLabError
from .arithmetic import to_decimal
from .baseline import binary_comparison, frequency_comparison
from .contract import Contract
from .payment import all_counts_final, baseline_payments, matched_payments, returns


def _get(row: dict, key: str, k: int):
    if key not in row:
        raise JusticeLabError(f"figures: cohort {k}: missing '{key}'")
    try:
        return to_decimal(row[key])
    except Exception:
        raise JusticeLabError(f"figures: cohort {k}: {key} '{row[key]}' is not a number") from None


def _maturity(row: dict) -> dict:
    final_on = row.get("final_on")
    return {"final": bool(row.get("final", True)) and not row.get("filling", False),
            "count_final_on": None if final_on is None else str(final_on), "typical_share_present": None}


def _matched(row: dict, k: int) -> dict:
    n = int(_get(row, "size", k))
    t = _get(row, "treated_per_100", k) if "treated_per_100" in row else _get(row, "events", k) * 100 / n
    c = _get(row, "comparison_per_100", k)
    if c <= 0:
        raise JusticeLabError(f"figures: cohort {k}: comparison_per_100 must be positive")
    return {"cohort": k, "treated_matched": n, "treated": n, "treated_per_100": float(t), "comparison_per_100": float(c),
            "reduction_exact": (c - t) / c, "reduction": float((c - t) / c), "events_avoided": float((c - t) / 100 * n),
            "status": "filling" if row.get("filling") else "complete", "maturity": _maturity(row)}


def _baseline(row: dict, k: int, contract: Contract) -> list[dict]:
    conf = contract.comparison.confidence
    n = int(_get(row, "size", k))
    rate = _get(row, "rate", k) / 100 if "rate" in row else _get(row, "reconvicted", k) / n
    n_b = int(row.get("baseline_size", 0)) or None
    if "expected_rate" in row:
        expected = _get(row, "expected_rate", k) / 100
        base = _get(row, "baseline_rate", k) / 100 if "baseline_rate" in row else expected
    else:
        expected, base = None, _get(row, "baseline_rate", k) / 100
    out = binary_comparison(rate, n, base, n_b or n, conf, expected_rate=expected,
                            var_expected=float(row.get("expected_variance", 0.0)))
    if n_b is None and expected is None:
        out.update(fall_low_pp=None, fall_high_pp=None, p_value=None)
    if "p_value" in row:
        out["p_value"] = float(row["p_value"])
    results = [out]
    if "frequency" in row:
        f, fb, r = _get(row, "frequency", k), _get(row, "baseline_frequency", k), int(_get(row, "reoffenders", k))
        freq = frequency_comparison(f, 0.0, r, fb, 0.0, r, conf)
        freq.update(fall_low=None, fall_high=None, p_value=float(row["frequency_p_value"])
                    if "frequency_p_value" in row else None)
        results.append(freq)
    for x in results:
        x.update(cohort=k, status="filling" if row.get("filling") else "complete", maturity=_maturity(row))
    return results


def calculate(contract: Contract, figures: dict) -> dict:
    """The decision and ledger for a contract from summary figures (see the module's docstring). Returns
    {"as_of", "final", "cohorts" or "results", "pooled", "steps", "payments", "total", "returns"}."""
    if not isinstance(figures, dict) or not isinstance(figures.get("cohorts"), list) or not figures["cohorts"]:
        raise JusticeLabError("figures: expected a 'cohorts:' list with one entry per cohort")
    e = contract.eligibility
    as_of = figures.get("as_of") or e.released_to + timedelta(days=548)
    try:
        as_of = as_of if isinstance(as_of, date) else date.fromisoformat(str(as_of))
    except ValueError:
        raise JusticeLabError(f"figures: as_of '{as_of}' is not a date (YYYY-MM-DD)") from None
    if not all(isinstance(r, dict) for r in figures["cohorts"]):
        raise JusticeLabError("figures: each entry of 'cohorts:' is a set of fields (cohort:, size:, ...)")
    rows = [(int(r.get("cohort", i + 1)), r) for i, r in enumerate(figures["cohorts"])]
    for k, r in rows:
        if _get(r, "size", k) <= 0:
            raise JusticeLabError(f"figures: cohort {k}: size must be positive")
    if contract.type == "matched_comparison":
        cohorts = [_matched(r, k) for k, r in rows]
        book = matched_payments(contract, cohorts, as_of)
        final, detail = all_counts_final(contract, cohorts, as_of), {"cohorts": cohorts}
    else:
        results = [x for k, r in rows for x in _baseline(r, k, contract)]
        book = baseline_payments(contract, results)
        final = all(x["maturity"]["final"] and x["status"] == "complete" for x in results) and as_of >= e.released_to
        detail = {"results": results}
    return {"as_of": as_of.isoformat(), "final": final, **detail, "pooled": book.pooled, "steps": book.steps,
            "payments": book.payments, "total": book.paid, "currency": contract.payment.currency,
            "returns": returns(contract, book)}


def load_figures(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise JusticeLabError(f"no figures file at {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as exc:
        raise JusticeLabError(f"{path.name}: not valid YAML or JSON ({str(exc).splitlines()[0]})") from None
    return data


def jsonable(result: dict) -> dict:
    """Decimals as strings, so the JSON keeps them exact."""
    return json.loads(json.dumps(result, default=str))
