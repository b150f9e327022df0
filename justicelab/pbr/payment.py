"""The payment calculation, step by step, as a commissioner would check it by hand.

Matched contracts (Peterborough rules): a closed cohort whose result reaches the cohort threshold is paid
on its own, price x events avoided. The pooled rule is applied once, when the contract says (its end,
with every cohort's count final), to the cohorts it pools: the reduction weighted by cohort size, at or
above the pooled threshold, pays for all their events avoided less what was already paid. Before then a
pooled figure may be shown but books nothing. Payments stop at the cap. Baseline contracts pay per cohort:
a fixed sum and/or a price per outcome avoided when the threshold (and, if the contract says, a
significance test) is met, and may deduct for a significant rise. Thresholds are compared in decimals after
the contract's rounding. Payment dates: a result is final the day its last member's waiting period ends;
payment follows after the contract's lag. A cohort still filling has no result, no final date and no
due date.
"""
from __future__ import annotations

from datetime import date, timedelta

from .arithmetic import compared_figure, irr, to_decimal
from .contract import Contract


def _money(x: float, currency: str) -> str:
    symbol = {"GBP": "£", "EUR": "€", "USD": "$"}.get(currency, currency + " ")
    return f"{'-' if x < 0 else ''}{symbol}{abs(x):,.0f}"


class Ledger:
    """Payments (and deductions) as they fall due, capped, with the reasoning in words."""

    def __init__(self, contract: Contract):
        self.contract, self.steps, self.payments, self.paid = contract, [], [], 0.0
        self.pooled = None

    def say(self, text: str) -> None:
        self.steps.append(text)

    def pay(self, amount: float, on: date | None, why: str, provisional: bool) -> None:
        cap = self.contract.payment.cap
        cur = self.contract.payment.currency
        if cap is not None and amount > 0 and self.paid + amount > cap:
            self.say(f"The cap of {_money(cap, cur)} limits this payment to {_money(max(cap - self.paid, 0), cur)}.")
            amount = max(cap - self.paid, 0.0)
        if amount == 0:
            return
        self.paid += amount
        self.payments.append({"amount": amount, "due": on.isoformat() if on else None, "reason": why,
                              "provisional": provisional})


def _due(final_on: str | None, lag: int) -> date | None:
    return date.fromisoformat(final_on) + timedelta(days=lag) if final_on else None


def all_counts_final(contract: Contract, cohorts: list[dict], as_of: date) -> bool:
    """Every cohort's count is final and the contract period is over: nothing can change any more."""
    return all(c["maturity"]["final"] for c in cohorts) and as_of >= contract.eligibility.released_to


def _rounding(contract: Contract) -> tuple[int | None, str]:
    r = contract.payment.rounding
    return r.places, r.mode


def _pct(value, contract: Contract) -> str:
    """The compared figure as printed: the contract's decimal places, or one place when exact."""
    places, mode = _rounding(contract)
    fig = compared_figure(value, places, mode)
    return f"{fig:.{places if places is not None else 1}f}%"


def _reduction(c: dict):
    return c.get("reduction_exact", c["reduction"])


def matched_payments(contract: Contract, cohorts: list[dict], as_of: date) -> Ledger:
    p, cur = contract.payment, contract.payment.currency
    places, mode = _rounding(contract)
    book = Ledger(contract)
    for c in cohorts:
        n, r = c["treated_matched"], _reduction(c)
        filling = c["status"] != "complete"
        provisional = not c["maturity"]["final"]
        label = " (still filling)" if filling else (" (provisional: the count is not final)" if provisional else "")
        book.say(f"Cohort {c['cohort']}{label}: {c['comparison_per_100']:.1f} events per 100 in the comparison group "
                 f"(C) and {c['treated_per_100']:.1f} in the cohort (T). R = (C - T) / C = "
                 f"({c['comparison_per_100']:.1f} - {c['treated_per_100']:.1f}) / {c['comparison_per_100']:.1f} = "
                 f"{_pct(r, contract)}.")
        if p.cohort_threshold is None:
            continue
        if filling:
            book.say(f"Cohort {c['cohort']} is still filling: no decision until it closes and its count is final.")
            continue
        if compared_figure(r, places, mode) >= to_decimal(p.cohort_threshold) * 100:
            avoided = c["events_avoided"]
            book.say(f"{_pct(r, contract)} reaches the cohort threshold of {100 * p.cohort_threshold:g}%: events avoided"
                     f" = (C - T) / 100 x {n} = {avoided:.1f}; payment = {avoided:.1f} x "
                     f"{_money(p.price_per_event, cur)} = {_money(avoided * p.price_per_event, cur)}.")
            book.pay(avoided * p.price_per_event, _due(c["maturity"]["count_final_on"], p.lag_days),
                     f"cohort {c['cohort']} reached {100 * p.cohort_threshold:g}%", provisional)
        else:
            book.say(f"{_pct(r, contract)} is below the cohort threshold of {100 * p.cohort_threshold:g}%: no payment "
                     f"for cohort {c['cohort']} on its own.")
    if p.pooled_threshold is not None:
        _pooled(book, contract, cohorts, as_of)
    return book


def _pooled(book: Ledger, contract: Contract, cohorts: list[dict], as_of: date) -> None:
    """The pooled rule: once, at the contract's end, on the cohorts the contract pools."""
    p, cur = contract.payment, contract.payment.currency
    places, mode = _rounding(contract)
    pooled_ids = p.pooled_cohorts or [c["cohort"] for c in cohorts]
    chosen = [c for c in cohorts if c["cohort"] in pooled_ids and c["status"] == "complete"]
    final = all_counts_final(contract, cohorts, as_of) and len(chosen) == len(pooled_ids)
    if not chosen:
        return
    sizes = [c["treated_matched"] for c in chosen]
    pooled = sum(to_decimal(_reduction(c)) * n for c, n in zip(chosen, sizes)) / sum(sizes)
    terms = " + ".join(f"{c['treated_matched']} x {_pct(_reduction(c), contract)}" for c in chosen)
    which = "all cohorts" if p.pooled_cohorts is None else "cohorts " + ", ".join(map(str, pooled_ids))
    figure = f"({terms}) / {sum(sizes)} = {_pct(pooled, contract)}"
    met = compared_figure(pooled, places, mode) >= to_decimal(p.pooled_threshold) * 100
    book.pooled = {"reduction": float(pooled), "final": final, "pays": bool(met) if final else None,
                   "cohorts": [c["cohort"] for c in chosen]}
    if not final:
        final_on = contract.eligibility.released_to + timedelta(days=548)
        book.say(f"The pooled rule ({100 * p.pooled_threshold:g}% over {which}) is applied once, when the contract "
                 f"has ended and every count is final (not before {final_on}). On the cohorts closed so far the "
                 f"pooled reduction would be {figure}: shown for information, nothing is booked on it.")
        return
    book.say(f"Pooled over {which}: {figure}.")
    if met:
        total = sum(c["events_avoided"] for c in chosen) * p.price_per_event
        rest = max(total - book.paid, 0.0)
        last = max((c["maturity"]["count_final_on"] for c in cohorts if c["maturity"]["count_final_on"]), default=None)
        book.say(f"{_pct(pooled, contract)} reaches the pooled threshold of {100 * p.pooled_threshold:g}%: all events "
                 f"avoided x price = {_money(total, cur)}, less {_money(book.paid, cur)} already paid = "
                 f"{_money(rest, cur)}.")
        if rest > 0:
            book.pay(rest, _due(last, p.lag_days), f"pooled reduction reached {100 * p.pooled_threshold:g}%", False)
    else:
        book.say(f"{_pct(pooled, contract)} is below the pooled threshold of {100 * p.pooled_threshold:g}%: "
                 "no pooled payment.")


def _fall(r: dict):
    """The improvement as a share (binary: the fall in the rate) or in reoffences per reoffender."""
    if r["measure"] == "binary_rate":
        return r.get("fall_exact", r["fall_pp"] / 100)
    return r.get("fall_exact", r["fall"])


def baseline_payments(contract: Contract, results: list[dict]) -> Ledger:
    """Baseline contracts, per cohort and measure: the threshold (binary: the contract's points; otherwise
    any improvement), then the significance gate if the contract has one; then the fixed sum and/or the
    measure's price per outcome avoided; a significant rise is deducted when the contract says so. Each
    result gets `threshold_met`, `significant` and `decision`."""
    p, cur = contract.payment, contract.payment.currency
    places, mode = _rounding(contract)
    alpha = 1 - contract.comparison.confidence
    book = Ledger(contract)
    for r in results:
        mat = r["maturity"]
        on, provisional = _due(mat.get("count_final_on"), p.lag_days), not mat["final"]
        binary = r["measure"] == "binary_rate"
        fall = _fall(r)
        shown = compared_figure(fall, places, mode, scale=100 if binary else 1)
        unit = "percentage points" if binary else "reoffences per reoffender"
        ref = r.get("expected_rate", r.get("baseline_rate", r.get("baseline_value")))
        ref_name = "expected (case mix)" if "expected_rate" in r else "baseline"
        now = r.get("cohort_rate", r.get("cohort_value"))
        name = f"Cohort {r['cohort']} " if r.get("cohort") is not None else ""
        state = " (still filling)" if r.get("status") == "filling" else (
            " (provisional: the count is not final)" if provisional else "")
        text = f"{shown}" if places is not None else f"{float(shown):.2f}"
        book.say(f"{name}{r['measure'].replace('_', ' ')}{state}: {ref_name} {float(ref):.3f}, this period "
                 f"{float(now):.3f}: a fall of {text} {unit}.")
        r["significant"] = bool(r.get("p_value") is not None and r["p_value"] < alpha)
        if r.get("status") == "filling":
            r["threshold_met"], r["decision"] = False, "no decision while the cohort is filling"
            book.say("The cohort is still filling: no decision until it closes.")
            continue
        if binary and p.percentage_points is not None:
            met = shown >= to_decimal(p.percentage_points)
            rule = f"the threshold of {p.percentage_points:g} points"
        else:
            met = shown > 0
            rule = "an improvement"
        if met and p.significance_required and not r["significant"]:
            met = False
            book.say(f"{rule.capitalize()} is reached but the fall is not significant (p = {r.get('p_value', 1):.3f} "
                     f">= {alpha:g}): the contract pays only significant improvements.")
        r["threshold_met"] = bool(met)
        price = p.price(r["measure"])
        if not met:
            worse = float(shown) < 0 and r["significant"]
            if worse and p.deduction_on_significant_rise and price:
                amount = r["outcomes_avoided"] * price
                r["decision"] = "deduction"
                book.say(f"A significant rise (p = {r['p_value']:.3f}): the contract deducts outcomes added "
                         f"{-r['outcomes_avoided']:.1f} x price {_money(price, cur)} = {_money(amount, cur)}.")
                book.pay(amount, on, f"{name}{r['measure'].replace('_', ' ')} rose significantly", provisional)
            else:
                r["decision"] = "not met"
                book.say(f"{rule.capitalize()} is not met: no payment for this measure.")
            continue
        r["decision"] = "met"
        if p.fixed_on_success and binary:
            book.say(f"{rule.capitalize()} is met: the fixed sum of {_money(p.fixed_on_success, cur)} is paid.")
            book.pay(p.fixed_on_success, on, f"{name}threshold met", provisional)
        if price:
            amount = max(r["outcomes_avoided"], 0) * price
            book.say(f"Outcomes avoided {r['outcomes_avoided']:.1f} x price {_money(price, cur)} = "
                     f"{_money(amount, cur)}.")
            book.pay(amount, on, f"{name}{r['measure'].replace('_', ' ')} improved", provisional)
    return book


def cash_flows(contract: Contract, book: Ledger) -> list[dict]:
    """The investors' cash flows in date order: drawdowns out, payments in, with the running balance."""
    inv = contract.investment
    if inv is None:
        return []
    rows = [(d.drawn_on, -d.amount, "investment drawdown") for d in (inv.drawdowns or [])] or \
        [(inv.invested_on, -inv.amount, "investment")]
    rows += [(date.fromisoformat(x["due"]), x["amount"], x["reason"]) for x in book.payments if x["due"]]
    out, balance = [], 0.0
    for on, amount, what in sorted(rows, key=lambda x: (x[0], x[1])):
        balance += amount
        out.append({"date": on.isoformat(), "amount": amount, "what": what, "balance": balance})
    return out


def returns(contract: Contract, book: Ledger) -> dict | None:
    """Investors' internal rate of return on the stated investment (drawdowns and the ledger's payments)."""
    inv = contract.investment
    if inv is None:
        return None
    flows = cash_flows(contract, book)
    start = date.fromisoformat(flows[0]["date"])
    amounts = [x["amount"] for x in flows]
    times = [(date.fromisoformat(x["date"]) - start).days / 365.25 for x in flows]
    total = sum(a for a in amounts if a > 0)
    rate = irr(amounts, times) if total > 0 else None
    return {"invested": inv.amount, "invested_on": inv.invested_on.isoformat(), "repaid": total,
            "irr": rate if total > 0 else -1.0, "cash_flows": flows,
            "irr_note": "all of the investment lost (no outcome payment)" if total <= 0 else
            ("no internal rate of return exists for these flows" if rate is None else "")}
