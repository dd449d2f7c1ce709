"""The files in deploy/ agree with the bot they deploy: the compose file runs two bot
processes with the same settings, only settings that exist, in webhook mode on their own
PostgreSQL service, the second started once the first answers /healthz; the image and the
systemd unit run `main.py` as the README installs it; and the reverse proxy forwards the
webhook's path to every process's port, leaving out one whose /healthz fails. (No Docker
daemon here: .ci/run lints the Dockerfile with hadolint.)"""

from __future__ import annotations

import asyncio
import configparser
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
import yaml

from bot.settings import Settings
from bot.webhook import WebhookServer
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTING_NAMES = {name.upper() for name in Settings.model_fields}
# ${NAME}, ${NAME:-default}, ${NAME:?error}: compose's interpolation.
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def bot_services() -> dict[str, dict]:
    """The compose file's services that run the bot: those built from deploy/Dockerfile."""
    services = compose()["services"]
    return {
        name: service
        for name, service in services.items()
        if service.get("build", {}).get("dockerfile") == "deploy/Dockerfile"
    }


def published(service: dict) -> dict[str, str]:
    """A service's published ports: host address (host:port) -> the container's port."""
    return {entry.rsplit(":", 1)[0]: entry.rsplit(":", 1)[1] for entry in service["ports"]}


def caddy_upstreams() -> tuple[str, list[str], str]:
    """The Caddyfile's webhook route: its path, the upstreams it sends to, and its
    reverse_proxy block's options."""
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    route = re.search(r"handle (/\S*) \{\s*reverse_proxy ([^{\n]+?)\s*\{(.*?)\n\t\t\}", caddy, re.S)
    assert route, "a handle <path> { reverse_proxy host:port... { options } } block"
    path, upstreams, options = route.groups()
    return path, upstreams.split(), options


def interpolate(text: str, values: dict[str, str]) -> str:
    return INTERPOLATION.sub(lambda match: values[match.group(1)], text)


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((DEPLOY / "cfdi-bot.service").read_text(encoding="utf-8"))
    return parser


def readme_install_target() -> str:
    """What the README's first command installs with pip (`.` for `pip install -q -e .`)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"pip install ([^&\n]*)&&", readme)
    assert command, "the README's install command"
    args = [arg for arg in shlex.split(command.group(1)) if not arg.startswith("-")]
    return args[0]


def test_compose_hands_the_bot_only_settings_that_exist() -> None:
    for name, bot in bot_services().items():
        unknown = set(bot["environment"]) - SETTING_NAMES
        assert not unknown, f"{name}: not settings of bot/settings.py: {sorted(unknown)}"
        assert (DEPLOY / bot["env_file"]).resolve() == ROOT / ".env"


def test_compose_runs_two_bot_processes_with_the_same_settings_each_on_its_own_port() -> None:
    bots = bot_services()
    assert len(bots) >= 2, "two processes at least"
    first, *others = bots.values()
    for other in others:
        # One image, one .env (the same token, WEBHOOK_URL, WEBHOOK_SECRET, key), the same
        # overrides: only the published port differs.
        for key in ("build", "image", "env_file", "environment", "volumes", "restart"):
            assert other[key] == first[key], key
    ports = [address for bot in bots.values() for address in published(bot)]
    assert len(set(ports)) == len(ports), "a host port of its own for each process"
    assert all(address.startswith("127.0.0.1:") for address in ports), "for the proxy only"
    for bot in bots.values():
        environment = bot["environment"]
        # Reachable through the container's published port, not only from inside it.
        assert environment["WEBHOOK_LISTEN"] == "0.0.0.0"
        assert set(published(bot).values()) == {environment["WEBHOOK_PORT"]}
        # A stopping process is given time to hand its updates over before SIGKILL.
        assert bot["stop_grace_period"]


def test_compose_points_every_bot_process_at_its_own_postgres_service() -> None:
    services = compose()["services"]
    postgres = services["postgres"]["environment"]
    password = "a-password-from-env"
    values = {"POSTGRES_PASSWORD": password}
    for bot in bot_services().values():
        url = interpolate(bot["environment"]["DATABASE_URL"], values)
        settings = Settings(_env_file=None, database_url=url)
        # Several processes share PostgreSQL; SQLite is one process.
        assert not settings.is_sqlite
        parts = urlsplit(settings.database_url)
        assert parts.scheme == "postgresql+asyncpg"
        assert parts.hostname in services
        assert services[parts.hostname]["image"].startswith("postgres:")
        assert parts.username == postgres["POSTGRES_USER"]
        assert parts.password == interpolate(postgres["POSTGRES_PASSWORD"], values)
        assert parts.path.lstrip("/") == postgres["POSTGRES_DB"]


def test_the_bot_starts_once_postgres_is_healthy_and_its_data_outlives_the_container() -> None:
    spec = compose()
    postgres = spec["services"]["postgres"]
    for bot in bot_services().values():
        assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = next(v for v in postgres["volumes"] if v.endswith(":/var/lib/postgresql/data"))
    assert volume.split(":")[0] in spec["volumes"], "a named volume, declared"


def test_every_variable_the_compose_file_reads_is_explained_in_env_example() -> None:
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    missing = {
        name
        for name in INTERPOLATION.findall(text)
        if not re.search(rf"^#? ?{name}=", example, re.MULTILINE)
    }
    assert not missing, f"not in .env.example: {sorted(missing)}"


def test_the_image_installs_as_the_readme_says_and_runs_main_py_as_a_plain_user() -> None:
    instructions = dockerfile()
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    install = re.search(r"pip install ([^&]*)", runs)
    assert install
    targets = [arg for arg in shlex.split(install.group(1)) if not arg.startswith("-")]
    assert targets == [readme_install_target()]
    commands = [rest for keyword, rest in instructions if keyword == "CMD"]
    assert json.loads(commands[-1]) == ["python", "main.py"]
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert [keyword for keyword, _ in instructions].index("USER") < len(instructions) - 1


def test_the_image_copies_every_package_but_no_secret() -> None:
    copied: set[str] = set()
    for keyword, rest in dockerfile():
        if keyword in ("COPY", "ADD"):
            copied |= {source.rstrip("/") for source in shlex.split(rest)[:-1]}
    assert not {".", ".env", "var"} & copied
    include = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = include["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in patterns if "." not in pattern}
    assert packages - copied == set(), "packages pyproject.toml installs"
    assert {"pyproject.toml", "main.py"} <= copied


def test_the_systemd_unit_runs_main_py_from_the_checkouts_virtualenv() -> None:
    service = unit()["Service"]
    folder = service["WorkingDirectory"]
    assert folder.startswith("/")
    assert service["ExecStart"] == f"{folder}/.venv/bin/python main.py"
    assert service["Restart"] == "always"
    assert service["KillSignal"] == "SIGTERM"
    assert service["User"] not in ("", "root", "0")
    assert service["EnvironmentFile"].startswith("/")


def test_the_systemd_unit_is_hardened_but_may_write_its_var_folder() -> None:
    service = unit()["Service"]
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    writable = service["ReadWritePaths"].split()
    assert f"{service['WorkingDirectory']}/var" in writable


def test_the_reverse_proxy_forwards_the_webhook_path_to_every_bot_process() -> None:
    path, upstreams, options = caddy_upstreams()
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    webhook_url = re.search(r"^# WEBHOOK_URL=(\S+)", example, re.MULTILINE)
    assert webhook_url
    assert urlsplit(webhook_url.group(1)).path == path
    addresses = {address for bot in bot_services().values() for address in published(bot)}
    assert set(upstreams) == addresses, "each process the compose file runs, and only those"
    assert len(upstreams) == len(set(upstreams))
    # A process that is stopping or has died is left out, and a request that finds one
    # gone is tried on another.
    assert re.search(r"^\s*health_uri /healthz$", options, re.MULTILINE)
    assert re.search(r"^\s*lb_try_duration [1-9]\d*s$", options, re.MULTILINE)


def test_the_second_process_starts_once_the_first_answers_healthz() -> None:
    # Every process runs the migrations at start: one at a time.
    bots = bot_services()
    first, *others = bots
    for other in others:
        assert bots[other]["depends_on"][first]["condition"] == "service_healthy"
    for bot in bots.values():
        command = bot["healthcheck"]["test"]
        assert command[:3] == ["CMD", "python", "-c"]
        url = re.search(r"http://127\.0\.0\.1:(\d+)(/\S*?)'", command[3])
        assert url, "the healthcheck asks the webhook server"
        assert url.group(1) == bot["environment"]["WEBHOOK_PORT"]
        assert url.group(2) == "/healthz"


class _Application:
    bot = None


async def _serve_healthz(state: dict[str, str]) -> tuple[WebhookServer, int]:
    async def healthy() -> dict[str, str]:
        return state

    async def receive(updates: object) -> bool:
        return True

    server = WebhookServer(
        cast(Any, _Application()),
        path="telegram",
        secret="s" * 32,
        healthy=healthy,
        receive=cast(Any, receive),
    )
    port = free_port()
    await server.start(host="127.0.0.1", port=port)
    return server, port


async def _healthcheck_exit(port: int, *, webhook: bool) -> int:
    """Run the compose file's healthcheck as Docker would, against a bot on `port`."""
    bot = next(iter(bot_services().values()))
    command = bot["healthcheck"]["test"][3]
    address = f"127.0.0.1:{bot['environment']['WEBHOOK_PORT']}"
    assert address in command
    command = command.replace(address, f"127.0.0.1:{port}")
    environment = {key: value for key, value in os.environ.items() if key != "WEBHOOK_URL"}
    if webhook:
        environment["WEBHOOK_URL"] = "https://bot.example.com/telegram"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        command,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return await process.wait()


@pytest.mark.parametrize(
    ("state", "healthy"),
    [
        ({"database": "ok", "bot": "running"}, True),
        ({"database": "not reachable", "bot": "running"}, False),
        ({"database": "ok", "bot": "stopped"}, False),
    ],
)
async def test_the_compose_healthcheck_passes_only_while_the_bots_healthz_does(
    state: dict[str, str], healthy: bool
) -> None:
    server, port = await _serve_healthz(state)
    try:
        assert (await _healthcheck_exit(port, webhook=True) == 0) is healthy
    finally:
        await server.stop()


async def test_the_compose_healthcheck_fails_while_nothing_listens_but_not_under_polling() -> None:
    port = free_port()
    assert await _healthcheck_exit(port, webhook=True) != 0
    # Long polling serves no /healthz: a running process is all there is to check.
    assert await _healthcheck_exit(port, webhook=False) == 0


def test_the_postgres_service_allows_the_connections_of_every_bot_process() -> None:
    # Each process: SQLAlchemy's pool (5 + 10 overflow) and a lock pool of one connection
    # per update in hand; PostgreSQL allows 100 unless its command says otherwise.
    from bot.processor import MAX_CONCURRENT_UPDATES

    per_process = 5 + 10 + MAX_CONCURRENT_UPDATES
    postgres = compose()["services"]["postgres"]
    command = postgres.get("command", "")
    allowed = re.search(r"max_connections=(\d+)", command)
    max_connections = int(allowed.group(1)) if allowed else 100
    assert len(bot_services()) * per_process <= max_connections


def test_the_deployment_notes_say_how_to_scale_and_roll_an_upgrade() -> None:
    from bot.processor import MAX_CONCURRENT_UPDATES

    text = (ROOT / "docs/deploy.md").read_text(encoding="utf-8")
    assert "## Scaling" in text
    per_process = 5 + 10 + MAX_CONCURRENT_UPDATES
    assert f"up to {per_process} connections" in text
    assert "max_connections" in text
    # The rolling upgrade's commands name the compose file's services, one at a time.
    for name in bot_services():
        assert re.search(rf"up -d --no-deps --wait {re.escape(name)}$", text, re.MULTILINE)
    assert "/healthz" in text


@pytest.mark.parametrize("document", ["docs/deploy.md", "deploy/Caddyfile"])
def test_the_deployment_notes_set_only_settings_that_exist(document: str) -> None:
    text = (ROOT / document).read_text(encoding="utf-8")
    compose_variables = set(
        INTERPOLATION.findall((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    )
    assigned = set(re.findall(r"^[#\s]*([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))
    unknown = assigned - SETTING_NAMES - compose_variables
    assert assigned and not unknown, f"not settings: {sorted(unknown)}"
