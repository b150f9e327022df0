"""What every report and statement records so it can be reproduced: code version and input hashes."""
from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path


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


def code_version() -> str:
    """The git commit of the running code (short), or a note that it is not a checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or "not a git checkout"
    except (OSError, subprocess.SubprocessError):
        return "not a git checkout"
