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


def test_results_by_need_by_hand():
    """Six match sets; drug need in sets 0-4 (five members), accommodation in set 5 only (one member:
    below the five shown). A member's comparison people follow the match set."""
    from justicelab.pbr.monitor import results_by_need

    rows = []
    for k in range(6):
        drugs, accommodation = int(k < 5), int(k == 5)
        # member k has k % 2 events; its two comparison people (weights 1/2) have 1 and 2
        rows += [(k, 1, 1.0, k % 2, drugs, accommodation), (k, 0, 0.5, 1, 0, 0), (k, 0, 0.5, 2, 1, 1)]
    pairs = pd.DataFrame(rows, columns=["subclass", "treated", "weights", "events", "need_drugs",
                                        "need_accommodation"])
    out = results_by_need(pairs)["by_need"]
    # by hand, drugs: members 0..4 have 0,1,0,1,0 events: T = 40 per 100; each set's C is 1.5: C = 150;
    # R = (150 - 40) / 150
    assert out == [{"need": "drugs", "cohort_members": 5, "treated_per_100": pytest.approx(40.0),
                    "comparison_per_100": pytest.approx(150.0), "reduction": pytest.approx(110 / 150)}]
    assert results_by_need(pairs.drop(columns=["need_drugs", "need_accommodation"])) == {"by_need": []}
