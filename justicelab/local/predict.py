"""An OGRS-style reoffending prediction model, its calibration and discrimination, and a local cohort's
predicted one-year rate against its actual rate.

The model is a logistic regression of one-year proven reoffending on what OGRS uses: age band, sex,
criminal history (previous sanctions and custodial sentences), the Copas rate and the index offence,
plus the sentence. It is fitted on the national cohort with the local cohort left out, so the local
people never predict themselves.

Predicted vs actual is weak evidence, and every output says so: people are chosen for a scheme
because of a recent burst of offending (regression to the mean makes their next year look better
than their record predicts) or because they are motivated to change (which the record does not
show). The interval of (actual - predicted) includes the model's own uncertainty (delta method on the
coefficients) as well as the binomial variation of the local outcomes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from ..errors import JusticeLabError
from ..matching.logistic import _information, fit_logit
from .intervals import Z95, wilson

AGE_BANDS = (18, 21, 25, 30, 40, 50)  # lower bounds; the first band is the reference
FEATURE_COLUMNS = ("age", "gender", "previous_sanctions", "previous_custodial_sentences", "copas_rate",
                   "index_offence_group", "sentence_group")
MIN_LOCAL = 30  # below this a local cohort's rate is too noisy to compare with anything

WEAK_EVIDENCE = (
    "Predicted against actual is weak evidence of a scheme's effect. People are usually chosen for a "
    "scheme after a recent burst of offending, and such bursts are followed by quieter spells whatever "
    "anyone does (regression to the mean), so actual rates below predicted are expected even when the "
    "scheme does nothing. People who agree to take part may also be more motivated to stop than their "
    "records show. A matched comparison group (justicelab analyse) answers the question far better "
    "when there are enough people.")


@dataclass
class PredictionModel:
    """Coefficients of the fitted model with their covariance, and the levels of its categories."""
    names: list[str]
    params: np.ndarray
    cov: np.ndarray
    offence_groups: list[str]
    sentence_groups: list[str]
    n: int
    base_rate: float
    kept: list[int]  # design columns the fit used (a column constant in the national cohort is dropped)
    link: str = "logit"  # logit: a rate (reoffended); log: a frequency (reoffences per person)

    def design(self, frame: pd.DataFrame) -> np.ndarray:
        return design_matrix(frame, self.offence_groups, self.sentence_groups)[0][:, self.kept]

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self.inverse_link(self.design(frame) @ self.params)

    def inverse_link(self, eta: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-eta)) if self.link == "logit" else np.exp(eta)

    def derivative(self, mu: np.ndarray) -> np.ndarray:
        """d mu / d eta at mu: what the delta method multiplies each row of the design by."""
        return mu * (1 - mu) if self.link == "logit" else mu

    def coefficients(self) -> pd.DataFrame:
        se = np.sqrt(np.diag(self.cov))
        return pd.DataFrame({"term": self.names, "coefficient": self.params, "standard_error": se,
                             "odds_ratio": np.exp(self.params)})


def design_matrix(frame: pd.DataFrame, offence_groups: list[str], sentence_groups: list[str]
                  ) -> tuple[np.ndarray, list[str]]:
    """Intercept, age bands, male, ln(1 + previous sanctions), ln(1 + previous custody), the Copas rate and
    its square (it halves the worst decile's miscalibration on the synthetic cohort), index offence and
    sentence group (the first level of each category is the reference)."""
    missing = [c for c in FEATURE_COLUMNS if c not in frame]
    if missing:
        raise JusticeLabError(f"prediction needs column(s) {', '.join(missing)}")
    age = frame["age"].to_numpy(float)
    cols = [np.ones(len(frame))]
    names = ["intercept"]
    for lo, hi in zip(AGE_BANDS[1:], AGE_BANDS[2:] + (1000,)):
        cols.append(((age >= lo) & (age < hi)).astype(float))
        names.append(f"age {lo}-{hi - 1}" if hi < 1000 else f"age {lo}+")
    cols += [(frame["gender"].to_numpy() == "M").astype(float),
             np.log1p(frame["previous_sanctions"].to_numpy(float)),
             np.log1p(frame["previous_custodial_sentences"].to_numpy(float)),
             frame["copas_rate"].to_numpy(float), frame["copas_rate"].to_numpy(float) ** 2]
    names += ["male", "ln(1 + previous sanctions)", "ln(1 + previous custodial sentences)", "Copas rate",
              "Copas rate squared"]
    for column, levels in (("index_offence_group", offence_groups), ("sentence_group", sentence_groups)):
        values = frame[column].to_numpy()
        for level in levels[1:]:
            cols.append((values == level).astype(float))
            names.append(f"{column}: {level}")
    return np.column_stack(cols), names


def _levels(frame: pd.DataFrame, column: str) -> list[str]:
    """Categories seen at least 30 times, the commonest first (the reference); the rest pool into it."""
    counts = frame[column].value_counts()
    kept = sorted(counts[counts >= 30].index)
    return [counts.index[0]] + [k for k in kept if k != counts.index[0]]


def _national_design(frame: pd.DataFrame) -> tuple[np.ndarray, list[str], list[str], list[str], list[int]]:
    if len(frame) < 500:
        raise JusticeLabError(f"the national cohort has {len(frame)} people: too few to fit a prediction model")
    offence_groups, sentence_groups = _levels(frame, "index_offence_group"), _levels(frame, "sentence_group")
    X, names = design_matrix(frame, offence_groups, sentence_groups)
    kept = [0] + [j for j in range(1, X.shape[1]) if np.ptp(X[:, j]) > 0]
    return X[:, kept], [names[j] for j in kept], offence_groups, sentence_groups, kept


def fit_model(frame: pd.DataFrame, outcome: str = "reoffended") -> PredictionModel:
    """Logistic fit of the one-year rate on a national cohort; categories seen fewer than 30 times are
    pooled into the reference, and columns with no variation are dropped, so every coefficient is
    estimable."""
    X, names, offence_groups, sentence_groups, kept = _national_design(frame)
    y = frame[outcome].to_numpy(float)
    fit = fit_logit(X, y)
    if not fit.converged:
        raise JusticeLabError("the prediction model did not converge")
    p = 1.0 / (1.0 + np.exp(-(X @ fit.params)))
    cov = np.linalg.inv(_information(X, p * (1 - p)))
    return PredictionModel(names, fit.params, cov, offence_groups, sentence_groups, len(frame), float(y.mean()),
                           kept)


def fit_frequency_model(frame: pd.DataFrame, outcome: str = "reoffences", max_iter: int = 50) -> PredictionModel:
    """Log-linear fit of reoffences per person (Poisson quasi-likelihood, Newton's method). Only the mean
    is used; the coefficients' covariance is the robust sandwich A^-1 B A^-1 (A = X'diag(mu)X,
    B = X'diag((y - mu)^2)X), since reoffence counts vary far more than a Poisson count would."""
    X, names, offence_groups, sentence_groups, kept = _national_design(frame)
    y = frame[outcome].to_numpy(float)
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(max(y.mean(), 1e-9))
    for _ in range(max_iter):
        mu = np.exp(X @ beta)
        step = np.linalg.solve(_information(X, mu), X.T @ (y - mu))
        beta += step
        if np.max(np.abs(step) / np.maximum(1.0, np.abs(beta))) < 1e-10:
            break
    else:
        raise JusticeLabError("the frequency model did not converge")
    mu = np.exp(X @ beta)
    bread = np.linalg.inv(_information(X, mu))
    cov = bread @ _information(X, (y - mu) ** 2) @ bread
    return PredictionModel(names, beta, cov, offence_groups, sentence_groups, len(frame), float(y.mean()), kept,
                           link="log")


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve: the Mann-Whitney statistic (ties count a half)."""
    y = np.asarray(y).astype(bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def calibration(y: np.ndarray, p: np.ndarray, groups: int = 10) -> pd.DataFrame:
    """Observed against predicted by decile of predicted risk, with Wilson intervals for the observed."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    order = np.argsort(p, kind="stable")
    decile = np.empty(len(p), np.int64)
    decile[order] = np.arange(len(p)) * groups // len(p)
    frame = pd.DataFrame({"decile": decile + 1, "y": y, "p": p}).groupby("decile").agg(
        people=("y", "size"), reoffenders=("y", "sum"), predicted=("p", "mean"), observed=("y", "mean"))
    frame["observed_low"], frame["observed_high"] = wilson(frame["reoffenders"], frame["people"])
    return frame.reset_index()


def predicted_vs_actual(model: PredictionModel, local: pd.DataFrame, outcome: str = "reoffended") -> dict:
    """The local cohort's actual and predicted mean (rate or frequency), and (actual - predicted) with a
    95% interval whose variance is the outcomes' variance given the predictions plus the model's (delta
    method: the gradient of the mean prediction times the coefficients' covariance). For a rate the
    outcomes' variance is binomial, sum p(1 - p) / n^2; for a frequency it is estimated from the local
    residuals, sum (y - mu)^2 / n^2, as no variance function fits reoffence counts well."""
    n = len(local)
    if n < MIN_LOCAL:
        raise JusticeLabError(f"the local cohort has {n} people: at least {MIN_LOCAL} are needed")
    X = model.design(local)
    p = model.inverse_link(X @ model.params)
    y = local[outcome].to_numpy(float)
    gradient = model.derivative(p) @ X / n
    model_var = float(gradient @ model.cov @ gradient)
    spread = p * (1 - p) if model.link == "logit" else (y - p) ** 2
    outcome_var = float(np.sum(spread)) / n ** 2
    diff = float(y.mean() - p.mean())
    half = Z95 * np.sqrt(model_var + outcome_var)
    low, high = diff - half, diff + half
    if low > 0:
        verdict = "higher than predicted"
    elif high < 0:
        verdict = "lower than predicted"
    else:
        verdict = "not distinguishable from predicted"
    return {"people": n, "actual": float(y.mean()), "predicted": float(p.mean()),
            "predicted_low": float(p.mean() - Z95 * np.sqrt(model_var)),
            "predicted_high": float(p.mean() + Z95 * np.sqrt(model_var)),
            "difference": diff, "difference_low": float(low), "difference_high": float(high),
            "model_share_of_variance": model_var / (model_var + outcome_var), "verdict": verdict,
            "caveat": WEAK_EVIDENCE}
