"""Provenance for an installed package: a copy outside any git checkout still names its exact code."""
import shutil
import subprocess
import sys
from pathlib import Path

import justicelab
from justicelab import provenance


def test_installed_copy_records_version_and_build(tmp_path):
    src = Path(justicelab.__file__).parent
    shutil.copytree(src, tmp_path / "justicelab", ignore=shutil.ignore_patterns("__pycache__", "data"))
    out = subprocess.run([sys.executable, "-c", "from justicelab.provenance import code_version, build_id; "
                          "print(code_version()); print(build_id())"], cwd=tmp_path, capture_output=True,
                         text=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)}, check=True)
    version, build = out.stdout.split("\n")[:2]
    assert "not a git checkout" not in version and f"justicelab {justicelab.__version__}" in version
    assert "git" not in version and len(build) == 12 and f"build {build}" in version
    # a changed file changes the build id
    (tmp_path / "justicelab" / "report" / "wording.py").write_text("# changed\n", encoding="utf-8")
    again = subprocess.run([sys.executable, "-c", "from justicelab.provenance import build_id; print(build_id())"],
                           cwd=tmp_path, capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)}, check=True).stdout.strip()
    assert again != build


def test_checkout_adds_the_commit():
    assert provenance.code_version().startswith(f"justicelab {justicelab.__version__}, build {provenance.build_id()}")
