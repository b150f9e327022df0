"""The cluster code paths, on real servers started here: a Spark standalone master with one worker
(`--spark-master spark://`), and a Spark Connect server (`--spark-master sc://`). Each runs the CLI in its
own process, as an analyst would, and must give DuckDB's figures exactly.

The servers come from the PySpark install itself (bin/spark-class, bin/spark-submit), so nothing beyond
`scripts/install-java` is needed.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from justicelab.data.load import export_folder
from tests.fixtures import synthetic_db
from tests.linkage_lists import hard_list, plant_people

pytestmark = [pytest.mark.slow, pytest.mark.spark]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


@contextmanager
def _server(args: list[str], log: Path, ready: str, seconds: float = 120):
    """A Spark daemon in the foreground of its own process group; yields once its log says `ready`."""
    env = {**os.environ, "SPARK_HOME": str(_spark_home())}
    with open(log, "w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.time() + seconds
        while ready not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{args[1]} did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield proc
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(30)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    db = synthetic_db(tmp_path_factory, 20_000, 3)
    plant_people(db, seed=4)
    folder = db.parent / "parquet"
    export_folder(db, folder, "parquet")
    sub, _ = hard_list(db, rows=120, seed=1)
    listing = db.parent / "list.csv"
    sub.to_csv(listing, index=False)
    return db, folder, listing


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("standalone")
    spark_class = str(_spark_home() / "bin" / "spark-class")
    port = _free_port()
    master = [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
              "--webui-port", str(_free_port())]
    worker = [spark_class, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "2",
              "--memory", "4g", "--webui-port", str(_free_port()), "--work-dir", str(tmp / "work"),
              f"spark://127.0.0.1:{port}"]
    with _server(master, tmp / "master.log", "I have been elected leader"), \
            _server(worker, tmp / "worker.log", "Successfully registered with master"):
        yield f"spark://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def connect(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("connect")
    port = _free_port()
    server = [str(_spark_home() / "bin" / "spark-submit"), "--class",
              "org.apache.spark.sql.connect.service.SparkConnectServer", "--master", "local[2]",
              "--conf", f"spark.connect.grpc.binding.port={port}", "--conf", "spark.driver.memory=2g",
              "--conf", "spark.ui.enabled=false", "spark-internal"]
    with _server(server, tmp / "connect.log", "Spark Connect server started"):
        yield f"sc://127.0.0.1:{port}"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "justicelab.cli", *args], capture_output=True, text=True,
                          timeout=900)


def _stats(db: Path, *engine: str) -> dict:
    done = cli("stats", "--db", str(db), "--by", "region", "--json", *engine)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _links(listing: Path, db: Path, out: Path, *engine: str) -> pd.DataFrame:
    done = cli("link", str(listing), "--accept-errors", "--db", str(db), "--out", str(out), *engine)
    assert done.returncode == 0, done.stderr[-3000:]
    return pd.read_csv(out / "linkage.csv").set_index("row").sort_index()


def test_a_standalone_cluster_gives_duckdbs_statistics_and_links(data, standalone, tmp_path):
    db, parquet, listing = data
    on_cluster = ("--engine", "spark", "--spark-master", standalone)
    assert _stats(parquet, *on_cluster) == _stats(db)
    cluster = _links(listing, parquet, tmp_path / "cluster", *on_cluster)
    local = _links(listing, db, tmp_path / "duckdb")
    assert len(cluster) == 120 and (cluster["status"] == local["status"]).all()
    assert (cluster["person_id"].fillna(-1) == local["person_id"].fillna(-1)).all()
    assert (cluster["status"] == "linked").sum() > 60


def test_spark_connect_gives_duckdbs_statistics_and_refuses_linkage_in_one_line(data, connect, tmp_path):
    db, parquet, listing = data
    assert _stats(parquet, "--engine", "spark", "--spark-master", connect) == _stats(db)
    done = cli("link", str(listing), "--accept-errors", "--db", str(parquet), "--out", str(tmp_path / "l"),
               "--engine", "spark", "--spark-master", connect)
    assert done.returncode == 2
    assert "spark://" in done.stderr and "Traceback" not in done.stderr and "org.apache" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2, done.stderr  # one message (Rich may wrap it)


def test_a_connect_server_that_is_not_there_is_one_line_at_once(data):
    _, parquet, _ = data
    port = _free_port()  # nothing listens here
    started = time.time()
    done = cli("stats", "--db", str(parquet), "--engine", "spark", "--spark-master", f"sc://127.0.0.1:{port}")
    assert done.returncode == 2 and "cannot reach the Spark Connect server" in done.stderr
    assert time.time() - started < 60 and "Traceback" not in done.stderr

