"""`justicelab pbr-calc`: a contract's decision and ledger from summary figures (no database)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer


def pbr_calc(contract: Path = typer.Argument(..., help="The contract file (YAML): see contracts/ and docs/pbr.md."),
             figures: Path = typer.Argument(..., help="Cohort figures (YAML or JSON): see docs/pbr.md."),
             json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the result as JSON here.")):
    """Payment by results from summary figures: the decision and the ledger, step by step."""
    from .cli import console
    from .pbr.calc import calculate, jsonable, load_figures
    from .pbr.contract import load_contract

    spec, digest = load_contract(contract)
    result = calculate(spec, load_figures(figures))
    console.print(f"[bold]{spec.name}[/bold] (contract SHA-256 {digest[:12]}): "
                  f"{'final' if result['final'] else 'interim'} as of {result['as_of']}")
    for i, step in enumerate(result["steps"], 1):
        console.print(f"  {i}. {step}", markup=False, highlight=False)
    for p in result["payments"]:
        console.print(f"  payment {p['amount']:,.2f} {result['currency']} due {p['due'] or 'when final'}: {p['reason']}"
                      f"{' (provisional)' if p['provisional'] else ''}", markup=False)
    console.print(f"Total: {result['total']:,.2f} {result['currency']}", markup=False)
    if json_out:
        json_out.write_text(json.dumps(jsonable(result), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def register(app: typer.Typer) -> None:
    app.command("pbr-calc")(pbr_calc)
