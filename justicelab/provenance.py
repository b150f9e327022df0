"""What every report and statement records so it can be reproduced: code version and input hashes."""
from __future__ import annotations

import functools
import hashlib
import subprocess
from pathlib import Path

from . import __version__


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files in name order (a Parquet export)."""
    h = hashlib.sha256()
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    for f in files:
        if f.is_file():
            with f.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 22), b""):
                    h.update(block)
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def build_id() -> str:
    """SHA-256 (first 12 hex digits) of the package's own source files and templates: identifies the
    exact code of an installed package, where there is no git checkout to ask."""
    root = Path(__file__).parent
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.is_file() and f.suffix in (".py", ".j2", ".sql", ".yaml", ".json") and "__pycache__" not in f.parts:
            h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def _git_commit() -> str | None:
    here = Path(__file__).parent
    try:
        tracked = subprocess.run(["git", "ls-files", "--error-unmatch", Path(__file__).name], cwd=here,
                                 capture_output=True, text=True, timeout=5)
        if tracked.returncode != 0:
            return None  # an installed copy that happens to sit inside some other repository
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True,
                             timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "."], cwd=here,
                               capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return (commit + ("-modified" if dirty.stdout.strip() else "")) if commit else None


def code_version() -> str:
    """'justicelab 0.1.0, build 3f2a...' plus the git commit when running from a checkout."""
    commit = _git_commit()
    return f"justicelab {__version__}, build {build_id()}" + (f", git {commit}" if commit else "")
