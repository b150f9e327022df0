"""The payment calculation, step by step, as a commissioner would check it by hand.

Matched contracts (Peterborough rules): a cohort whose final result reaches the cohort threshold is paid
on its own, price x events avoided; once every cohort is final and the contract period is over, a pooled
reduction (cohort reductions weighted by cohort size) at or above the pooled threshold pays for all
events avoided less what was already paid. Payments stop at the cap. Baseline contracts pay a fixed sum
and/or a price per outcome avoided when the threshold is met. Payment dates: a result is final on the day
its last member's waiting period ends; payment follows after the contract's lag.
"""
from __future__ import annotations

from datetime import date, timedelta

from .arithmetic import irr, pooled_reduction
from .contract import Contract


def _money(x: float, currency: str) -> str:
    symbol = {"GBP": "£", "EUR": "€", "USD": "$"}.get(currency, currency + " ")
    return f"{symbol}{x:,.0f}"


class Ledger:
    """Payments as they fall due, capped, with the reasoning in words."""

    def __init__(self, contract: Contract):
        self.contract, self.steps, self.payments, self.paid = contract, [], [], 0.0

    def say(self, text: str) -> None:
        self.steps.append(text)

    def pay(self, amount: float, on: date | None, why: str, provisional: bool) -> None:
        cap = self.contract.payment.cap
        cur = self.contract.payment.currency
        if cap is not None and self.paid + amount > cap:
            self.say(f"The cap of {_money(cap, cur)} limits this payment to {_money(cap - self.paid, cur)}.")
            amount = max(cap - self.paid, 0.0)
        if amount <= 0:
            return
        self.paid += amount
        self.payments.append({"amount": amount, "due": on.isoformat() if on else None, "reason": why,
                              "provisional": provisional})


def _due(final_on: str | None, lag: int) -> date | None:
    return date.fromisoformat(final_on) + timedelta(days=lag) if final_on else None


def all_counts_final(contract: Contract, cohorts: list[dict], as_of: date) -> bool:
    """Every cohort's count is final and the contract period is over: nothing can change any more."""
    return all(c["maturity"]["final"] for c in cohorts) and as_of >= contract.eligibility.released_to


def matched_payments(contract: Contract, cohorts: list[dict], as_of: date) -> Ledger:
    p, cur = contract.payment, contract.payment.currency
    book = Ledger(contract)
    for c in cohorts:
        n, r = c["treated_matched"], c["reduction"]
        provisional = not c["maturity"]["final"] or c["status"] != "complete"
        label = " (provisional: the count is not final)" if provisional else ""
        book.say(f"Cohort {c['cohort']}{label}: {c['comparison_per_100']:.1f} events per 100 in the comparison group "
                 f"(C) and {c['treated_per_100']:.1f} in the cohort (T). R = (C - T) / C = "
                 f"({c['comparison_per_100']:.1f} - {c['treated_per_100']:.1f}) / {c['comparison_per_100']:.1f} = "
                 f"{100 * r:.1f}%.")
        if p.cohort_threshold is None:
            continue
        if r >= p.cohort_threshold:
            avoided = c["events_avoided"]
            book.say(f"{100 * r:.1f}% reaches the cohort threshold of {100 * p.cohort_threshold:g}%: events avoided = "
                     f"(C - T) / 100 x {n} = {avoided:.1f}; payment = {avoided:.1f} x {_money(p.price_per_event, cur)} = "
                     f"{_money(avoided * p.price_per_event, cur)}.")
            book.pay(avoided * p.price_per_event, _due(c["maturity"]["count_final_on"], p.lag_days),
                     f"cohort {c['cohort']} reached {100 * p.cohort_threshold:g}%", provisional)
        else:
            book.say(f"{100 * r:.1f}% is below the cohort threshold of {100 * p.cohort_threshold:g}%: no payment "
                     f"for cohort {c['cohort']} on its own.")
    complete = [c for c in cohorts if c["status"] == "complete"]  # a cohort still filling is not pooled yet
    if p.pooled_threshold is not None and complete:
        if len(complete) < len(cohorts):
            book.say("The cohort still filling is left out of the pooled result until it is complete.")
        sizes = [c["treated_matched"] for c in complete]
        pooled = pooled_reduction([c["reduction"] for c in complete], sizes)
        final = all_counts_final(contract, cohorts, as_of)
        terms = " + ".join(f"{c['treated_matched']} x {100 * c['reduction']:.1f}%" for c in complete)
        book.say(f"Pooled over all cohorts{'' if final else ' (provisional)'}: ({terms}) / {sum(sizes)} = "
                 f"{100 * pooled:.1f}%.")
        if pooled >= p.pooled_threshold:
            total = sum(c["events_avoided"] for c in complete) * p.price_per_event
            rest = max(total - book.paid, 0.0)
            last = max((c["maturity"]["count_final_on"] for c in cohorts if c["maturity"]["count_final_on"]),
                       default=None)
            book.say(f"{100 * pooled:.1f}% reaches the pooled threshold of {100 * p.pooled_threshold:g}%: all events "
                     f"avoided x price = {_money(total, cur)}, less {_money(book.paid, cur)} already paid = "
                     f"{_money(rest, cur)}.")
            if rest > 0:
                book.pay(rest, _due(last, p.lag_days), f"pooled reduction reached {100 * p.pooled_threshold:g}%",
                         not final)
        else:
            book.say(f"{100 * pooled:.1f}% is below the pooled threshold of {100 * p.pooled_threshold:g}%: "
                     "no pooled payment.")
        book.pooled = {"reduction": pooled, "final": final, "pays": pooled >= p.pooled_threshold}
    return book


def baseline_payments(contract: Contract, results: list[dict], maturity: dict) -> Ledger:
    """Baseline contracts: the binary rate must fall by the contract's points (or, without a threshold,
    a measure must improve); then the fixed sum and/or the price per outcome avoided. Marks each result's
    `threshold_met`."""
    p, cur = contract.payment, contract.payment.currency
    book = Ledger(contract)
    on = _due(maturity["count_final_on"], p.lag_days)
    provisional = not maturity["final"]
    for r in results:
        word = "percentage points" if r["measure"] == "binary_rate" else "reoffences per reoffender"
        fall = r.get("fall_pp", r.get("fall"))
        met = fall >= p.percentage_points if (p.percentage_points is not None and r["measure"] == "binary_rate") \
            else fall > 0
        r["threshold_met"] = bool(met)
        ref = r.get("expected_rate", r.get("baseline_rate", r.get("baseline_value")))
        book.say(f"{r['measure'].replace('_', ' ')}: baseline {ref:.3f}, this period "
                 f"{r.get('cohort_rate', r.get('cohort_value')):.3f}: a fall of {fall:.2f} {word}"
                 f"{' (provisional: the count is not final)' if provisional else ''}.")
        if not met:
            book.say("The threshold is not met: no payment for this measure." if p.percentage_points
                     else "No improvement: no payment for this measure.")
            continue
        if p.fixed_on_success and r["measure"] == "binary_rate":
            book.say(f"The threshold of {p.percentage_points:g} points is met: the fixed sum is paid.")
            book.pay(p.fixed_on_success, on, "threshold met", provisional)
        if p.price_per_event:
            amount = max(r["outcomes_avoided"], 0) * p.price_per_event
            book.say(f"Outcomes avoided {r['outcomes_avoided']:.1f} x price {p.price_per_event:,.0f} {cur} = "
                     f"{amount:,.0f} {cur}.")
            book.pay(amount, on, f"{r['measure'].replace('_', ' ')} improved", provisional)
    return book


def returns(contract: Contract, book: Ledger) -> dict | None:
    """Investors' internal rate of return on the stated investment (from the payments in the ledger)."""
    inv = contract.investment
    if inv is None:
        return None
    flows = [-inv.amount] + [x["amount"] for x in book.payments if x["due"]]
    times = [0.0] + [(date.fromisoformat(x["due"]) - inv.invested_on).days / 365.25 for x in book.payments if x["due"]]
    total = sum(flows[1:])
    rate = irr(flows, times) if total > 0 else None
    return {"invested": inv.amount, "invested_on": inv.invested_on.isoformat(), "repaid": total,
            "irr": rate if total > 0 else -1.0,
            "irr_note": "all of the investment lost (no outcome payment)" if total <= 0 else
            ("no internal rate of return exists for these flows" if rate is None else "")}
