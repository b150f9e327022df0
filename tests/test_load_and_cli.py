"""Loading real data (and refusing bad data), the submission generator, and the CLI's behaviour."""
import csv
import json
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from tests.fixtures import synthetic_db

from justicelab.cli import main
from justicelab.data.load import export_folder, load_folder
from justicelab.data.schema import data_dictionary_markdown
from justicelab.data.synth.submission import make_submission
from justicelab.errors import DataError
from pathlib import Path


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    return synthetic_db(tmp_path_factory, 20_000, 11)


def test_export_then_load_round_trip(small_db, tmp_path):
    export_folder(small_db, tmp_path / "csv", "csv")
    counts = load_folder(tmp_path / "csv", tmp_path / "loaded.duckdb")
    con = duckdb.connect(str(small_db), read_only=True)
    for name, n in counts.items():
        assert con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] == n
    original = con.execute("SELECT * FROM disposal ORDER BY disposal_id LIMIT 500").df()
    con.close()
    loaded = duckdb.connect(str(tmp_path / "loaded.duckdb"), read_only=True)
    again = loaded.execute("SELECT * FROM disposal ORDER BY disposal_id LIMIT 500").df()
    loaded.close()
    pd.testing.assert_frame_equal(original, again, check_dtype=False)


def _corrupt(folder: Path, table: str, row: int, column: str, value: str) -> None:
    path = folder / f"{table}.csv"
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[row - 1][column] = value
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_bad_data_is_refused_with_file_row_column_and_problem(small_db, tmp_path):
    folder = tmp_path / "bad"
    export_folder(small_db, folder, "csv")
    _corrupt(folder, "offence", 17, "offence_date", "31/02/2019")
    _corrupt(folder, "person", 3, "gender", "X")
    _corrupt(folder, "disposal", 5, "person_id", "99999999")
    _corrupt(folder, "person", 8, "pnc_id", "12345")
    with pytest.raises(DataError) as info:
        load_folder(folder, tmp_path / "never.duckdb")
    problems = "\n".join(info.value.problems)
    assert "offence.csv row 17, column offence_date: '31/02/2019' is not a date" in problems
    assert "person.csv row 3, column gender: 'X' is not one of M, F" in problems
    assert "disposal.csv row 5, column person_id: '99999999' has no match in person.person_id" in problems
    assert "person.csv row 8, column pnc_id: '12345' is not in the expected format" in problems
    assert not (tmp_path / "never.duckdb").exists(), "nothing is written when any table fails"


def test_data_dictionary_in_docs_is_current():
    docs = Path(__file__).parent.parent / "docs" / "data_dictionary.md"
    assert docs.read_text(encoding="utf-8") == data_dictionary_markdown(), \
        "regenerate with: justicelab schema --out docs/data_dictionary.md"


def test_synthetic_submission_has_the_promised_errors(small_db):
    made = [make_submission(small_db, "through-the-gate", seed=s) for s in range(1, 21)]
    sub = pd.concat([m[0] for m in made], ignore_index=True)
    truth = pd.concat([m[1] for m in made], ignore_index=True)
    assert len(sub) == len(truth) > 150 and made[0][2]["organisation"]
    assert made[0][0].equals(make_submission(small_db, "through-the-gate", seed=1)[0]), "same seed, same list"
    con = duckdb.connect(str(small_db), read_only=True)
    people = con.execute("SELECT person_id, forename, surname, pnc_id FROM person").df().set_index("person_id")
    con.close()
    linked = truth["person_id"].notna().to_numpy()
    assert (~linked).sum() >= 1, "some listed people are not on the database"
    assert any(m[1]["person_id"].dropna().duplicated().any() for m in made), "some people are listed twice"
    actual = people.loc[truth.loc[linked, "person_id"].astype(int)]
    same_name = (sub.loc[linked, "forename"].to_numpy() == actual["forename"].to_numpy())
    assert 0.6 < same_name.mean() < 0.98, "most names typed as recorded, but not all"
    given = sub.loc[linked, "pnc_id"].fillna("").to_numpy() != ""
    assert 0.4 < given.mean() < 0.8
    assert sub["date_of_birth"].str.match(r"^\d{2}/\d{2}/\d{4}$").all()


def test_cli_errors_are_one_line_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "justicelab.cli", "stats", "--db", str(tmp_path / "none.duckdb")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "no database at" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "justicelab.cli", "stats", "--db", str(tmp_path), "--from", "2019-13-01"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_cli_stats_json(small_db, capsys):
    assert main(["stats", "--db", str(small_db), "--by", "sentence", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = {r["group"]: r for r in out["rows"]}
    total = rows.pop("All offenders")
    assert sum(r["offenders"] for r in rows.values()) == total["offenders"]
    assert sum(r["reoffences"] for r in rows.values()) == total["reoffences"]
    assert total["proportion_reoffending_pct"] == round(100 * total["reoffenders"] / total["offenders"], 1)


def test_every_command_has_help():
    for cmd in ["synth", "synth-submission", "load", "export", "schema", "stats", "demo"]:
        proc = subprocess.run([sys.executable, "-m", "justicelab.cli", cmd, "--help"], capture_output=True, text=True)
        assert proc.returncode == 0 and "Usage" in proc.stdout, cmd
