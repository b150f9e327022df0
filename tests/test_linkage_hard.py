"""Linkage on hard lists from an independent generator (tests/linkage_lists.py), PNC and name
normalisation by hand, and a row's score not depending on the rest of its list."""
import shutil

import pandas as pd
import pytest

from justicelab.identifiers import normalise_pnc, pnc_check_letter
from justicelab.linkage.link import link_submission
from justicelab.linkage.model import model_path
from justicelab.linkage.names import fold, nickname_groups
from justicelab.submission.validate import validate
from tests.fixtures import synthetic_db
from tests.linkage_lists import hard_list, plant_people, scores
from tests.service_client import sign_in


def test_pnc_formats_agree_and_a_wrong_check_letter_keeps_the_number():
    letter = pnc_check_letter(11, 141281)
    assert normalise_pnc(f"11/0141281{letter}") == (f"11/141281{letter}", None)
    assert normalise_pnc(f"2011/0141281{letter.lower()}") == (f"11/141281{letter}", None)
    assert normalise_pnc(f" 11 / 141281 {letter} ") == (f"11/141281{letter}", None)
    wrong = "X" if letter != "X" else "Y"
    short, problem = normalise_pnc(f"11/141281{wrong}")
    assert short == "11/141281" and "check letter" in problem
    assert normalise_pnc("11/141281")[0] == "11/141281"
    assert normalise_pnc("not a pnc")[0] is None and normalise_pnc("11/0000000A")[0] is None


def test_transliteration_and_many_to_many_nicknames():
    assert fold("Wiśniewski") == "wisniewski" and fold("Łukasz Dąbrowski") == "lukasz dabrowski"
    assert fold("Müller Straße") == "muller strasse"
    groups = nickname_groups()
    assert {"catherine", "katherine"} <= set(groups["kate"]) and {"stephen", "steven"} <= set(groups["steve"])
    for short, formal in (("jay", "jason"), ("sally", "sarah"), ("baz", "barry"), ("harry", "henry"),
                          ("piotr", "peter")):
        assert formal in groups[short], short


@pytest.fixture(scope="module")
def planted_db(tmp_path_factory):
    db = synthetic_db(tmp_path_factory, 40_000, 5)
    plant_people(db, seed=3, copies=8)
    return db


def _link_list(db, tmp_path, rows, seed):
    sub, truth = hard_list(db, rows=rows, seed=seed)
    path = tmp_path / f"hard{seed}.csv"
    sub.to_csv(path, index=False)
    v = validate(path)
    assert (v.rows["status"] == "ok").sum() >= rows - 3  # the list's errors are ones validation lets through
    result = link_submission(v.rows[v.rows["status"] == "ok"], db)
    return result, v, truth


def test_hard_list_recall_precision_and_namesakes(planted_db, tmp_path):
    result, v, truth = _link_list(planted_db, tmp_path, 340, seed=11)
    overall, per_kind = scores(result.links, v.rows["row"].to_numpy(), truth)
    assert overall["precision"] >= 0.99, overall
    assert overall["recall"] >= 0.95, (overall, per_kind)
    assert overall["namesakes_linked"] <= 0.01 * overall["namesakes"], overall
    # formats of one PNC id agree; a wrong check letter with the right number still links
    pnc_kinds = per_kind.loc[per_kind.index.str.startswith("pnc")]
    assert (pnc_kinds["found"] == pnc_kinds["rows"]).all(), pnc_kinds
    assert model_path(planted_db).exists()  # u-probabilities stored with the database


TWIN_NAMES = ["Ewan", "Evan", "Ethan", "Sean", "Dean", "Jason", "Mason", "Jade", "Jane", "Joan", "Lewis",
              "Louis", "Carla", "Clara", "Karen", "Kieran", "Darren", "Daryl", "Marie", "Maria", "Martin",
              "Marvin", "Connor", "Conrad", "Lauren", "Laura", "Shaun", "Shane", "Jamie", "Jodie", "Danny"]


def test_a_twin_with_a_loosely_similar_forename_is_never_linked_without_review(planted_db, tmp_path):
    """Twins and siblings share surname and date of birth and often have like names (Ethan and Ewan): a
    forename only loosely similar (Jaro-Winkler 0.80 to 0.92, not a nickname) must not link on its own."""
    import duckdb

    con = duckdb.connect(str(planted_db), read_only=True)
    con.execute("CREATE TEMP TABLE twin_names AS SELECT unnest(?) AS name", [TWIN_NAMES])
    pairs = con.execute("""
        SELECT p.person_id, t.name, p.forename, p.surname, strftime(p.date_of_birth, '%d/%m/%Y') AS dob, p.gender
        FROM (SELECT * FROM person ORDER BY person_id LIMIT 20000) p, twin_names t
        WHERE jaro_winkler_similarity(lower(p.forename), lower(t.name)) >= 0.80
          AND jaro_winkler_similarity(lower(p.forename), lower(t.name)) < 0.92
          AND NOT EXISTS (SELECT 1 FROM person q WHERE lower(q.forename) = lower(t.name)
                          AND lower(q.surname) = lower(p.surname) AND q.date_of_birth = p.date_of_birth)
        ORDER BY p.person_id, t.name""").fetchall()
    groups = nickname_groups()
    twins, seen = [], set()
    for person_id, name, forename, surname, dob, sex in pairs:
        related = forename.lower() in groups.get(name.lower(), ()) or name.lower() in groups.get(forename.lower(), ())
        if person_id in seen or related or len(twins) == 25:
            continue
        seen.add(person_id)
        twins.append({"Forename": name, "Surname": surname, "Date of birth": dob,
                      "Sex": {"M": "Male", "F": "Female"}[sex], "PNC": "", "Intervention start": "01/06/2016"})
    con.close()
    assert len(twins) == 25
    path = tmp_path / "twins.csv"
    pd.DataFrame(twins).to_csv(path, index=False)
    v = validate(path)
    links = link_submission(v.rows[v.rows["status"] == "ok"], planted_db).links
    assert (links["status"] != "linked").all(), links[links["status"] == "linked"]
    assert (links["status"] == "review").sum() >= 20  # each sent to a person, not dropped as not found
    assert links.loc[links["status"] == "review", "reason"].str.contains("twin or sibling").all()


def test_a_rows_score_does_not_depend_on_its_neighbours(planted_db, tmp_path):
    result, v, _ = _link_list(planted_db, tmp_path, 120, seed=12)
    ok = v.rows[v.rows["status"] == "ok"]
    alone = link_submission(ok.iloc[[5, 40, 77]], planted_db).links.set_index("row")
    together = result.links.set_index("row").loc[alone.index]
    pd.testing.assert_series_equal(alone["match_probability"], together["match_probability"])
    assert (alone["status"] == together["status"]).all()


@pytest.mark.slow
@pytest.mark.parametrize("people", [300_000, 1_000_000])
def test_hard_lists_at_scale(tmp_path_factory, tmp_path, people):
    db = synthetic_db(tmp_path_factory, people, 9)
    plant_people(db, seed=4)
    result, v, truth = _link_list(db, tmp_path, 600, seed=21)
    overall, per_kind = scores(result.links, v.rows["row"].to_numpy(), truth)
    assert overall["precision"] >= 0.99 and overall["recall"] >= 0.95, (overall, per_kind)
    assert overall["namesakes_linked"] <= 0.01 * overall["namesakes"] + 1, overall


@pytest.fixture(scope="module")
def linked_folder(planted_db, tmp_path_factory):
    from justicelab.cli import main

    tmp = tmp_path_factory.mktemp("linked")
    sub, _ = hard_list(planted_db, rows=200, seed=13)
    sub.to_csv(tmp / "list.csv", index=False)
    assert main(["link", str(tmp / "list.csv"), "--db", str(planted_db), "--out", str(tmp / "linkage"),
                 "--accept-errors"]) == 0
    return tmp / "linkage"


def test_clerical_review_in_the_terminal_is_resumable_and_feeds_the_treatment_group(planted_db, linked_folder,
                                                                                   tmp_path):
    import json

    from typer.testing import CliRunner

    from justicelab.cli import app

    out = tmp_path / "linkage"
    shutil.copytree(linked_folder, out)
    links = pd.read_csv(out / "linkage.csv")
    review_rows = links.loc[links["status"] == "review", "row"].tolist()
    assert len(review_rows) >= 3, links["status"].value_counts()
    cands = pd.read_csv(out / "clerical_review.csv")
    first = cands[cands["row"] == review_rows[0]].sort_values("match_weight", ascending=False)
    assert first["submitted_surname"].notna().all() and first["candidate_surname"].notna().all()

    runner = CliRunner()
    # accept the first row's best candidate, reject the second, skip the third, then stop
    result = runner.invoke(app, ["review", str(out), "--db", str(planted_db), "--reviewer", "tester"],
                           input="1\nr\ns\nq\n")
    assert result.exit_code == 0, result.output
    assert "Submitted" in result.output and f"Row {review_rows[0]}" in result.output
    decisions = pd.read_csv(out / "clerical_decisions.csv")
    assert decisions["decision"].tolist() == ["accept", "reject", "skip"]
    assert decisions["row"].tolist() == review_rows[:3] and (decisions["reviewer"] == "tester").all()
    after = pd.read_csv(out / "linkage.csv").set_index("row")
    accepted = after.loc[review_rows[0]]
    assert accepted["status"] in ("linked", "duplicate") and accepted["method"] == "clerical"
    assert int(accepted["person_id"]) == int(first["person_id"].iloc[0])
    assert after.loc[review_rows[1], "status"] == "not_found"
    assert after.loc[review_rows[2], "status"] == "review"
    excluded = pd.read_csv(out / "exclusions.csv").set_index("row")["step"]
    assert excluded.get(review_rows[0]) != "not_found"  # the accepted row left the 'not found' exclusion
    diag = json.loads((out / "linkage_diagnostics.json").read_text())["linkage"]
    assert diag["linked_by_review"] == (1 if accepted["status"] == "linked" else 0)

    # resuming: the undecided rows come first, the skipped one last; nothing decided is asked again
    result = runner.invoke(app, ["review", str(out), "--db", str(planted_db)], input="q\n")
    assert f"Row {review_rows[3] if len(review_rows) > 3 else review_rows[2]} " in result.output
    assert f"Row {review_rows[0]} " not in result.output


def test_clerical_review_in_the_web_service_for_analysts_only(planted_db, linked_folder, tmp_path):
    import re

    from fastapi.testclient import TestClient

    from justicelab.service.accounts import add_user
    from justicelab.service.app import create_app
    from justicelab.service.jobs import Settings
    from justicelab.service.store import Job, Submission

    settings = Settings(database=planted_db, data_dir=tmp_path / "data")
    app = create_app(f"sqlite:///{tmp_path / 'store.db'}", settings)
    with app.state.factory() as s:
        org_user = add_user(s, "a@org.test", "a long enough password 1", organisation="Org A")
        add_user(s, "analyst@lab.test", "a long enough password 1", role="analyst")
        sub = Submission(organisation_id=org_user.organisation_id, uploaded_by=org_user.id, programme="P",
                         filename="list.csv", status="in review")
        s.add(sub)
        s.commit()
        sid = sub.id
    shutil.copytree(linked_folder, settings.data_dir / "work" / sid)
    pending_before = pd.read_csv(linked_folder / "linkage.csv").query("status == 'review'")["row"].tolist()

    def client(email):
        c = TestClient(app)
        assert sign_in(c, email, "a long enough password 1").status_code == 303
        return c

    org = client("a@org.test")
    assert org.get(f"/linkage-review/{sid}").status_code == 403  # organisations never see candidates
    analyst = client("analyst@lab.test")
    page = analyst.get(f"/linkage-review/{sid}")
    assert page.status_code == 200 and f"Row {pending_before[0]}" in page.text and "Submitted" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    person = int(re.search(r'name="person_id" value="(\d+)"', page.text).group(1))
    # a forged form (no CSRF token) is refused and records nothing
    assert analyst.post(f"/linkage-review/{sid}/{pending_before[0]}", data={"decision": "reject"},
                        follow_redirects=False).status_code == 403
    r = analyst.post(f"/linkage-review/{sid}/{pending_before[0]}",
                     data={"decision": "accept", "person_id": person, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    decisions = pd.read_csv(settings.data_dir / "work" / sid / "clerical_decisions.csv")
    assert decisions[["row", "person_id", "decision", "reviewer"]].values.tolist() == [
        [pending_before[0], person, "accept", "analyst@lab.test"]]
    assert f"Row {pending_before[1]}" in analyst.get(f"/linkage-review/{sid}").text  # the next row
    assert analyst.post(f"/linkage-review/{sid}/{pending_before[0]}", data={"decision": "reject", "csrf": csrf},
                        follow_redirects=False).status_code == 409  # already decided
    assert analyst.post(f"/linkage-review/{sid}/rerun", data={"csrf": csrf},
                        follow_redirects=False).status_code == 303
    with app.state.factory() as s:
        assert s.query(Job).filter_by(submission_id=sid).count() == 1  # the analysis runs again with the decision


def test_linkage_quality_figures_and_the_annex_table():
    from justicelab.linkage.link import counts
    from justicelab.report.build import TEMPLATES

    links = pd.DataFrame({
        "row": [2, 3, 4, 5, 6, 7, 8],
        "status": ["linked", "linked", "linked", "linked", "review", "not_found", "duplicate"],
        "method": ["PNC", "probabilistic", "probabilistic", "clerical", None, "clerical", "probabilistic"],
        "match_probability": [1.0, 0.99, 0.97, 0.80, 0.7, 0.6, 0.99]})
    figures = counts(links)
    # by hand: (1 - 0.99) + (1 - 0.97) + (1 - 0.80); the PNC link is certain, the duplicate is not a link
    assert figures["expected_false_links"] == pytest.approx(0.24)
    assert (figures["linked_by_pnc"], figures["linked_probabilistically"], figures["linked_by_review"],
            figures["sent_for_review"]) == (1, 1 + 1, 1, 3)
    html = TEMPLATES.get_template("_linkage_quality.html.j2").render(linkage_quality=figures)
    assert "Linkage quality" in html and "<td>0.2</td>" in html and "<td>3</td>" in html
    assert '{% include "_linkage_quality.html.j2" %}' in (
        TEMPLATES.loader.get_source(TEMPLATES, "report.html.j2")[0])
