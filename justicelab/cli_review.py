"""`justicelab review LINKAGE_DIR --db DB`: clerical review of the rows linkage could not decide.

Shows the submitted row beside each candidate's database record; the reviewer accepts a candidate
(1, 2, 3), rejects them all (r), skips (s) or stops (q). Decisions are saved as they are made, so a
review can stop and resume; at the end the treatment group is rebuilt from them.
"""
from __future__ import annotations

import getpass
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console(highlight=False)


def _show(row: int, cands, position: str) -> None:
    from .linkage.review import FIELDS

    t = Table(title=f"Row {row} ({position})", show_lines=False)
    t.add_column("")
    t.add_column("Submitted", style="bold")
    for i, c in enumerate(cands.itertuples(), 1):
        t.add_column(f"{i}: person {c.person_id} (p={c.match_probability:.2f})")
    first = cands.iloc[0]
    for field, label in FIELDS:
        values = [str(getattr(c, f"candidate_{field}", "") or "") for c in cands.itertuples()]
        t.add_row(label, str(first.get(f"submitted_{field}", "") or ""), *values)
    console.print(t)


def review(linkage_dir: Path = typer.Argument(..., help="The folder 'justicelab link' wrote."),
           db: Path = typer.Option(..., "--db", help="The database the submission was linked to."),
           reviewer: str = typer.Option("", "--reviewer", help="Name recorded with each decision.")):
    """Clerical review: accept, reject or skip each borderline match; resumable; rebuilds the treatment group."""
    from .linkage.review import candidates, finish, pending, record

    who = reviewer or getpass.getuser()
    todo = pending(linkage_dir)
    if not todo:
        console.print("Nothing to review.")
    for i, row in enumerate(todo, 1):
        cands = candidates(linkage_dir, row)
        if cands.empty:
            continue
        _show(row, cands, f"{i} of {len(todo)}")
        choices = [str(k) for k in range(1, len(cands) + 1)] + ["r", "s", "q"]
        answer = typer.prompt(f"Accept {'/'.join(choices[:-3])}, r reject, s skip, q stop", default="s")
        while answer.strip().lower() not in choices:
            answer = typer.prompt(f"Please answer one of {', '.join(choices)}", default="s")
        answer = answer.strip().lower()
        if answer == "q":
            break
        if answer == "r":
            record(linkage_dir, row, "reject", reviewer=who)
        elif answer == "s":
            record(linkage_dir, row, "skip", reviewer=who)
        else:
            record(linkage_dir, row, "accept", int(cands.at[int(answer) - 1, "person_id"]), reviewer=who)
    figures = finish(linkage_dir, db)
    left = len(pending(linkage_dir))
    console.print(f"Linked at review: {figures['linked_by_review']}; still to review: {left}. "
                  f"Treatment group and exclusions in {linkage_dir} rebuilt from the decisions.")
