"""The files in deploy/ agree with the bot they deploy: the compose file hands it only
settings that exist and a database that is its own PostgreSQL service, the image and the
systemd unit run `main.py` as the README installs it, and the reverse proxy forwards the
webhook's path to the port the bot listens on. (No Docker daemon here: .ci/run lints the
Dockerfile with hadolint.)"""

from __future__ import annotations

import configparser
import json
import re
import shlex
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTING_NAMES = {name.upper() for name in Settings.model_fields}
# ${NAME}, ${NAME:-default}, ${NAME:?error}: compose's interpolation.
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


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
    bot = compose()["services"]["bot"]
    unknown = set(bot["environment"]) - SETTING_NAMES
    assert not unknown, f"not settings of bot/settings.py: {sorted(unknown)}"
    assert (DEPLOY / bot["env_file"]).resolve() == ROOT / ".env"


def test_compose_points_the_bot_at_its_own_postgres_service() -> None:
    services = compose()["services"]
    postgres = services["postgres"]["environment"]
    password = "a-password-from-env"
    values = {"POSTGRES_PASSWORD": password}
    url = interpolate(services["bot"]["environment"]["DATABASE_URL"], values)
    settings = Settings(_env_file=None, database_url=url)
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
    assert spec["services"]["bot"]["depends_on"]["postgres"]["condition"] == "service_healthy"
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


def test_the_reverse_proxy_forwards_the_webhook_path_to_the_bots_port() -> None:
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    route = re.search(r"handle (/\S*) \{\s*reverse_proxy (\S+):(\d+)", caddy)
    assert route, "a handle <path> { reverse_proxy host:port } block"
    path, host, port = route.groups()
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    webhook_url = re.search(r"^# WEBHOOK_URL=(\S+)", example, re.MULTILINE)
    assert webhook_url
    assert urlsplit(webhook_url.group(1)).path == path
    bot = compose()["services"]["bot"]
    published = {entry.rsplit(":", 1)[0]: entry.rsplit(":", 1)[1] for entry in bot["ports"]}
    assert published[f"{host}:{port}"] == bot["environment"]["WEBHOOK_PORT"]


@pytest.mark.parametrize("document", ["docs/deploy.md", "deploy/Caddyfile"])
def test_the_deployment_notes_set_only_settings_that_exist(document: str) -> None:
    text = (ROOT / document).read_text(encoding="utf-8")
    compose_variables = set(
        INTERPOLATION.findall((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    )
    assigned = set(re.findall(r"^[#\s]*([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))
    unknown = assigned - SETTING_NAMES - compose_variables
    assert assigned and not unknown, f"not settings: {sorted(unknown)}"
