"""Results by risk band and the concentration of events among the riskiest, on a hand-worked sample."""
import pandas as pd
import pytest

from justicelab.pbr.monitor import results_by_risk_band


def test_results_by_risk_band_by_hand():
    # three match sets: a low-risk member with two comparison people (weights 1/2), a very-high-risk member
    # with one, an unassessed member with one
    pairs = pd.DataFrame([
        # subclass, treated, weights, events, ogrs_score, has_assessment
        (0, 1, 1.0, 1, 0.30, 1), (0, 0, 0.5, 2, 0.20, 1), (0, 0, 0.5, 0, 0.40, 1),
        (1, 1, 1.0, 3, 0.95, 1), (1, 0, 1.0, 4, 0.92, 1),
        (2, 1, 1.0, 0, 0.50, 0), (2, 0, 1.0, 1, 0.50, 0),
    ], columns=["subclass", "treated", "weights", "events", "ogrs_score", "has_assessment"])
    out = results_by_risk_band(pairs)
    bands = {r["band"]: (r["cohort_members"], r["treated_per_100"], r["comparison_per_100"], r["reduction"])
             for r in out["by_risk_band"]}
    assert bands == {"low (under 0.50)": (1, 100.0, 100.0, 0.0),  # C = (2 x 0.5 + 0 x 0.5) / 1
                     "very high (0.90 and over)": (1, 300.0, 400.0, 0.25),
                     "not assessed": (1, 0.0, 100.0, 1.0)}
    # riskiest quarter: in the cohort the 0.95 member holds 3 of 4 events; in the comparison the 0.92 person
    # holds 4 of the 5 weighted events (1 x 0.5 x 2 + 4)
    assert out["riskiest_quarter_share_of_events"] == {"cohort": pytest.approx(0.75), "comparison": pytest.approx(0.8)}
