"""The public (published) copy of an analysis: small cells combined or withheld, ages banded. Checked on a
hand-built results dictionary worked out by hand, and by a property test over random category counts."""
import re

from hypothesis import given, settings, strategies as st

from justicelab.report.public import COMBINED, MIN_CELL, age_band, combine_small, public_results

PROFILE_KEYS = ("sex", "ethnicity", "nationality", "sentence")


def visible_counts(results: dict) -> list[tuple[str, float]]:
    """Every number of people a reader can see or work out from a results dictionary (written for the
    test, from the shape of results.json, not from the code under test)."""
    out = [(f"attrition {r['step']}", r["people"]) for r in results["attrition"]]
    out += [(f"not included {r['characteristic']} {r['value']}", r["people"]) for r in results["not_included"]["profile"]]
    out.append(("not included without information", results["not_included"].get("without_information", 0)))
    for a in results["analyses"]:
        n = a["treated_matched"]
        for key in PROFILE_KEYS:
            out += [(f"{a['name']} {key} {k}", v * n / 100) for k, v in a["profile"][key].items()]
        assessed = a["profile"].get("assessed", 0)
        for k, v in a["profile"].get("needs", {}).items():
            out += [(f"{a['name']} {k}", v * assessed / 100), (f"{a['name']} not {k}", assessed - v * assessed / 100)]
        for key in ("reoffenders_treated", "reoffenders_comparison"):
            if isinstance(a[key], int):
                out.append((f"{a['name']} {key}", a[key]))
        out += [(f"{a['name']} {m['measure']} {m.get('court_outcome')} n", m["n_treated"]) for m in a["measures"]]
        for row in a.get("balance", []):  # a yes/no variable's treated mean is a share of the group
            if row["binary"]:
                for key, size in (("mean_treated_before", a["treated"]), ("mean_treated_after", n)):
                    out += [(f"{a['name']} {row['variable']} {key}", row[key] * size),
                            (f"{a['name']} not {row['variable']} {key}", size - row[key] * size)]
    return out


def small(results: dict) -> list[str]:
    """Cells of 1 to MIN_CELL - 1 people (rounded percentages are allowed half a person either way)."""
    return [name for name, v in visible_counts(results) if 0.5 <= v < MIN_CELL - 0.5]


def hand_built() -> dict:
    """82 matched participants; small cells planted where the issue found them."""
    measure = {"table": 1, "measure": "rate", "kind": "rate", "court_outcome": None, "n_treated": 82,
               "n_comparison": 4000, "withheld": None}
    court = {"table": 4, "measure": "court_outcome_rate", "kind": "rate", "court_outcome": "Indictable",
             "n_treated": 4, "n_comparison": 300, "withheld": "10 or fewer people in a group had this court outcome"}
    return {
        "programme": {"programme": "Mentoring", "organisation": "Org", "description": "", "contact": "j@org.test"},
        "provenance": {"code_version": "x", "inputs": {"submission": {"file": "Jane Smith list.csv", "sha256": "ab"}}},
        "submission": {"file": "Jane Smith list.csv", "records_with_errors": 2},
        "linkage": {"duplicates": 1},
        "attrition": [{"step": s, "description": s, "people": p, "percent_of_submitted": round(100 * p / 120, 1)}
                      for s, p in (("submitted", 120), ("invalid", 0), ("duplicate", 1), ("not_found", 3),
                                   ("no_index_event", 12), ("reoffended_before", 22), ("treatment_group", 82),
                                   ("could_not_be_matched", 0))],
        "not_included": {"profile": [
            {"characteristic": c, "value": v, "people": p, "percent": 0} for c, v, p in (
                ("gender", "F", 12), ("gender", "M", 24), ("ethnicity", "Black", 1), ("ethnicity", "White", 35))],
            "without_information": 1},
        "analyses": [{"name": "National", "region": None, "treated": 82, "treated_matched": 82, "could_not_be_matched": 0,
                      "balance": [{"variable": v, "binary": b, "mean_treated_before": m, "mean_treated_after": m}
                                  for v, b, m in (("age", False, 31.0), ("ethnicity_Black", True, 1 / 82),
                                                  ("gender_M", True, 1.0), ("ethnicity_White", True, 66 / 82))],
                      "reoffenders_treated": 9, "reoffenders_comparison": 2000, "measures": [measure, court],
                      "profile": {"sex": {"M": 100}, "ethnicity": {"White": 80, "Asian": 14, "Black": 1, "Unknown": 5},
                                  "nationality": {"UK": 100}, "sentence": {"Court order": 100},
                                  "age_min": 19, "age_max": 63, "age_mean": 31, "assessed": 70,
                                  "needs": {"need_drugs": 90, "need_ete": 50}}}],
    }


def test_combine_small_hand_worked():
    assert combine_small({"A": 50, "B": 3, "C": 4, "D": 20}, 11) == {"A": 50, COMBINED: 27}  # 7 < 11: D joins
    assert combine_small({"A": 30, "B": 12, "C": 9, "D": 2}, 11) == {"A": 30, "B": 12, COMBINED: 11}
    assert combine_small({"A": 30, "B": 12, "C": 0}, 11) == {"A": 30, "B": 12, "C": 0}  # zero is not a small cell
    assert combine_small({"M": 103, "F": 7}, 11) == {}  # combining F leaves M alone: F = total - M


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from("ABCDEFG"), st.integers(0, 60), min_size=1), st.integers(2, 20))
def test_combine_small_never_leaves_a_small_cell(cells, threshold):
    out = combine_small(cells, threshold)
    assert all(v == 0 or v >= threshold for v in out.values())
    if out:
        assert sum(out.values()) == sum(cells.values())
        assert all(out[k] == cells[k] for k in out if k != COMBINED)
        if COMBINED in out:  # the combined cell holds at least two categories, and one other cell is shown
            assert len(cells) - (len(out) - 1) >= 2 and len(out) >= 2
    else:
        assert any(0 < v < threshold for v in cells.values())


def test_age_bands():
    assert [age_band(a) for a in (18, 20, 21, 24, 25, 63, 75)] == [18, 18, 21, 21, 25, 60, 70]
    assert [age_band(a, upper=True) for a in (18, 21, 29, 63)] == [20, 24, 29, 69]


def test_public_results_hand_worked():
    raw = hand_built()
    assert small(raw)  # the scanner finds the planted small cells in the draft results
    public = public_results(raw)
    assert small(public) == []
    steps = {r["step"]: r["people"] for r in public["attrition"]}
    # duplicate 1 + not found 3 = 4 < 11, so the next smallest step (12) joins them: 16; 22 stays apart
    assert steps == {"submitted": 120, "invalid": 0, "reoffended_before": 22, "combined": 16,
                     "treatment_group": 82, "could_not_be_matched": 0}
    assert steps["submitted"] - steps["reoffended_before"] - steps["combined"] == steps["treatment_group"]
    assert any("16 people" in s and "fewer than 11" in s for s in public["attrition_sentences"])
    # not included: the one person without information counts as 'Not known' (1 + F 12 = 13 combined)
    assert {(r["characteristic"], r["value"]): r["people"] for r in public["not_included"]["profile"]} == {
        ("gender", "M"): 24, ("gender", COMBINED): 13}
    national = public["analyses"][0]
    p = national["profile"]
    # 82 people: Black 1% -> 1, Unknown 5% -> 4, Asian 14% -> 11: the small two are 5, so Asian joins them
    assert p["ethnicity"] == {"White": 80, COMBINED: 20}
    assert (p["age_min"], p["age_max"]) == (18, 69) and p["needs"] == {"need_ete": 50}  # 90% of 70: 7 without
    # 1 of 82 Black; 82 of 82 men (0 women is not a small cell: nobody to find); 66 White, 16 not
    assert [r["variable"] for r in national["balance"]] == ["age", "gender_M", "ethnicity_White"]
    assert national["reoffenders_treated"] == "[c]" and [m["measure"] for m in national["measures"]] == ["rate"]
    assert "contact" not in public["programme"] and "submission" not in public and "linkage" not in public
    assert "Jane Smith" not in str(public)


def test_not_included_alone_small_is_withheld():
    """Ethnicity of those not included: Black 1, White 35, Not known 1: the small two make 2, White joins
    them, nothing is left to show apart, so ethnicity is withheld entirely."""
    public = public_results(hand_built())
    assert not [r for r in public["not_included"]["profile"] if r["characteristic"] == "ethnicity"]
    assert not re.search(r"Black", str(public["not_included"]))
