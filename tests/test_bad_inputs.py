"""A corpus of malformed inputs, each with the answer a careless user should get (issue 14, "Bad input").

Every file is written here, byte by byte or with openpyxl, not by justicelab, so the reader is tested
against inputs it did not make. Each case names its exit code (0 usable, 1 usable with row errors,
2 refused) and words the message must contain; none may print a traceback or "please report this".
"""
from __future__ import annotations

import csv
import functools
import io
import json
import time
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

import openpyxl
import pytest

from justicelab.cli import main
from justicelab.errors import JusticeLabError
from justicelab.submission.limits import ReadLimits
from justicelab.submission.validate import validate

HEADER = ["forename", "surname", "date_of_birth", "sex", "intervention_start"]
FORENAMES = ["Amir", "Beth", "Carl", "Dina", "Eoin", "Faye", "Gus", "Hana", "Ivor", "Jade", "Kofi", "Lena"]
SURNAMES = ["Ashby", "Brook", "Cole", "Dale", "Eyre", "Frost", "Gale", "Hart", "Innes", "Judd", "Kerr"]


def person(i: int) -> list[str]:
    """Distinct people: day first dates with a day over 12 in every third row, so the order is settled."""
    dob = date(1970, 1, 1) + timedelta(days=97 * i)
    return [FORENAMES[i % 12], SURNAMES[i % 11] + "-" + chr(97 + i % 26) + chr(97 + i // 26), f"{dob:%d/%m/%Y}",
            "Male" if i % 2 else "Female", "15/03/2017"]


def rows(n: int = 70) -> list[list[str]]:
    return [HEADER] + [person(i) for i in range(n)]


def csv_text(table: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(table)
    return out.getvalue()


def write(tmp: Path, name: str, data: bytes | str) -> Path:
    path = tmp / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def workbook(tmp: Path, name: str, build: Callable) -> Path:
    wb = openpyxl.Workbook()
    build(wb)
    path = tmp / name
    wb.save(path)
    return path


def sheet_with(table, title_rows=()):
    def build(wb):
        ws = wb.active
        ws.title = "People"
        for t in title_rows:
            ws.append(t)
        for r in table:
            ws.append(r)
    return build


# ----------------------------------------------------------------------------------------- the corpus
# Each maker writes its input(s) under tmp and returns the command's arguments.

def empty_csv(tmp):
    return ["validate", str(write(tmp, "empty.csv", b""))]


def blank_lines_only(tmp):
    return ["validate", str(write(tmp, "blanks.csv", b"\r\n\r\n  \r\n"))]


def header_only(tmp):
    return ["validate", str(write(tmp, "header.csv", ",".join(HEADER) + "\r\n"))]


def title_rows_above_header(tmp):
    text = "Link worker programme: participants\r\nSent 1 June 2019\r\n\r\n" + csv_text(rows())
    return ["validate", str(write(tmp, "titled.csv", text))]


def unquoted_extra_comma(tmp):
    table = rows()
    table[5] = ["Amir", "Smith, Jr", "02/03/1980", "Male", "15/03/2017"]
    text = csv_text(table).replace('"Smith, Jr"', "Smith, Jr")
    return ["validate", str(write(tmp, "comma.csv", text))]


def two_forename_columns(tmp):
    table = [["forename", "First name"] + HEADER[1:]] + [[r[0], r[0]] + r[1:] for r in rows()[1:]]
    return ["validate", str(write(tmp, "two_forenames.csv", csv_text(table)))]


def nul_bytes(tmp):
    data = csv_text(rows()).encode("utf-8")
    at = data.index(b"Dale")
    return ["validate", str(write(tmp, "nul.csv", data[:at] + b"\x00" + data[at:]))]


def mixed_encodings(tmp):
    table = rows()
    table[3][0] = "Zoë"
    table[9][0] = "José"
    text = csv_text(table)
    head, tail = text.split("José")
    data = head.encode("utf-8") + "José".encode("cp1252") + tail.encode("utf-8")
    return ["validate", str(write(tmp, "mixed.csv", data))]


def hidden_rows(tmp):
    def build(wb):
        sheet_with(rows())(wb)
        wb.active.row_dimensions[4].hidden = True
    return ["validate", str(workbook(tmp, "hidden.xlsx", build))]


def very_long_field(tmp):
    table = rows()
    table[7][1] = "x" * 10_000
    return ["validate", str(write(tmp, "long.csv", csv_text(table)))]


def placeholder_names(tmp):
    table = rows()
    table[2][0:2] = ["Test", "Test"]
    table[3][0] = "Unknown"
    return ["validate", str(write(tmp, "placeholders.csv", csv_text(table)))]


def no_date_column(tmp):
    table = [r[:4] for r in rows()]
    return ["validate", str(write(tmp, "no_dates.csv", csv_text(table)))]


def both_dates_blank(tmp):
    table = [r + [""] for r in rows()]
    table[0][-1] = "index_date"
    table[6][4] = ""
    return ["validate", str(write(tmp, "no_start.csv", csv_text(table)))]


def utf16(tmp):
    table = rows()
    table[1][0] = "Zoë"
    return ["validate", str(write(tmp, "unicode.csv", csv_text(table, "\t").encode("utf-16")))]


def utf16_without_bom(tmp):
    return ["validate", str(write(tmp, "unicode_le.csv", csv_text(rows(), "\t").encode("utf-16-le")))]


def semicolons(tmp):
    return ["validate", str(write(tmp, "semicolon.csv", csv_text(rows(), ";")))]


def tabs(tmp):
    return ["validate", str(write(tmp, "tabs.csv", csv_text(rows(), "\t")))]


def second_sheet(tmp):
    def build(wb):
        wb.active.title = "Read me"
        wb.active.append(["Please list every participant on the next sheet."])
        data = wb.create_sheet("Participants")
        for r in rows():
            data.append(r)
    return ["validate", str(workbook(tmp, "second_sheet.xlsx", build))]


def merged_title(tmp):
    def build(wb):
        sheet_with(rows(), title_rows=[["Participants 2017"]])(wb)
        wb.active.merge_cells("A1:E1")
    return ["validate", str(workbook(tmp, "merged.xlsx", build))]


def zero_width_header(tmp):
    table = rows()
    table[0] = ["\u200bforename", "sur\u200cname", "date_of_birth\ufeff", "\u00a0sex", "intervention_start"]
    return ["validate", str(write(tmp, "zero_width.csv", csv_text(table)))]


def password_protected(tmp):
    # an encrypted workbook is an OLE compound file, not a zip: its 8-byte signature, then sectors
    data = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(512 * 8)
    return ["validate", str(write(tmp, "locked.xlsx", data))]


def not_a_workbook(tmp):
    return ["validate", str(write(tmp, "renamed.xlsx", csv_text(rows())))]


def formulas_without_values(tmp):
    def build(wb):
        sheet_with(rows())(wb)
        for r in range(2, 72):
            wb.active.cell(r, 2).value = f'=UPPER("{SURNAMES[r % 11]}")'
    return ["validate", str(workbook(tmp, "formulas.xlsx", build))]


def us_dates(tmp):
    table = rows()
    for r in table[1:]:
        d, m, y = r[2].split("/")
        r[2] = f"{m}/{d}/{y}"
    return ["validate", str(write(tmp, "us.csv", csv_text(table)))]


def us_dates_with_flag(tmp):
    return us_dates(tmp) + ["--us-dates"]


def formula_in_report(tmp):
    table = rows()
    table[4][2] = '=HYPERLINK("http://example.invalid/x","click")'
    path = write(tmp, "formula.csv", csv_text(table))
    return ["validate", str(path), "--report", str(tmp / "problems.csv")]


def stray_quote(tmp):
    table = rows()
    text = csv_text(table).replace("Carl,", '"Carl,', 1)
    return ["validate", str(write(tmp, "quote.csv", text))]


def unknown_extension(tmp):
    return ["validate", str(write(tmp, "people.pdf", b"%PDF-1.4"))]


def missing_file(tmp):
    return ["validate", str(tmp / "nowhere.csv")]


def a_folder(tmp):
    (tmp / "folder.csv").mkdir()
    return ["validate", str(tmp / "folder.csv")]


def five_million_blank_rows(tmp):
    return ["validate", str(write(tmp, "flood.csv", ",".join(HEADER).encode() + b"\n" * 5_000_000))]


@functools.lru_cache(maxsize=1)
def bomb_bytes() -> bytes:
    """A real workbook plus 150 MB of zeros deflated to ~150 KB (built once: deflating takes seconds)."""
    buffer = io.BytesIO()
    wb = openpyxl.Workbook()
    sheet_with(rows())(wb)
    wb.save(buffer)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("xl/media/padding.bin", bytes(150_000_000))
    return buffer.getvalue()


def decompression_bomb(tmp):
    return ["validate", str(write(tmp, "bomb.xlsx", bomb_bytes()))]


def database(kind):
    def make(tmp):
        path = tmp / f"db_{kind}.duckdb"
        if kind == "random":
            path.write_bytes(bytes((i * 7919 + 13) % 256 for i in range(4096)))
        elif kind == "empty":
            path.write_bytes(b"")
        elif kind == "csv":
            path = write(tmp, "people.csv", csv_text(rows()))
        elif kind == "no_tables":
            import duckdb

            con = duckdb.connect(str(path))
            con.execute("CREATE TABLE something (x INTEGER)")
            con.close()
        return ["stats", "--db", str(path)]
    return make


@dataclass
class Case:
    make: Callable
    code: int
    says: tuple[str, ...]  # words the output (stderr, then stdout) must contain
    stream: str = "err"  # where the decisive message is: err, out, or report


CORPUS = {
    "empty CSV": Case(empty_csv, 2, ("empty.csv", "the file is empty")),
    "only blank lines": Case(blank_lines_only, 2, ("blanks.csv", "the file is empty")),
    "header only": Case(header_only, 2, ("header.csv", "submission refused", "no data rows")),
    "title rows above the header": Case(title_rows_above_header, 0, ("70 usable", "above the header: ignored"), "out"),
    "unquoted extra comma": Case(unquoted_extra_comma, 1, ("has 6 values but the header has 5 columns",
                                                           "unquoted comma"), "out"),
    "two forename columns": Case(two_forename_columns, 2, ("two_forenames.csv", "column forename",
                                                           "two columns are both forename", "'First name'")),
    "NUL bytes": Case(nul_bytes, 2, ("nul.csv, row 5", "NUL bytes")),
    "mixed encodings": Case(mixed_encodings, 2, ("mixed.csv, row 10", "mixes UTF-8 and Windows-1252")),
    "hidden rows": Case(hidden_rows, 1, ("is hidden in the workbook",), "out"),
    "10,000-character field": Case(very_long_field, 1, ("10,000 characters long",), "out"),
    "placeholder names": Case(placeholder_names, 1, ("placeholder, not a person's name", "Test Test",
                                                     "Unknown"), "out"),
    "no start or index date column": Case(no_date_column, 2, ("no_dates.csv", "neither an intervention_start "
                                                                              "nor an index_date column")),
    "both dates blank on a row": Case(both_dates_blank, 1, ("intervention_start and index_date are both "
                                                            "empty",), "out"),
    "UTF-16 with BOM": Case(utf16, 0, ("70 usable", "utf-16", "tab-delimited"), "out"),
    "UTF-16 without BOM": Case(utf16_without_bom, 0, ("70 usable", "utf-16"), "out"),
    "semicolon-delimited": Case(semicolons, 0, ("70 usable", "semicolon-delimited"), "out"),
    "tab-delimited": Case(tabs, 0, ("70 usable", "tab-delimited"), "out"),
    "data on the second sheet": Case(second_sheet, 0, ("70 usable", "read the sheet 'Participants'"), "out"),
    "merged title row": Case(merged_title, 0, ("70 usable", "Participants 2017", "above the header"), "out"),
    "zero-width characters in headers": Case(zero_width_header, 0, ("70 usable",), "out"),
    "password-protected workbook": Case(password_protected, 2, ("locked.xlsx", "password-protected",
                                                                "remove the password")),
    "a CSV renamed .xlsx": Case(not_a_workbook, 2, ("renamed.xlsx", "not a readable .xlsx workbook")),
    "formulas without cached values": Case(formulas_without_values, 2, ("formulas.xlsx, row 2",
                                                                        "70 cells (first B2) hold formulas "
                                                                        "with no saved result")),
    "US-format dates": Case(us_dates, 2, ("us.csv", "run again with --us-dates")),
    "US-format dates with --us-dates": Case(us_dates_with_flag, 0, ("70 usable",), "out"),
    "formula in a value reaches --report": Case(formula_in_report, 1, ("'=HYPERLINK(",), "report"),
    "stray quote merging rows": Case(stray_quote, 2, ("quote.csv, row 4, column forename", "stray double "
                                                      "quote", "swallowing")),
    "not CSV or xlsx": Case(unknown_extension, 2, ("people.pdf", "must be .csv or .xlsx")),
    "no such file": Case(missing_file, 2, ("no file at",)),
    "a folder": Case(a_folder, 2, ("is a folder",)),
    "5 million blank rows": Case(five_million_blank_rows, 2, ("flood.csv", "5,000,001 lines",
                                                              "limit is 100,000 rows")),
    "xlsx decompression bomb": Case(decompression_bomb, 2, ("bomb.xlsx", "unpacks to 150.", "limit is 100.0 MB")),
    "stats on random bytes": Case(database("random"), 2, ("db_random.duckdb is not a DuckDB database",)),
    "stats on an empty file": Case(database("empty"), 2, ("db_empty.duckdb is an empty file",)),
    "stats on a DuckDB file without the tables": Case(database("no_tables"), 2, (
        "db_no_tables.duckdb is a DuckDB database without the table(s) person",)),
    "stats on a CSV": Case(database("csv"), 2, ("people.csv is a CSV file, not a database",)),
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_every_bad_input_gets_its_answer(name, tmp_path, capsys):
    case = CORPUS[name]
    args = case.make(tmp_path)
    started = time.process_time()
    code = main(args)
    cpu = time.process_time() - started
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "please report" not in out + err, err
    assert code == case.code, (code, err[-500:], out[-1500:])
    text = {"err": err, "out": out + err,
            "report": (tmp_path / "problems.csv").read_text(encoding="utf-8-sig") if case.stream == "report" else ""}
    for words in case.says:
        assert words in text[case.stream], (words, text[case.stream][-1500:])
    if code == 2:  # a refusal is one line on stderr
        assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1, err
        assert len(err.strip().splitlines()) == 1, err
    assert cpu < 10, f"{name} took {cpu:.1f} s of CPU"


def test_flood_and_bomb_are_refused_before_parsing(tmp_path):
    """The cheap checks come first: milliseconds of CPU, whatever the file claims to hold."""
    for make in (five_million_blank_rows, decompression_bomb):
        path = Path(make(tmp_path)[1])
        started = time.process_time()
        with pytest.raises(JusticeLabError):
            validate(path)
        assert time.process_time() - started < 0.5, path.name


def test_report_cells_are_never_live_formulas(tmp_path):
    main(formula_in_report(tmp_path))
    with open(tmp_path / "problems.csv", encoding="utf-8-sig", newline="") as f:
        cells = [c for r in csv.reader(f) for c in r]
    assert cells and not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert "'=HYPERLINK(\"http://example.invalid/x\",\"click\")" in cells


def test_a_refused_file_still_gets_its_report(tmp_path, capsys):
    report = tmp_path / "problems.csv"
    assert main(["validate", stray_quote(tmp_path)[1], "--report", str(report)]) == 2
    with open(report, encoding="utf-8-sig", newline="") as f:
        (head, line), = [list(csv.reader(f))]
    assert head == ["row", "column", "value", "severity", "problem"]
    assert line[0] == "0" and line[3] == "error" and "stray double quote" in line[4]


def test_non_latin_names_with_one_birthday_are_different_people(tmp_path):
    table = rows()
    same_dob = table[1][2]
    for i, (fore, sur) in enumerate([("Иван", "Петров"), ("Олег", "Смирнов"), ("王", "伟"), ("李", "娜"),
                                     ("Γιώργος", "Παπαδόπουλος"), ("Νίκος", "Παππάς")]):
        table[1 + i][0:3] = [fore, sur, same_dob]
    table[7][0:3] = ["Ivan", "Petrov", same_dob]
    table[8][0:3] = ["IVAN", "PETROV", same_dob]  # the same person, differently typed: still caught
    v = validate(write(tmp_path, "scripts.csv", csv_text(table)), today=date(2022, 6, 30))
    same = [(p.row, p.problem) for p in v.problems if p.problem.startswith("same person")]
    assert same == [(9, "same person as row 8")]
    assert v.summary()["distinct_people"] == 69


def test_problems_are_capped_with_a_count_of_the_rest(tmp_path):
    table = rows(200)
    for r in table[1:]:
        r[3] = "unknown"
    path = write(tmp_path, "many.csv", csv_text(table))
    everything = validate(path, today=date(2022, 6, 30)).problems
    assert len(everything) > 200  # 200 sex errors, the refusal, and the ambiguous dates
    v = validate(path, today=date(2022, 6, 30), limits=ReadLimits(max_problems=50))
    assert len(v.problems) == 51 and v.problems[:50] == everything[:50]
    assert v.problems[-1].problem == f"... and {len(everything) - 50} more problems not listed (at most 50 are kept)"
    assert v.rejected is not None  # the refusal (row 0) is never the one cut


def test_cells_and_rows_limits(tmp_path):
    path = write(tmp_path, "wide.csv", csv_text(rows(100)))
    with pytest.raises(JusticeLabError, match="limit is 50 rows"):
        validate(path, limits=ReadLimits(max_rows=50))
    with pytest.raises(JusticeLabError, match="limit is 400 cells"):
        validate(path, limits=ReadLimits(max_cells=400))
    book = workbook(tmp_path, "rows.xlsx", sheet_with(rows(100)))
    with pytest.raises(JusticeLabError, match="more than 50 rows"):
        validate(book, limits=ReadLimits(max_rows=50))
    with pytest.raises(JusticeLabError, match=f"the file is {path.stat().st_size:,} bytes: the limit is 100 bytes"):
        validate(path, limits=ReadLimits(max_bytes=100))
    assert validate(path).rejected is None  # the defaults take it


def test_a_long_note_in_an_own_column_is_a_warning_not_an_error(tmp_path):
    table = [r + ["note"] for r in rows()]
    table[0][-1] = "case notes"
    table[3][-1] = "met weekly; " * 100
    v = validate(write(tmp_path, "notes.csv", csv_text(table)), today=date(2022, 6, 30))
    long = [(p.row, p.column, p.severity) for p in v.problems if "characters long" in p.problem]
    assert long == [(4, "case notes", "warning")] and not v.errors


def test_blank_rows_are_reported_as_one_run(tmp_path):
    text = csv_text(rows()) + "\r\n" * 500 + ",,,,\r\n" * 10
    v = validate(write(tmp_path, "tail.csv", text), today=date(2022, 6, 30))
    blank = [p.problem for p in v.problems if "blank" in p.problem]
    assert blank == ["blank rows 72-581 (510 rows): ignored"]
    assert v.summary()["blank_rows"] == 510 and v.rejected is None


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "tiny.duckdb"
    assert main(["synth", "--people", "1000", "--db", str(path)]) == 0
    return path


def test_synth_with_the_smallest_allowed_size(tiny_db, capsys):
    assert main(["stats", "--db", str(tiny_db), "--json"]) == 0
    assert '"offenders"' in capsys.readouterr().out


def test_a_path_with_an_apostrophe_is_a_parameter_not_sql(tmp_path):
    import duckdb

    from justicelab.data.load import _stage
    from justicelab.data.schema import TABLES

    folder = tmp_path / "D09_men's-prisons"
    folder.mkdir()
    table = TABLES["person"]
    (folder / "person.csv").write_text(",".join(table.column_names) + "\n", encoding="utf-8")
    con = duckdb.connect()
    _stage(con, table, folder / "person.csv")
    assert con.execute("SELECT count(*) FROM stage_person").fetchone() == (0,)


@pytest.mark.slow
def test_load_from_a_folder_with_an_apostrophe(tiny_db, tmp_path, capsys):
    folder = tmp_path / "D09_men's-prisons"
    assert main(["export", "--db", str(tiny_db), "--out", str(folder), "--format", "csv"]) == 0
    target = tmp_path / "it's.duckdb"
    assert main(["load", str(folder), "--db", str(target)]) == 0
    capsys.readouterr()
    assert main(["stats", "--db", str(target), "--json"]) == 0
    loaded = json.loads(capsys.readouterr().out)
    assert main(["stats", "--db", str(tiny_db), "--json"]) == 0
    assert loaded == json.loads(capsys.readouterr().out)  # the loaded copy gives the original's statistics
    assert loaded["rows"][0]["offenders"] > 0
    parquet = tmp_path / "O'Brien's extract"  # a folder of Parquet files is read through views
    assert main(["export", "--db", str(tiny_db), "--out", str(parquet), "--format", "parquet"]) == 0
    import duckdb

    from justicelab.data.db import attach_tables

    counts = []
    for source in (tiny_db, parquet):
        con = duckdb.connect()
        attach_tables(con, source, ("person", "offence"))
        counts.append(con.execute("SELECT (SELECT count(*) FROM person), (SELECT count(*) FROM offence)").fetchone())
        con.close()
    assert counts[0] == counts[1] and counts[0][0] > 0


# ----------------------------------------------------------------------------------------- properties
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from justicelab.submission.read import read_table  # noqa: E402

CELL = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=12).map(str.strip)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.lists(st.lists(CELL, min_size=5, max_size=5), min_size=1, max_size=8),
       delimiter=st.sampled_from([",", ";", "\t", "|"]), encoding=st.sampled_from(["utf-8", "utf-16", "utf-8-sig"]))
def test_any_table_the_csv_module_writes_is_read_back_exactly(tmp_path, table, delimiter, encoding):
    """Whatever the values (quotes, delimiters, any script), the reader returns what Python's own csv
    writer wrote, under any of the delimiters and encodings it promises to detect."""
    path = tmp_path / "any.csv"
    path.write_bytes(csv_text([HEADER] + table, delimiter).encode(encoding))
    got = read_table(path)
    assert got.header == HEADER
    assert [r + [""] * (5 - len(r)) if r else [""] * 5 for r in got.rows] == table
    assert got.row_numbers == list(range(2, 2 + len(table)))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_random_bytes_never_crash(tmp_path, data, suffix):
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    try:
        v = validate(path)
    except JusticeLabError as exc:
        assert str(exc).startswith(path.name) and "\n" not in str(exc)
    else:
        assert v.rejected  # a few hundred random bytes are never 60 people
