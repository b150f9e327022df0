"""Submission checks: every problem named by row and column, nothing dropped silently."""
from datetime import date, datetime

import openpyxl
import pandas as pd

from justicelab.submission.validate import parse_date, validate

TODAY = date(2022, 6, 30)


def people(n, start=0):
    return [{"First Name": f"Name{chr(65 + i % 26)}{i}", "Surname": f"Surname{i}", "DOB": f"{1 + i % 28:02d}/0{1 + i % 9}/19{60 + i % 30}",
             "Gender": "Male" if i % 2 else "F", "Start date": "15/03/2017"} for i in range(start, start + n)]


def write_csv(tmp_path, rows, name="sub.csv", encoding="utf-8"):
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False, encoding=encoding)
    return path


def test_a_good_file_with_header_aliases(tmp_path):
    v = validate(write_csv(tmp_path, people(70)), today=TODAY)
    assert v.rejected is None and not v.errors
    s = v.summary()
    assert s["records"] == 70 and s["distinct_people"] == 70 and s["encoding"] == "utf-8"
    assert set(v.rows.columns) >= {"forename", "surname", "date_of_birth", "sex", "intervention_start"}
    assert v.rows["sex"].isin(["M", "F"]).all()


def test_windows_1252_names_are_read(tmp_path):
    rows = people(70)
    rows[0]["Surname"] = "O’Brien-Zoë"  # curly apostrophe and diaeresis: different bytes in cp1252
    v = validate(write_csv(tmp_path, rows, encoding="cp1252"), today=TODAY)
    assert v.encoding == "windows-1252"
    assert v.rows.loc[0, "surname"] == "O’Brien-Zoë"


def test_row_and_column_problems(tmp_path):
    rows = people(70)
    rows[2]["DOB"] = "31/02/1980"  # impossible
    rows[3]["DOB"] = "01/01/2030"  # future
    rows[4]["Gender"] = "X"
    rows[5]["Surname"] = ""
    rows[6]["DOB"] = "1/2/85"  # two-digit year
    rows.insert(8, {k: "" for k in rows[0]})  # a blank row
    v = validate(write_csv(tmp_path, rows), today=TODAY)
    rep = v.report()
    def at(row, col):
        return rep[(rep["row"] == row) & (rep["column"] == col)]["problem"].tolist()
    assert at(4, "date_of_birth") == ["'31/02/1980' is not a real date"]
    assert at(5, "date_of_birth") == ["is in the future"]
    assert at(6, "sex") == ["is not Male or Female (M/F)"]
    assert at(7, "surname") == ["is empty but required"]
    assert "two-digit year" in at(8, "date_of_birth")[0]
    assert at(10, "") == ["blank row: ignored"]
    s = v.summary()
    assert s["blank_rows"] == 1 and s["records_with_errors"] == 5 and s["usable_records"] == 65
    assert s["records"] == 71, "every row is accounted for"


def test_duplicates_are_flagged_not_dropped(tmp_path):
    rows = people(76)
    rows.append(dict(rows[10]))  # the seed's case: 77 records for 76 people
    v = validate(write_csv(tmp_path, rows), today=TODAY)
    s = v.summary()
    assert s["records"] == 77 and s["distinct_people"] == 76 and s["usable_records"] == 77
    assert "same person as row 12" in v.report()["problem"].tolist()


def test_fewer_than_sixty_people_is_refused_with_the_reason(tmp_path):
    v = validate(write_csv(tmp_path, people(59)), today=TODAY)
    assert v.rejected and "only 59 distinct people" in v.rejected and "at least 60" in v.rejected


def test_missing_required_column_is_refused(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "DOB"} for r in people(70)]
    v = validate(write_csv(tmp_path, rows), today=TODAY)
    assert v.rejected and "date_of_birth" in v.rejected


def test_excel_date_cells_and_text_dates(tmp_path):
    wb = openpyxl.Workbook()
    prog = wb.create_sheet("Programme")
    prog.append(["programme name", "Test Mentoring"])
    prog.append(["description, in your own words", "We meet people weekly."])
    ws = wb.active
    ws.append(["Forename", "Surname", "Date of birth", "Sex", "Intervention start"])
    for i in range(70):
        dob = datetime(1980, 1 + i % 12, 1 + i % 28) if i % 2 else f"{1 + i % 28:02d}/{1 + i % 12:02d}/1981"
        ws.append([f"A{i}", f"B{i}", dob, "M", datetime(2017, 3, 15)])
    path = tmp_path / "sub.xlsx"
    wb.save(path)
    v = validate(path, today=TODAY)
    assert v.encoding == "xlsx" and not v.errors
    assert v.rows.loc[1, "date_of_birth"] == date(1980, 2, 2)  # a real Excel date cell
    assert v.rows.loc[0, "date_of_birth"] == date(1981, 1, 1)  # text, day first
    assert v.rows["intervention_start"].eq(date(2017, 3, 15)).all()
    from justicelab.submission.validate import read_programme
    meta = read_programme(path)
    assert meta["programme"] == "Test Mentoring" and meta["description"] == "We meet people weekly."


def test_date_order_ambiguity():
    assert parse_date("04/05/2020") == (date(2020, 5, 4), None, True)
    assert parse_date("04/05/2020", day_first=False) == (date(2020, 4, 5), None, True)
    assert parse_date("13/05/2020") == (date(2020, 5, 13), None, False)
    assert parse_date("2020-05-04") == (date(2020, 5, 4), None, False)
    assert parse_date("4 May 2020") == (date(2020, 5, 4), None, False)
    assert parse_date("43890")[0] == date(2020, 2, 29)  # an Excel serial number that lost its format


def test_ambiguity_flagged_only_when_the_column_does_not_settle_it(tmp_path):
    rows = people(70)
    for r in rows:
        r["DOB"] = "04/05/1980"
    v = validate(write_csv(tmp_path, rows), today=TODAY)
    assert v.report()["problem"].str.startswith("ambiguous day/month").sum() == 70
    rows[0]["DOB"] = "25/12/1979"  # one unambiguous day-first date settles the column
    v = validate(write_csv(tmp_path, rows), today=TODAY)
    assert not v.report()["problem"].str.startswith("ambiguous").any()


def test_pnc_check_letter(tmp_path):
    rows = people(70)
    rows[0]["PNC"] = "98/123456X"  # wrong check letter
    from justicelab.identifiers import pnc_check_letter
    rows[1]["PNC"] = f"98/123456{pnc_check_letter(98, 123456)}"
    v = validate(write_csv(tmp_path, rows), today=TODAY)
    # a wrong check letter keeps the number (partial evidence for linkage), without the letter
    assert v.rows.loc[1, "pnc_id"].startswith("98/123456") and v.rows.loc[0, "pnc_id"] == "98/123456"
    assert "PNC check letter does not match" in v.report().loc[lambda r: r["row"] == 2, "problem"].iloc[0]
