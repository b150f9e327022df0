"""The probabilistic linkage model (Splink, Fellegi-Sunter), held as settings data.

m-probabilities (how often a true match agrees at each level) describe how people type names and
dates on a caseworker's list; they are fixed here from the error rates of real and synthetic
submissions rather than re-estimated from each small list, where EM is unstable. u-probabilities
(how often non-matches agree by chance) depend on the database and are estimated on every run by
random sampling. Comparisons run against every identity a person has used (name and aliases).
"""
from __future__ import annotations

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule


def _levels(column: str, extra: list = (), m: tuple[float, ...] = ()) -> list:
    """Null, exact, [extra levels], Jaro-Winkler 0.92 and 0.80, else: with fixed m-probabilities."""
    levels = [cll.NullLevel(column), cll.ExactMatchLevel(column), *extra,
              cll.JaroWinklerLevel(column, 0.92), cll.JaroWinklerLevel(column, 0.80), cll.ElseLevel()]
    out = [levels[0]]
    for level, prob in zip(levels[1:], m):
        out.append(level.configure(m_probability=prob, fix_m_probability=True))
    return out


def settings(prior: float, n_people: int) -> SettingsCreator:
    forename = cl.CustomComparison(
        _levels("forename", [cll.ExactMatchLevel("forename_canon")], m=(0.83, 0.08, 0.04, 0.03, 0.02)),
        output_column_name="forename")
    surname = cl.CustomComparison(_levels("surname", m=(0.88, 0.05, 0.03, 0.04)), output_column_name="surname")
    dob = cl.CustomComparison([
        cll.NullLevel("dob"),
        cll.ExactMatchLevel("dob").configure(m_probability=0.93, fix_m_probability=True),
        cll.CustomLevel('("dob_swapped_l" = "dob_r") OR ("dob_l" = "dob_swapped_r")', "day and month swapped")
        .configure(m_probability=0.02, fix_m_probability=True),
        cll.DamerauLevenshteinLevel("dob_text", 1).configure(m_probability=0.03, fix_m_probability=True),
        cll.ElseLevel().configure(m_probability=0.02, fix_m_probability=True),
    ], output_column_name="dob")
    sex = cl.CustomComparison([
        cll.NullLevel("sex"),
        cll.ExactMatchLevel("sex").configure(m_probability=0.995, fix_m_probability=True),
        cll.ElseLevel().configure(m_probability=0.005, fix_m_probability=True),
    ], output_column_name="sex")
    pnc = cl.CustomComparison([
        cll.NullLevel("pnc_id"),
        # PNC ids are unique: two different people agree by chance with probability 1 / people
        cll.ExactMatchLevel("pnc_id").configure(m_probability=0.97, fix_m_probability=True,
                                                u_probability=1.0 / max(n_people, 1), fix_u_probability=True),
        cll.ElseLevel().configure(m_probability=0.03, fix_m_probability=True,
                                  u_probability=1.0 - 1.0 / max(n_people, 1), fix_u_probability=True),
    ], output_column_name="pnc_id")
    return SettingsCreator(
        link_type="link_only",
        comparisons=[forename, surname, dob, sex, pnc],
        blocking_rules_to_generate_predictions=[
            block_on("dob"),
            block_on("forename_canon", "surname"),
            block_on("surname", "birth_year"),
            block_on("pnc_id"),
            # day and month swapped: one side's swapped date against the other's date
            CustomRule("l.dob_swapped = r.dob"),
            CustomRule("l.dob = r.dob_swapped"),
        ],
        probability_two_random_records_match=prior,
        retain_matching_columns=True,
        additional_columns_to_retain=["person_id", "row"],
    )


# the random-sampling rule for u: compare random identity pairs
U_SAMPLE_PAIRS = 2_000_000
