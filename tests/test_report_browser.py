"""The HTML report in headless Chromium: it renders, and the screenshot is kept as a test artefact."""
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures import chromium_path, synthetic_db

ARTEFACTS = Path(__file__).resolve().parent.parent / "test-artefacts"


@pytest.mark.browser
def test_report_screenshot_in_chromium(tmp_path_factory, tmp_path):
    chromium = chromium_path()
    from PIL import Image

    from justicelab.analysis.config import AnalysisConfig
    from justicelab.analysis.run import analyse
    from justicelab.data.synth.submission import write_submission
    from justicelab.report.build import write_report

    db = synthetic_db(tmp_path_factory, 200_000, 41)
    paths = write_submission(db, "link-worker", tmp_path / "submission.csv", seed=3)
    report = write_report(analyse(paths["submission"], db, AnalysisConfig()), tmp_path / "report", pdf=False)
    ARTEFACTS.mkdir(exist_ok=True)
    shot = ARTEFACTS / "report_screenshot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", "--window-size=1200,2400",
                    f"--screenshot={shot}", report["html"].as_uri()], check=True, timeout=120,
                   capture_output=True)
    image = np.asarray(Image.open(shot).convert("L"))
    assert image.shape == (2400, 1200)
    assert image.std() > 20, "the page rendered text and charts, not a blank screen"
    assert (image < 100).mean() > 0.005, "dark text is present"
