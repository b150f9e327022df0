"""A throwaway PostgreSQL cluster for tests: initdb + pg_ctl under a temporary folder, on a free loopback
port, torn down afterwards. As root (initdb refuses root) the server runs as the `postgres` user that
Debian's package creates. Needs scripts/install-postgres."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise RuntimeError("PostgreSQL is needed for the postgres suite: run scripts/install-postgres")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def cluster():
    """Yields a URL prefix `postgresql://postgres@127.0.0.1:PORT/`; a database name completes it."""
    folder = Path(tempfile.mkdtemp(prefix="justicelab-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    run = lambda *cmd: subprocess.run([*as_user, *cmd], check=True, capture_output=True, text=True)  # noqa: E731
    try:
        run(_binary("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        run(_binary("pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
            f"-h 127.0.0.1 -p {port} -k {folder} -F -c max_connections=100", "start")
        yield f"postgresql://postgres@127.0.0.1:{port}/"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*as_user, _binary("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def new_database(prefix: str) -> str:
    """A fresh, empty database on the cluster; returns its URL."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(prefix + "postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return prefix + name
