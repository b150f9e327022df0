"""The submission template: the columns an organisation sends, and the names people give them."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    required: bool
    description: str
    aliases: tuple[str, ...] = ()
    kind: str = "text"  # text, date, sex, pnc


FIELDS: tuple[Field, ...] = (
    Field("forename", True, "First name as the person gave it.", ("first name", "firstname", "given name", "first_name")),
    Field("surname", True, "Family name.", ("last name", "lastname", "family name", "last_name")),
    Field("date_of_birth", True, "Date of birth, day first (31/01/1985) or ISO (1985-01-31).",
          ("dob", "date of birth", "birth date", "birthdate"), "date"),
    Field("sex", True, "Male or Female (M/F accepted).", ("gender",), "sex"),
    Field("pnc_id", False, "Police National Computer id, e.g. 98/123456X, if known.",
          ("pnc", "pnc number", "pnc id", "pncid"), "pnc"),
    Field("intervention_start", False, "Date the person started with the programme.",
          ("start date", "start", "referral date"), "date"),
    Field("intervention_end", False, "Date the person finished.", ("end date", "end"), "date"),
    Field("index_date", False, "Conviction or release date the work related to, if known.",
          ("conviction date", "index date", "release date"), "date"),
)
REQUIRED = [f.name for f in FIELDS if f.required]
MINIMUM_PEOPLE = 60  # the Data Lab's minimum for an analysis


def canonical_column(name: str) -> str | None:
    key = " ".join(str(name).strip().lower().replace("_", " ").split())
    for f in FIELDS:
        if key == f.name.replace("_", " ") or key in f.aliases or key.replace(" ", "_") in f.aliases:
            return f.name
    return None


def template_markdown() -> str:
    rows = "\n".join(f"| `{f.name}` | {'yes' if f.required else 'no'} | {f.description} | "
                     f"{', '.join(f.aliases)} |" for f in FIELDS)
    return rows


EXAMPLE = {"forename": "Jane", "surname": "Example", "date_of_birth": "31/01/1985", "sex": "Female",
           "pnc_id": "", "intervention_start": "15/03/2017", "intervention_end": "30/06/2017", "index_date": "",
           "attendance": "completed", "delivery_mode": "one-to-one"}


def write_templates(folder) -> list:
    """The blank template as CSV and as an Excel workbook with a guidance sheet and a programme sheet."""
    from pathlib import Path

    import openpyxl
    from openpyxl.styles import Font

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    columns = list(EXAMPLE)
    csv_path = folder / "submission_template.csv"
    csv_path.write_text(",".join(columns) + "\n" + ",".join(EXAMPLE.values()) + "\n", encoding="utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "People"
    ws.append(columns)
    ws.append(list(EXAMPLE.values()))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    guide = wb.create_sheet("Guidance")
    guide.append(["column", "required", "what to enter", "also accepted as a heading"])
    for f in FIELDS:
        guide.append([f.name, "yes" if f.required else "no", f.description, ", ".join(f.aliases)])
    guide.append(["(any other column)", "no", "Your own fields, e.g. attendance or delivery mode, for "
                  "sub-analyses.", ""])
    prog = wb.create_sheet("Programme")
    for row in (["programme name", ""], ["organisation", ""], ["description, in your own words", ""],
                ["contact email", ""]):
        prog.append(row)
    xlsx_path = folder / "submission_template.xlsx"
    wb.save(xlsx_path)
    return [csv_path, xlsx_path]
