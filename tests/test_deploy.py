"""The deployment recipe (Dockerfile, compose.yaml): every command in them is a real justicelab command
with real options, the health endpoints they probe exist, and the settings they pass are read. (The image
is not built here: Docker is not part of the test environment.)"""
import json
import re
from pathlib import Path

import pytest
import typer
import yaml

from justicelab.cli import app

ROOT = Path(__file__).resolve().parent.parent


def parse(args: list[str]):
    """Parse `justicelab ARGS` as the CLI would, without running it (unknown options raise)."""
    command = typer.main.get_command(app)
    while hasattr(command, "commands"):  # a group (Typer's own copy of click)
        name, *args = args
        assert name in command.commands, f"no justicelab command {name}"
        command = command.commands[name]
    return command.make_context(name, list(args))


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_services_and_commands(compose, monkeypatch):
    services = compose["services"]
    assert set(services) == {"db", "migrate", "web", "worker"}
    assert services["db"]["image"].startswith("postgres:")
    monkeypatch.setenv("JUSTICELAB_STORE", "postgresql://u:p@db/j")
    for name in ("migrate", "web", "worker"):
        ctx = parse(services[name]["command"])
        assert ctx.params.get("store", "postgresql://u:p@db/j") == "postgresql://u:p@db/j"
    web = parse(services["web"]["command"])
    assert (web.params["host"], web.params["port"], web.params["workers"]) == ("0.0.0.0", 8000, 0)
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    read = (ROOT / "justicelab").rglob("*.py")
    source = "\n".join(p.read_text() for p in read)
    for service in ("web", "worker"):  # every JUSTICELAB_* setting the compose file passes is read by the code
        for key in services[service]["environment"]:
            if key.startswith("JUSTICELAB_"):
                assert f'"{key}"' in source, key


def test_parse_refuses_what_the_cli_refuses():
    with pytest.raises(Exception, match="no-such-option"):
        parse(["serve", "--db", "x", "--no-such-option"])
    with pytest.raises(AssertionError):
        parse(["service", "no-such-command"])


def test_dockerfile_commands():
    text = (ROOT / "Dockerfile").read_text()
    assert json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", text, re.M).group(1)) == ["justicelab"]
    ctx = parse(json.loads(re.search(r"^CMD (\[.*\])$", text, re.M).group(1)))
    assert ctx.params["host"] == "0.0.0.0"
    assert '".[postgres]"' in text and "/healthz" in text


def test_health_endpoints_exist():
    from justicelab.service.app import create_app
    from justicelab.service.jobs import Settings

    import tempfile

    from fastapi.testclient import TestClient

    with tempfile.TemporaryDirectory() as tmp:
        client = TestClient(create_app(f"sqlite:///{tmp}/s.db", Settings(Path(tmp) / "x.duckdb", Path(tmp) / "d")))
        assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200
