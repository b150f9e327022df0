"""The analysis and its report end to end on a synthetic database: complete, reproducible, no personal data."""
import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from justicelab.analysis.config import AnalysisConfig
from justicelab.analysis.run import analyse
from justicelab.data.synth.submission import write_submission
from justicelab.report.build import write_report
from tests.fixtures import synthetic_db


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    db = synthetic_db(tmp_path_factory, 200_000, 41)
    folder = tmp_path_factory.mktemp("analysis")
    paths = write_submission(db, "link-worker", folder / "submission.csv", seed=3)
    config = AnalysisConfig(min_treated_for_region=40)
    results = analyse(paths["submission"], db, config)
    report = write_report(results, folder / "report")
    return db, paths, results, report, config


def test_results_cover_every_measure_with_provenance(analysed):
    db, paths, results, report, _ = analysed
    national = results["analyses"][0]
    assert national["name"] == "National" and len(results["analyses"]) >= 2  # regions with enough people
    tables = {m["table"] for m in national["measures"]}
    assert tables == set(range(1, 11))  # Tables 8-10: employment and benefits
    for m in national["measures"]:
        if not m.get("withheld"):
            assert m["ci_low"] <= m["difference"] <= m["ci_high"]
            assert m["se_method"] and m["n_treated"] > 0
    prov = results["provenance"]
    assert len(prov["inputs"]["submission"]["sha256"]) == 64 and len(prov["inputs"]["database"]["sha256"]) == 64
    assert prov["configuration"]["caliper"] == 0.1 and prov["seed"] == 1
    steps = {a["step"]: a["people"] for a in results["attrition"]}
    assert steps["submitted"] == sum(v for k, v in steps.items() if k not in ("submitted", "treatment_group",
                                                                              "could_not_be_matched")) + steps["treatment_group"]


def test_estimates_cover_the_planted_effect(analysed):
    db, _, results, _, _ = analysed
    truth = duckdb.connect(str(db), read_only=True).execute(
        "SELECT measure, true_effect FROM truth_effect WHERE programme = 'link-worker'").df()
    truth = dict(zip(truth["measure"], truth["true_effect"]))
    national = results["analyses"][0]
    rate = next(m for m in national["measures"] if m["measure"] == "rate")
    freq = next(m for m in national["measures"] if m["measure"] == "frequency")
    # the truth for the people a Data Lab analysis keeps (not those who reoffended before starting)
    assert rate["ci_low"] <= truth["reoffending_rate_analysable"] <= rate["ci_high"]
    assert freq["ci_low"] <= truth["reoffending_frequency_analysable"] <= freq["ci_high"]


def test_same_inputs_same_results(analysed, tmp_path):
    db, paths, results, _, config = analysed
    again = analyse(paths["submission"], db, config)
    assert json.dumps(again, sort_keys=True, default=str) == json.dumps(results, sort_keys=True, default=str)


def test_disclosure_rules(analysed):
    _, _, results, _, config = analysed
    for a in results["analyses"]:
        for m in a["measures"]:
            if m["table"] in (4, 5) and not m.get("withheld"):
                assert m["n_treated"] >= config.min_reoffenders_for_detail
            if 3 <= m["table"] <= 7 and a["reoffenders_treated"] < config.min_reoffenders_for_detail:
                assert m.get("withheld")
            if m["table"] == 8 and not m.get("withheld"):  # employment: more than 10 with and without, per group
                assert min(m["treated_value"], 1 - m["treated_value"]) * m["n_treated"] > 10


def test_report_files_accessible_and_free_of_personal_data(analysed):
    _, paths, _, report, _ = analysed
    html = report["html"].read_text(encoding="utf-8")
    assert '<html lang="en-GB">' in html and "Key findings" in html and "Table 7" in html and "Table 8" in html
    assert html.count("<img") == html.count('alt="') and html.count("<img") >= 6
    assert "<th scope=\"col\"" in html and "<caption>" in html
    sub = pd.read_csv(paths["submission"])
    # full names and dates of birth (single words like "White" are also ethnicities)
    names = set(sub["forename"].astype(str) + " " + sub["surname"].astype(str)) | set(sub["date_of_birth"].astype(str))
    texts = [html, report["results"].read_text(encoding="utf-8")]
    import openpyxl
    wb = openpyxl.load_workbook(report["annex"])
    assert wb.sheetnames[:2] == ["Cover", "Contents"] and "Notes" in wb.sheetnames and "Table_1" in wb.sheetnames
    texts.append(" ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None))
    for text in texts:
        found = [n for n in names if n in text]
        assert not found, found[:5]


def test_pdf_renders_to_pages(analysed):
    pdfium = pytest.importorskip("pypdfium2")
    _, _, _, report, _ = analysed
    pdf = pdfium.PdfDocument(str(report["pdf"]))
    assert len(pdf) >= 8
    first = np.asarray(pdf[0].render(scale=0.5).to_pil().convert("L"))
    assert first.std() > 10, "the first page has content"
    text = pdf[0].get_textpage().get_text_range()
    assert "The overall results show" in text and "for 100 typical people" in text  # the verdict on page 1


def test_cli_analyse(analysed, tmp_path):
    from justicelab.cli import main

    db, paths, _, _, _ = analysed
    out = tmp_path / "out"
    assert main(["analyse", str(paths["submission"]), "--db", str(db), "--out", str(out), "--no-pdf"]) == 0
    for name in ("results.json", "report.html", "annex.xlsx", "linkage/attrition.csv", "charts/love_plot_national.png"):
        assert (out / name).exists(), name
    assert main(["analyse", str(paths["submission"]), "--db", str(tmp_path / "missing.duckdb"), "--out",
                 str(out)]) == 2


def test_sub_analyses_on_the_organisations_own_columns_by_hand():
    """Own columns with 2 to 6 values give one exploratory group per value held by enough people; a
    free-text column, a constant column and values held by too few people give none."""
    from types import SimpleNamespace

    from justicelab.analysis.run import own_field_groups

    rows = pd.DataFrame({"row": range(2, 14),
                         "extra:attendance": ["completed"] * 7 + [" partial "] * 4 + [""],
                         "extra:notes": [f"note {i}" for i in range(12)],
                         "extra:site": ["Leeds"] * 12})
    v = SimpleNamespace(rows=rows, extra_columns=["attendance", "notes", "site", "missing"])
    treated = pd.DataFrame({"row": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13], "person_id": range(11)})
    found = [(f, value, m["row"].tolist()) for f, value, m in own_field_groups(treated, v, minimum=3)]
    assert found == [("attendance", "completed", [2, 3, 4, 5, 6, 7, 8]), ("attendance", "partial", [9, 10, 11])]
    # three people recorded as partial (row 12 is not in the treatment group): below a minimum of 4
    assert [value for _, value, _ in own_field_groups(treated, v, minimum=4)] == ["completed"]


def test_sub_analyses_appear_as_exploratory_in_the_report(analysed):
    """The synthetic list carries attendance and delivery mode: each value held by enough people is
    analysed against the national pool and labelled exploratory, or listed as not run with its reason."""
    from justicelab.report.build import status

    _, paths, results, report, config = analysed
    subs = [a for a in results["analyses"] if a.get("subgroup")]
    tried = {(a["subgroup"], a["subgroup_value"]) for a in subs} | \
        {(s["field"], s["value"]) for s in results["sub_analyses_not_run"]}
    listed = pd.read_csv(paths["submission"], dtype=str)
    assert {f for f, _ in tried} <= {"attendance", "delivery_mode"} and tried
    for a in subs:
        assert a["treated"] >= config.min_treated_for_region and a["region"] is None and "robustness" not in a
        assert a["subgroup_value"] in set(listed[a["subgroup"]].str.strip())
        assert all(status(a, m) == "exploratory" for m in a["measures"])
    html = report["html"].read_text(encoding="utf-8")
    for field, value in tried:
        assert f"whose {field.replace('_', ' ')} was recorded as" in html and value in html
