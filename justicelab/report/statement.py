"""Outcome statements of payment-by-results contracts: HTML, PDF, JSON and the cohort register (CSV).

The register holds pseudonymous database ids only (no names or dates of birth) so the parties can
check every inclusion and exclusion; the statement itself holds counts and rates only.
"""
from __future__ import annotations

import json
from pathlib import Path

from .build import TEMPLATES
from .charts import forest_plot


def _chart(statement: dict, assets: Path) -> dict | None:
    cohorts = statement.get("cohorts") or []
    if not cohorts or "reduction" not in cohorts[0]:
        return None
    p = statement["contract"]["settings"]["payment"]
    rows = [{"label": f"Cohort {c['cohort']}", "difference": 100 * c["reduction"], "ci_low": 100 * c["reduction_low"],
             "ci_high": 100 * c["reduction_high"], "significant": c["significant"], "better": c["reduction"] > 0}
            for c in cohorts]
    lines = tuple((100 * p[k], f"{label} {100 * p[k]:g}%") for k, label in
                  (("cohort_threshold", "cohort threshold"), ("pooled_threshold", "pooled threshold")) if p.get(k))
    level = round(100 * statement["contract"]["settings"]["comparison"]["confidence"])
    path, alt = forest_plot(rows, "Reduction in reconviction events by cohort", "Reduction R (%)",
                            assets / "reductions.png", level, lines)
    return {"src": f"{assets.name}/{path.name}", "alt": alt}


def render_statement(statement: dict, chart: dict | None = None) -> str:
    return TEMPLATES.get_template("statement.html.j2").render(s=statement, chart=chart)


def write_statement(statement: dict, out: Path, pdf: bool = True) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    statement = dict(statement)
    register = statement.pop("register", None)
    paths = {"json": out / "statement.json", "html": out / "statement.html"}
    if register is not None:
        paths["register"] = out / "register.csv"
        register.to_csv(paths["register"], index=False)
    assets = out / "charts"
    assets.mkdir(exist_ok=True)
    html = render_statement(statement, _chart(statement, assets))
    paths["html"].write_text(html, encoding="utf-8")
    paths["json"].write_text(json.dumps(statement, indent=2, default=str, sort_keys=True) + "\n", encoding="utf-8")
    if pdf:
        from weasyprint import HTML

        paths["pdf"] = out / "statement.pdf"
        HTML(string=html, base_url=str(out)).write_pdf(paths["pdf"])
    return paths
