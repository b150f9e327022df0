"""The propensity model: logistic regression of treatment on covariates (IRLS, logistic.py).

Works on any DataFrame. Categorical covariates (text, category or boolean columns with more than two
values) become indicator columns against their first level; interactions and squares are explicit.
Problems that make the model meaningless are errors that name the column: missing values, a
constant column, a covariate that predicts treatment perfectly.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import JusticeLabError
from .logistic import fit_logit, linear_predictor


@dataclass
class DesignMatrix:
    frame: pd.DataFrame  # float columns, no intercept
    terms: dict[str, list[str]]  # covariate -> its design columns


def _is_categorical(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype)


def design_matrix(data: pd.DataFrame, covariates: list[str], interactions: list[tuple[str, str]] = (),
                  squares: list[str] = ()) -> DesignMatrix:
    missing_cols = [c for c in covariates if c not in data.columns]
    if missing_cols:
        raise JusticeLabError(f"covariate(s) not in the data: {', '.join(missing_cols)}")
    cols: dict[str, np.ndarray] = {}
    terms: dict[str, list[str]] = {}
    for c in covariates:
        s = data[c]
        n_missing = int(s.isna().sum())
        if n_missing:
            first = int(np.flatnonzero(s.isna().to_numpy())[0])
            raise JusticeLabError(f"covariate {c!r} has {n_missing} missing values (first at row {first + 1}); "
                                  "impute or drop them before matching")
        if _is_categorical(s) or pd.api.types.is_bool_dtype(s):
            levels = sorted(pd.unique(s.astype(str)))
            if len(levels) < 2:
                raise JusticeLabError(f"covariate {c!r} is constant ({levels[0]!r}): remove it from the model")
            text = s.astype(str).to_numpy()
            terms[c] = []
            for lev in levels[1:]:
                name = f"{c}[{lev}]"
                cols[name] = (text == lev).astype(float)
                terms[c].append(name)
        else:
            x = s.to_numpy(dtype=float)
            if np.all(x == x[0]):
                raise JusticeLabError(f"covariate {c!r} is constant ({x[0]:g}): remove it from the model")
            cols[c] = x
            terms[c] = [c]
    for c in squares:
        if len(terms.get(c, [])) != 1 or terms[c][0] != c:
            raise JusticeLabError(f"square of {c!r}: only numeric covariates in the model can be squared")
        cols[f"{c}^2"] = cols[c] ** 2
        terms[f"{c}^2"] = [f"{c}^2"]
    for a, b in interactions:
        if a not in terms or b not in terms:
            raise JusticeLabError(f"interaction {a}:{b}: both must be covariates in the model")
        names = []
        for ca in terms[a]:
            for cb in terms[b]:
                name = f"{ca}:{cb}"
                cols[name] = cols[ca] * cols[cb]
                names.append(name)
        terms[f"{a}:{b}"] = names
    return DesignMatrix(pd.DataFrame(cols, index=data.index, copy=False), terms)  # the columns, not a copy of them


def check_separation(design: DesignMatrix, treat: np.ndarray) -> None:
    """A 0/1 design column whose 1s are all treated or all untreated makes the MLE infinite."""
    for term, names in design.terms.items():
        for name in names:
            x = design.frame[name].to_numpy()
            if not np.isin(x, (0.0, 1.0)).all():
                continue
            on = x == 1
            if on.any() and (treat[on].all() or not treat[on].any()):
                who = "treated" if treat[on].all() else "untreated"
                raise JusticeLabError(f"covariate {term!r} ({name}) predicts treatment perfectly: every one of "
                                      f"its {int(on.sum())} rows is {who}. Drop or merge that level, or match "
                                      f"exactly on it")


def select_covariates(data: pd.DataFrame, treatment: str, covariates: list[str], p_threshold: float = 0.20
                      ) -> pd.DataFrame:
    """The Peterborough rule (seed 004): keep covariates whose treated/untreated difference has p < threshold.

    Numeric covariates: Welch's two-sample t-test. Categorical: chi-square test of independence.
    """
    treat = data[treatment].to_numpy().astype(bool)
    rows = []
    for c in covariates:
        s = data[c]
        if _is_categorical(s) or pd.api.types.is_bool_dtype(s):
            table = pd.crosstab(s.astype(str), treat)
            p = 1.0 if table.shape[0] < 2 or table.shape[1] < 2 else float(stats.chi2_contingency(table)[1])
            test = "chi-square"
        else:
            x = s.to_numpy(dtype=float)
            p = float(stats.ttest_ind(x[treat], x[~treat], equal_var=False).pvalue)
            test = "Welch t"
        rows.append({"covariate": c, "test": test, "p_value": p, "selected": p < p_threshold})
    return pd.DataFrame(rows)


def _check_rank(X: np.ndarray, names: list[str]) -> None:
    """Collinear covariates make the model unidentifiable; name the last column that adds nothing."""
    xtx = X.T @ X
    scale = np.sqrt(np.diag(xtx))
    corr = xtx / np.outer(scale, scale)
    if np.linalg.matrix_rank(corr, tol=1e-10) == len(names):
        return
    for j in range(2, len(names) + 1):
        if np.linalg.matrix_rank(corr[:j, :j], tol=1e-10) < j:
            raise JusticeLabError(f"covariate column {names[j - 1]!r} is a linear combination of earlier "
                                  "columns (collinear): remove it or one of the columns it repeats")


@dataclass
class PropensityResult:
    score: np.ndarray  # fitted probability of treatment
    linear: np.ndarray  # logit of the score
    covariates: list[str]
    design_columns: list[str]
    params: pd.Series
    bse: pd.Series
    converged: bool
    selection: pd.DataFrame | None = field(default=None)

    def summary(self) -> pd.DataFrame:
        z = self.params / self.bse
        return pd.DataFrame({"coefficient": self.params, "std_error": self.bse,
                             "p_value": 2 * stats.norm.sf(np.abs(z))})


@dataclass
class PropensityModel:
    """Configuration in the constructor, `fit` returns a PropensityResult (statsmodels style)."""

    covariates: list[str]
    interactions: list[tuple[str, str]] = field(default_factory=list)
    squares: list[str] = field(default_factory=list)
    select_p: float | None = None  # e.g. 0.20 for the Peterborough variable selection rule
    max_iter: int = 100

    def fit(self, data: pd.DataFrame, treatment: str) -> PropensityResult:
        if treatment not in data.columns:
            raise JusticeLabError(f"treatment column {treatment!r} is not in the data")
        treat_col = data[treatment]
        if treat_col.isna().any() or not set(pd.unique(treat_col)).issubset({0, 1, True, False}):
            raise JusticeLabError(f"treatment column {treatment!r} must be 0/1 with no missing values")
        treat = treat_col.to_numpy().astype(bool)
        if treat.all() or not treat.any():
            raise JusticeLabError("the data need both treated and untreated rows")
        covariates = list(self.covariates)
        selection = None
        if self.select_p is not None:
            selection = select_covariates(data, treatment, covariates, self.select_p)
            covariates = selection.loc[selection["selected"], "covariate"].tolist()
            if not covariates:
                raise JusticeLabError(f"no covariate differs between the groups at p < {self.select_p}")
        design = design_matrix(data, covariates, self._kept(self.interactions, covariates),
                               [s for s in self.squares if s in covariates])
        check_separation(design, treat)
        X = np.empty((len(data), design.frame.shape[1] + 1), order="F")  # column-major: fast X'WX
        X[:, 0] = 1.0
        for j, column in enumerate(design.frame.columns, start=1):  # column by column: no second full copy
            X[:, j] = design.frame[column].to_numpy(dtype=float)
        names = ["const", *design.frame.columns]
        _check_rank(X, names)
        fit = None
        for start in (self._start(X, treat), None):
            try:
                fit = fit_logit(X, treat, start=start, max_iter=self.max_iter)
                if fit.converged:
                    break
            except np.linalg.LinAlgError:
                fit = None
        if fit is None:
            raise JusticeLabError("the propensity model did not converge (Newton's method failed): a covariate may "
                                  "nearly separate the groups; combine rare categories or drop it")
        linear = linear_predictor(X, fit.params)  # identical rows get identical scores
        score = 1 / (1 + np.exp(-linear))
        # separation shows as certainty of treatment, or treated people scored as impossible; comparison
        # people far from every participant may have tiny scores, which is fine (they are never matched)
        if not fit.converged or np.any(linear > 30) or np.any(linear[treat] < -30):
            raise JusticeLabError("the propensity model did not converge (quasi-complete separation): "
                                  "some combination of covariates predicts treatment perfectly")
        return PropensityResult(score=score, linear=linear, covariates=covariates, design_columns=names,
                                params=pd.Series(fit.params, index=names), bse=pd.Series(fit.bse, index=names),
                                converged=True, selection=selection)

    @staticmethod
    def _start(X: np.ndarray, treat: np.ndarray, sample: int = 100_000) -> np.ndarray | None:
        """On large data, start Newton from a fit to every treated row and a random sample of the others.

        Case-control sampling leaves the slopes unbiased and shifts only the intercept, by the log of
        the sampling rate, which is added back; two or three full-data iterations then reach the same
        maximum (the answer does not depend on the start).
        """
        untreated = np.flatnonzero(~treat)
        if len(X) <= 4 * sample or len(untreated) <= sample:
            return None
        rng = np.random.default_rng(0)
        keep = np.sort(np.concatenate([np.flatnonzero(treat), rng.choice(untreated, sample, replace=False)]))
        try:
            params = fit_logit(X[keep], treat[keep], max_iter=50).params.copy()
        except np.linalg.LinAlgError:
            return None
        params[0] += np.log(sample / len(untreated))
        return params if np.all(np.isfinite(params)) else None

    @staticmethod
    def _kept(interactions, covariates):
        return [(a, b) for a, b in interactions if a in covariates and b in covariates]
