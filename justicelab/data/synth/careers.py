"""Criminal careers: a vectorised simulation of offending, sentencing and reoffending.

The model (docs/synthetic_data.md gives it in full):

* A career is a sequence of *occasions*. Each occasion is a spell of one or more offences that are
  proven together on one date (a caution, or a conviction and sentence at court).
* After each occasion a person either desists (a logistic model) or, from the day they are at risk again
  (release from custody, otherwise the disposal date), waits a Weibull time with shape < 1 (front-loaded
  risk) until the next occasion's first offence. The Weibull rate is proportional hazards in observed
  characteristics (age, sex, previous occasions, custody, employability) plus an unobserved propensity u.
* The disposal is a multinomial logit in offence seriousness and criminal history.

The loop runs over occasion number, each step vectorised across everyone still offending. In *coupled*
mode every step draws its random numbers for all people of the starting set, so two runs that differ
only in a treatment effect share their randomness: the difference between them is the effect alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .reference import DISPOSAL_TYPES, OFFENCE_GROUPS

MAX_EXTRA_OFFENCES = 8
CAUTION, FINE, COMMUNITY, SUSPENDED, CUSTODY = range(5)
assert DISPOSAL_TYPES[CUSTODY] == "custody"

GROUP_NAMES = tuple(OFFENCE_GROUPS)
GROUP_SHARE = np.array([v[0] for v in OFFENCE_GROUPS.values()])
GROUP_SHARE = GROUP_SHARE / GROUP_SHARE.sum()
GROUP_CLASS_CUM = np.cumsum(np.array([v[1:4] for v in OFFENCE_GROUPS.values()]), axis=1)
GROUP_SEXUAL = np.array([v[4] for v in OFFENCE_GROUPS.values()])
BREACH = -1  # offence group code of a breach of a court order
MISSING = -1_000_000  # day number standing for "no date" (still in prison)
# class codes: 0 indictable-only, 1 either-way, 2 summary (lower is more serious)


@dataclass(frozen=True)
class CareerModel:
    """Coefficients of the generating model, calibrated to the proven reoffending bulletin (see docs)."""

    weibull_shape: float = 0.8
    hazard_intercept: float = -7.3
    hazard_u: float = 0.6
    hazard_prior: float = 0.33  # per log(1 + previous occasions)
    hazard_male: float = 0.25
    hazard_age: float = -0.028  # per year over 30
    hazard_custody: float = 0.95  # at risk after release from custody
    hazard_employability: float = -0.30
    hazard_long_sentence: float = -1.1  # per log(1 + sentence years beyond the first)
    desist_intercept: float = -1.05
    desist_u: float = -0.9
    desist_prior: float = -0.40
    desist_age: float = 0.045
    extra_offences_mean: float = 0.8  # Poisson mean of offences beyond the first, per occasion
    extra_offences_u: float = 0.35
    bail_overlap_prob: float = 0.2  # next spell begins before this occasion was dealt with
    breach_prob: float = 0.2
    sentencer_sees_risk: float = 0.5  # pre-sentence reports reveal needs: supervision goes to riskier people


@dataclass
class Effect:
    """A planted programme effect, active from the intervention's start until `until` (day numbers).

    The hazard is multiplied by `hazard_ratio` only inside that window: a gap that begins before the
    intervention starts is drawn from the piecewise cumulative hazard, so nothing before the start
    is touched (people who reoffend before it would have done so anyway)."""

    hazard_ratio: float | np.ndarray  # one for everyone, or per person of the starting set
    offences_ratio: float
    start: np.ndarray  # per person of the starting set
    until: np.ndarray


@dataclass
class Start:
    """Where simulation begins for each person in the set (all arrays the same length)."""

    person: np.ndarray  # index into the people arrays
    clock: np.ndarray  # first offence date (fresh careers) or at-risk date (continuations), in days
    fresh: np.ndarray  # True: an occasion happens at `clock`; False: a gap is drawn from `clock` first
    prior_occasions: np.ndarray
    prior_offences: np.ndarray
    prior_custody: np.ndarray
    after_custody: np.ndarray  # the at-risk spell follows release from custody
    last_order: np.ndarray  # date of the last community/suspended order (for breaches), -inf if none
    last_months: np.ndarray  # length of the custodial sentence the at-risk spell follows (0 if none)


@dataclass
class Careers:
    """Occasions (one row each) and their offences, as columns."""

    occ: dict[str, np.ndarray] = field(default_factory=dict)
    off: dict[str, np.ndarray] = field(default_factory=dict)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class _Draws:
    """Random numbers for one step: for all of the starting set (coupled) or only the active people."""

    def __init__(self, rng: np.random.Generator, n_all: int, active: np.ndarray, coupled: bool):
        self.rng, self.n_all, self.active, self.coupled = rng, n_all, active, coupled

    def uniform(self, *extra) -> np.ndarray:
        if self.coupled:
            return self.rng.random((self.n_all, *extra))[self.active]
        return self.rng.random((len(self.active), *extra))


def simulate(start: Start, people: dict[str, np.ndarray], rng: np.random.Generator, snapshot: int,
             model: CareerModel = CareerModel(), coupled: bool = False, effect: Effect | None = None,
             max_steps: int = 400) -> Careers:
    n_all = len(start.person)
    pos = np.arange(n_all)  # position in the starting set of each active person
    clock = start.clock.astype(np.int64).copy()
    fresh = start.fresh.copy()
    prior_occ = start.prior_occasions.astype(np.int32).copy()
    prior_off = start.prior_offences.astype(np.int32).copy()
    prior_cust = start.prior_custody.astype(np.int32).copy()
    after_cust = start.after_custody.copy()
    last_order = start.last_order.astype(np.float64).copy()
    last_months = start.last_months.astype(np.float64).copy()
    occ_parts: list[dict[str, np.ndarray]] = []
    off_parts: list[dict[str, np.ndarray]] = []
    next_occ_id = 0

    for _ in range(max_steps):
        if len(pos) == 0:
            break
        d = _Draws(rng, n_all, pos, coupled)
        pid = start.person[pos]
        u = people["u"][pid]
        dob = people["dob"][pid]
        male = people["male"][pid]
        emp = people["employability"][pid]

        # 1. the gap to the next occasion (or desistance), for those not starting fresh
        age_now = (clock - dob) / 365.25
        eta = (model.hazard_intercept + model.hazard_u * u + model.hazard_prior * np.log1p(prior_occ)
               + model.hazard_male * male + model.hazard_age * (age_now - 30)
               + model.hazard_custody * after_cust + model.hazard_employability * emp
               + model.hazard_long_sentence * np.log1p(np.maximum(last_months - 12, 0) / 12))
        p_desist = _sigmoid(model.desist_intercept + model.desist_u * u
                            + model.desist_prior * np.log1p(prior_occ) + model.desist_age * (age_now - 30))
        r = d.uniform(3)
        desists = (~fresh) & ((r[:, 0] < p_desist) | (age_now > 75))
        gap = np.floor(_gap(-np.log1p(-r[:, 1]), np.exp(eta), model.weibull_shape, clock, pos, effect))
        first_date = np.where(fresh, clock, clock + np.minimum(gap, 1e6)).astype(np.int64)
        keep = (~desists) & (first_date <= snapshot)
        if not keep.any():
            break
        sel = np.flatnonzero(keep)
        pos, pid, u, dob, male, emp = pos[sel], pid[sel], u[sel], dob[sel], male[sel], emp[sel]
        first_date, prior_occ, prior_off, prior_cust = first_date[sel], prior_occ[sel], prior_off[sel], prior_cust[sel]
        last_order, last_months = last_order[sel], last_months[sel]
        n = len(pos)
        d = _Draws(rng, n_all, pos, coupled)
        treated = (np.zeros(n, bool) if effect is None
                   else (first_date >= effect.start[pos]) & (first_date < effect.until[pos]))

        # 2. the offences of the occasion
        r = d.uniform(6)
        extra_rate = model.extra_offences_mean * np.exp(model.extra_offences_u * u)
        if effect is not None:
            extra_rate = np.where(treated, extra_rate * effect.offences_ratio, extra_rate)
        n_extra = np.minimum(_poisson_from_uniform(r[:, 0], extra_rate), MAX_EXTRA_OFFENCES)
        rx = d.uniform(MAX_EXTRA_OFFENCES, 4)
        main_group = np.searchsorted(np.cumsum(GROUP_SHARE), r[:, 1], side="right").clip(0, len(GROUP_SHARE) - 1)
        other_group = np.searchsorted(np.cumsum(GROUP_SHARE), rx[:, :, 0], side="right").clip(0, len(GROUP_SHARE) - 1)
        groups = np.concatenate([main_group[:, None],
                                 np.where(rx[:, :, 1] < 0.5, main_group[:, None], other_group)], axis=1)
        class_u = np.concatenate([r[:, 2:3], rx[:, :, 2]], axis=1)
        classes = (class_u[..., None] > GROUP_CLASS_CUM[groups][..., :2]).sum(axis=2)  # 0,1,2
        gaps = np.concatenate([np.zeros((n, 1)), np.floor(-np.log1p(-rx[:, :, 3]) * 12)], axis=1)
        off_dates = first_date[:, None] + np.cumsum(gaps, axis=1).astype(np.int64)
        present = np.arange(MAX_EXTRA_OFFENCES + 1)[None, :] <= n_extra[:, None]
        cls_masked = np.where(present, classes, 9)
        principal_class = cls_masked.min(axis=1)
        principal_at = np.argmax(cls_masked == principal_class[:, None], axis=1)
        principal_group = groups[np.arange(n), principal_at]
        last_offence = np.where(present, off_dates, -1).max(axis=1)
        breach = (first_date - last_order <= 365) & (r[:, 3] < model.breach_prob)
        age = (first_date - dob) / 365.25

        # 3. the disposal
        rd = d.uniform(10)
        lp = np.log1p(prior_occ)
        ind, ew = principal_class == 0, principal_class == 1
        many = n_extra >= 2
        util = np.stack([
            0.9 - 2.0 * lp - 4.0 * ind - 0.6 * ew + 0.8 * (age < 18) - model.sentencer_sees_risk * u,  # caution
            np.zeros(n),  # fine or discharge
            -1.1 + 0.65 * lp + 0.7 * ew + 1.8 * ind + 0.3 * many + 0.4 * breach
            + model.sentencer_sees_risk * u,  # community order
            -2.3 + 0.6 * lp + 0.9 * ew + 2.4 * ind + 0.3 * (prior_cust > 0)
            + 0.5 * model.sentencer_sees_risk * u,  # suspended sentence
            -3.9 + 0.85 * lp + 1.1 * ew + 4.0 * ind + 0.9 * (prior_cust > 0) + 0.4 * male + 0.4 * many
            + 0.5 * breach - 1.5 * (age < 18) + model.sentencer_sees_risk * u,  # custody
        ], axis=1)
        prob = np.exp(util - util.max(axis=1, keepdims=True))
        cum = np.cumsum(prob / prob.sum(axis=1, keepdims=True), axis=1)
        dtype = (rd[:, 0:1] > cum[:, :-1]).sum(axis=1)
        custody = dtype == CUSTODY
        court_delay = np.where(ind, 70 + 160 * rd[:, 1] ** 0.7, np.where(ew, 25 + 110 * rd[:, 1] ** 1.2,
                                                                       10 + 80 * rd[:, 1] ** 1.5))
        delay = np.where(dtype == CAUTION, 3 + 25 * rd[:, 1], court_delay).astype(np.int64)
        disposal_date = last_offence + delay
        months = np.where(custody, np.minimum(
            3.0 * np.exp(1.7 * ind + 0.35 * ew + 0.2 * lp + 0.75 * normal_from_uniform(rd[:, 2])), 240), np.nan)
        months = np.round(months, 1)
        from_court = custody & (months < 3) & (rd[:, 3] < 0.12)
        served = np.where(custody, np.round(np.nan_to_num(months) * 30.44 / 2), 0).astype(np.int64)
        release = np.where(custody, disposal_date + np.where(from_court, 0, served), MISSING)
        in_prison_at_snapshot = custody & (release > snapshot)
        release = np.where(in_prison_at_snapshot, MISSING, release)

        # 4. assessment at pre-sentence report for probation and prison cases
        assessed = (dtype >= COMMUNITY) & (rd[:, 4] < 0.85)

        occ_ids = np.arange(next_occ_id, next_occ_id + n)
        next_occ_id += n
        occ_parts.append({
            "occ_id": occ_ids, "start_pos": pos, "person": pid, "first_offence": first_date,
            "disposal_date": disposal_date, "disposal_type": dtype.astype(np.int8),
            "custodial_months": months, "release_date": release, "released_from_court": from_court,
            "principal_group": principal_group.astype(np.int16), "principal_class": principal_class.astype(np.int8),
            "sexual": GROUP_SEXUAL[principal_group], "age": age, "prior_occasions": prior_occ.copy(),
            "prior_offences": prior_off.copy(), "prior_custody": prior_cust.copy(), "assessed": assessed,
            "treated": treated, "court_u": rd[:, 5], "prison_u": rd[:, 6], "assess_u": rd[:, 7],
        })
        rows, cols = np.nonzero(present)
        off_parts.append({
            "occ_id": occ_ids[rows], "person": pid[rows], "offence_date": off_dates[rows, cols],
            "group": groups[rows, cols].astype(np.int16), "class": classes[rows, cols].astype(np.int8),
        })
        b = np.flatnonzero(breach)
        off_parts.append({
            "occ_id": occ_ids[b], "person": pid[b], "offence_date": first_date[b],
            "group": np.full(len(b), BREACH, np.int16), "class": np.full(len(b), 2, np.int8),
        })

        # 5. state for the next step
        prior_occ = prior_occ + 1
        prior_off = prior_off + 1 + n_extra
        prior_cust = prior_cust + custody
        last_order = np.where((dtype == COMMUNITY) | (dtype == SUSPENDED), disposal_date, last_order)
        overlap = np.where(rd[:, 8] < model.bail_overlap_prob, np.floor(rd[:, 9] * 60), 0).astype(np.int64)
        at_risk = np.where(custody, release, np.maximum(disposal_date - overlap, first_date + 1))
        still = ~in_prison_at_snapshot
        sel = np.flatnonzero(still)
        pos, clock = pos[sel], at_risk[sel]
        prior_occ, prior_off, prior_cust = prior_occ[sel], prior_off[sel], prior_cust[sel]
        last_order, after_cust = last_order[sel], custody[sel]
        last_months = np.nan_to_num(months)[sel]
        fresh = np.zeros(len(pos), bool)

    # the extract holds only what had been proven by the snapshot date
    occ, off = _concat(occ_parts), _concat(off_parts)
    if occ:
        proven = occ["disposal_date"] <= snapshot
        known = np.zeros(next_occ_id, bool)
        known[occ["occ_id"][proven]] = True
        occ = {k: v[proven] for k, v in occ.items()}
        off = {k: v[known[off["occ_id"]]] for k, v in off.items()}
    return Careers(occ, off)


def _gap(e: np.ndarray, rate: np.ndarray, k: float, clock: np.ndarray, pos: np.ndarray,
         effect: Effect | None) -> np.ndarray:
    """Days until the next offence: invert H(t) = rate * t^k for a unit exponential draw e, with the
    rate multiplied by the hazard ratio inside the effect window [a, b) measured from `clock`."""
    if effect is None:
        return (e / rate) ** (1.0 / k)
    a = np.maximum(effect.start[pos] - clock, 0).astype(float)
    b = np.maximum(effect.until[pos] - clock, a).astype(float)
    hr = np.asarray(effect.hazard_ratio, float)
    hr = hr[pos] if hr.ndim else hr
    h_a = rate * a ** k
    h_b = h_a + hr * rate * (b ** k - a ** k)
    with np.errstate(invalid="ignore"):  # each branch is only used where its base is positive
        before = (e / rate) ** (1.0 / k)
        inside = ((e - h_a) / (hr * rate) + a ** k) ** (1.0 / k)
        after = ((e - h_b) / rate + b ** k) ** (1.0 / k)
    return np.where(e < h_a, before, np.where(e < h_b, inside, after))


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if not parts:
        return {}
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _poisson_from_uniform(r: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Inverse-CDF Poisson draw, so coupled runs stay coupled when the mean changes."""
    k = np.zeros(len(r), np.int64)
    p = np.exp(-mean)
    cdf = p.copy()
    for i in range(1, MAX_EXTRA_OFFENCES + 1):
        more = r > cdf
        if not more.any():
            break
        k += more
        p = p * mean / i
        cdf = cdf + p
    return k


def normal_from_uniform(r: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    return ndtri(np.clip(r, 1e-12, 1 - 1e-12))
