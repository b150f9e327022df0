"""Render a report PDF to small PNG pages (for review): python scripts/report_pages.py REPORT.pdf OUT_DIR [DPI].

Used for test-artefacts/: the demo report and the non-significant (peer-mentoring) report, rebuilt from
the results.json files in tests/data/report by `python scripts/report_pages.py --rebuild`.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def render(pdf: Path, out: Path, dpi: int = 70) -> int:
    import pypdfium2 as pdfium

    out.mkdir(parents=True, exist_ok=True)
    doc = pdfium.PdfDocument(str(pdf))
    for i, page in enumerate(doc, start=1):
        page.render(scale=dpi / 72).to_pil().convert("P", palette=1, colors=64).save(out / f"page-{i:02d}.png",
                                                                                     optimize=True)
    return len(doc)


def rebuild(root: Path) -> None:
    import tempfile

    from justicelab.report.build import write_report

    data = root / "tests" / "data" / "report"
    for name, response in (("demo", None), ("peer_mentoring", None)):
        results = json.loads((data / f"{name}_results.json").read_text(encoding="utf-8"))
        folder = root / "test-artefacts" / f"report-{name.replace('_', '-')}"
        with tempfile.TemporaryDirectory() as tmp:
            paths = write_report(results, Path(tmp), response=response)
            for old in folder.glob("page-*.png"):
                old.unlink()
            pages = render(paths["pdf"], folder)
            (folder / "report.pdf").write_bytes(paths["pdf"].read_bytes())
        print(f"{name}: {pages} pages -> {folder}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--rebuild"]:
        rebuild(Path(__file__).resolve().parents[1])
    else:
        print(render(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 70), "pages")
