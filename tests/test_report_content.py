"""The report's words and numbers, rebuilt from stored results.json files (an earlier demo's link-worker
analysis, with an adverse regional result, checked by hand; the current demo's, with sub-analyses on the
organisation's own columns; and the non-significant peer-mentoring one): records vs people, plain names, significant results,
multiplicity, the group size needed, the Excel annex."""
import json
import re
from pathlib import Path

import openpyxl
import pytest

from justicelab.report import build
from justicelab.report.excel import write_annex

DATA = Path(__file__).parent / "data" / "report"


def load(name):
    return json.loads((DATA / f"{name}_results.json").read_text(encoding="utf-8"))


def rendered(name, tmp_path_factory):
    results = load(name)
    context = build.build_context(results, tmp_path_factory.mktemp("assets"))
    return results, context, build.render_html(context)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return rendered("link_worker", tmp_path_factory)


@pytest.fixture(scope="module")
def current_demo(tmp_path_factory):
    return rendered("demo", tmp_path_factory)


@pytest.fixture(scope="module")
def peer(tmp_path_factory):
    results = load("peer_mentoring")
    context = build.build_context(results, tmp_path_factory.mktemp("assets"), response="We thank the Data Lab.")
    return results, context, build.render_html(context)


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_records_and_people_are_different_words_and_numbers(demo):
    results, context, html = demo
    text = text_of(html)
    sub = results["submission"]
    assert sub["records"] == 301 and sub["distinct_people"] == 296
    assert "301 records were submitted for analysis by Pathways Link Workers, corresponding to 296 people." in text
    assert "301 people" not in text
    for wrong in ("1 people", "0 people could not be matched", "they details", "number of offences than",
                  "the same number of offences than"):
        assert not re.search(rf"(?<![\d.,]){wrong}", text), wrong
    # the not-included count is the base of its own percentages (60 with information, not 63)
    profile = results["not_included"]["profile"]
    base = sum(r["people"] for r in profile if r["characteristic"] == "gender")
    assert context["not_included_count"] == base == 60
    for char in ("ethnicity", "nationality"):
        assert sum(r["people"] for r in profile if r["characteristic"] == char) == base
    # percentages of people, and every excluded person accounted for
    steps = {r["step"]: r["people"] for r in results["attrition"]}
    excluded = sum(v for k, v in steps.items() if k not in ("submitted", "duplicate", "treatment_group",
                                                            "could_not_be_matched"))
    assert sub["distinct_people"] - excluded == steps["treatment_group"]
    assert f"{steps['treatment_group']} people ({round(100 * steps['treatment_group'] / sub['distinct_people'])}% of the people submitted)" in text
    # regional drop-outs from matching are reported
    north_west = next(a for a in results["analyses"] if a["name"] == "North West")
    lost = north_west["treated"] - north_west["treated_matched"]
    assert lost > 0 and f"{lost} people could not be matched to similar people in the North West analysis" in text


def test_matching_in_plain_words_with_thresholds_and_adaptations(demo):
    results, context, html = demo
    text = text_of(html)
    assert "not all variables were well matched" not in text.lower()
    assert "well matched when its standardised difference is below 0.05" in text
    assert "reasonably matched below 0.1" in text
    matching = " ".join(m["text"] for m in context["matching"])
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", matching), "snake_case names in the matching summary"
    # every analysis's adaptations are listed: combined categories, exact matching, dropped people, alignment
    for a, m in zip(results["analyses"], context["matching"]):
        lines = " ".join(m["adaptations"] + context["common_adaptations"])
        for var in a["adaptations"]["combined_levels"]:
            assert "combined for matching" in lines
        if a["adaptations"]["exact_on"]:
            assert "match it exactly" in lines
        if a["adaptations"]["comparison_dropped"]:
            assert f"{a['adaptations']['comparison_dropped']:,} comparison records" in lines
        assert "risk-set alignment" in lines
    # an adaptation made in every analysis is said once, not once per analysis
    assert len(results["analyses"]) > 1 and text.count("risk-set alignment") == 1
    # a variable the seeds call poorly matched (>= 0.10) is named with its difference
    assert "North West analysis" in matching and "poorly matched: Previous custodial sentences (0.10)" in matching


def test_sub_analyses_named_for_readers(current_demo):
    results, context, html = current_demo
    own = [a for a in results["analyses"] if a.get("subgroup")]
    assert own, "the demo's submission has its own columns (attendance, delivery mode)"
    text = text_of(html)
    for a in own:
        assert a["subgroup"] not in text or "_" not in a["subgroup"], f"column name {a['subgroup']} shown raw"
        label = a["subgroup"].replace("_", " ")
        assert f"{label.capitalize()}: {a['subgroup_value']}" in text
        assert f"whose {label} was recorded" in text


def test_matching_categories_stay_out_of_the_profile(demo):
    _, context, html = demo
    assert "(combined)" not in " ".join(context["profile"])
    assert context["profile"][0].startswith("Male") and context["profile"][1].startswith("White")


def test_significant_results_listed_with_multiplicity(demo):
    results, context, html = demo
    text = text_of(html)
    sig = context["significant"]
    shown = sum(1 for a in results["analyses"] for m in a["measures"] if not m.get("withheld"))
    assert sig["tests"] == shown and sig["expected_false"] == round(0.05 * shown, 1)
    assert sig["count"] == 2
    assert ("North West: participants who reoffend within a one-year period are more likely to receive a custodial "
            "sentence for their first reoffence than non-participants (42% vs 20%)") in sig["adverse"]
    page_one = text.split("Key findings")[0]
    assert "Significantly worse for participants" in page_one and "42% vs 20%" in page_one
    assert "The overall results show" in page_one and "primary measure" in page_one
    assert "secondary" in text and "exploratory" in text
    # the comparison group's effective size next to its count
    assert "35,566" in page_one and "effective size of 2,235" in page_one


def test_non_significant_report_reads_like_seed_001(peer):
    results, context, html = peer
    text = text_of(html)
    assert "should not be taken to mean that the programme fails to affect it" in text
    assert "There were no statistically significant results across any of the measures." in text
    needed = results["analyses"][0]["treatment_size_needed_for_rate"]
    assert needed and f"a treatment group of about {needed:,} people would be needed" in text
    assert "95% power" in text
    assert "DRAFT" not in html, "a response was supplied"


def test_draft_mark_until_the_response_arrives(demo):
    _, context, html = demo
    assert context["draft"] and "DRAFT: the response from" in html and "@top-center" in html


def test_size_plot_only_with_a_results_history(demo, tmp_path):
    results, context, html = demo
    assert context["size_forest"] is None and "by treatment group size" not in html
    history = [build.rate_point(a) for a in load("peer_mentoring")["analyses"]]
    own = [build.rate_point(a, this_report=True) for a in results["analyses"]]
    _, alt = build.size_forest_plot(own + history, tmp_path / "size.png")
    assert f"Rate effects of {len(own) + len(history)} analyses ({len(own)} from this report" in alt


def test_alt_text_states_the_result_not_the_caption(demo):
    _, context, html = demo
    figures = re.findall(r'<img src="[^"]+" alt="([^"]*)"><figcaption>(.*?)</figcaption>', html, re.S)
    assert len(figures) >= 5
    for alt, caption in figures:
        assert alt and alt != caption and re.search(r"\d", alt), alt


def test_excel_annex_numbers_profiles_and_contents(tmp_path):
    results = load("demo")
    path = write_annex(results, tmp_path / "annex.xlsx")
    wb = openpyxl.load_workbook(path)
    assert {"Cover", "Contents", "Sizes", "Profile_included", "Profile_not_included", "Notes"} <= set(wb.sheetnames)
    t1 = wb["Table_1"]
    header = [c.value for c in t1[3]]
    p_col = header.index("p-value") + 1
    ps = [t1.cell(row=r, column=p_col) for r in range(4, t1.max_row + 1)]
    assert all(isinstance(c.value, float) for c in ps) and all(c.number_format == '[<0.01]"<0.01";0.00' for c in ps)
    sizes = wb["Sizes"]
    header = [c.value for c in sizes[3]]
    assert "Comparison group effective size" in header and "Reoffenders in treatment group" in header
    names = [c.value for c in sizes["A"][3:] if c.value]
    assert "Delivery mode: one-to-one" in names and not any("_" in n for n in names), names
    links = [c.hyperlink for c in wb["Contents"]["A"] if c.hyperlink]
    assert len(links) >= 10 and all(h.location for h in links)
    cover = " ".join(str(c.value) for c in wb["Cover"]["A"] if c.value)
    assert "Published" in cover and "Contact" in cover


def test_an_analysis_withheld_in_every_court_outcome_takes_one_row(peer):
    results, context, _ = peer
    small = [a for a in results["analyses"] if all(m.get("withheld") for m in a["measures"] if m["table"] == 4)]
    assert small, "the peer-mentoring fixture has a sub-analysis with too few reoffenders for Table 4"
    table4 = next(t for t in context["tables"] if t["number"] == 4)
    for a in small:
        name = build.readable(results)["analyses"][results["analyses"].index(a)]["name"]
        rows = [r for r in table4["rows"] if r["analysis"] == name]
        assert len(rows) == 1 and rows[0]["court"] == "All" and rows[0]["withheld"], rows
    shown = [r for r in table4["rows"] if not r["withheld"]]
    assert len({r["court"] for r in shown}) > 1  # analyses with figures keep a row per court outcome


def test_flow_diagram_words_count_people_right():
    import pandas as pd

    from justicelab.linkage.outputs import flow_boxes

    attrition = pd.DataFrame([
        {"step": "submitted", "description": "records were submitted", "people": 150, "percent_of_submitted": 100.0},
        {"step": "not_found", "description": "could not be identified", "people": 1, "percent_of_submitted": 0.7},
        {"step": "invalid", "description": "details could not be read", "people": 0, "percent_of_submitted": 0.0},
        {"step": "reoffended_before", "description": "had reoffended before", "people": 19,
         "percent_of_submitted": 12.7},
        {"step": "treatment_group", "description": "remained in the treatment group", "people": 130,
         "percent_of_submitted": 86.7}])
    boxes = flow_boxes(attrition)
    assert [main for _, main in boxes] == [True, False, False, True]  # a step that lost nobody is not drawn
    assert boxes[1][0] == "1 person (<1%) excluded: could not be identified"
    assert boxes[2][0] == "19 people (13%) excluded: had reoffended before"
    assert boxes[3][0] == "130 remained in the treatment group (87%)"
