"""`instap run`: the whole suite on one origin for development, with a Redis it starts itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Response

from shared.components import services, workers
from shared.config import load_settings


def create_suite_app() -> Callable[..., Iterable[bytes]]:
    """One WSGI app serving every service under its prefix (/intake, /matching, ...)."""
    settings = load_settings()
    apps = {f"/{c.name}": c.create_app(settings) for c in services()}

    def suite(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        for prefix, app in apps.items():
            if path == prefix or path.startswith(prefix + "/"):
                return app(environ, start_response)
        if path == "/":
            return Response(status=302, headers={"Location": "/intake/"})(environ, start_response)
        return Response("Not Found", status=404)(environ, start_response)

    return suite


def _banner(url: str, logins: str) -> str:
    line = "=" * 72
    return (f"\n{line}\n  Instap draait / Instap is running: {url}\n"
            f"  API-documentatie: {url}intake/api/docs\n\n"
            "  Demo-accounts (alleen voor ontwikkeling / dev only):\n"
            f"{logins}\n  Stoppen / stop: Ctrl-C\n{line}\n")


def run_suite(*, host: str, port: int, seed_demo: bool) -> int:
    from shared.cli import migrate_all
    from shared.localservers import start_redis

    settings = load_settings()
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("INSTAP_DATA_DIR", str(data_dir))
    redis_server = None
    if not settings.redis_url:
        redis_server = start_redis(data_dir / "redis", persist=True)
        env["REDIS_URL"] = redis_server.url
        os.environ["REDIS_URL"] = redis_server.url
        print(f"Redis gestart op {redis_server.url}", flush=True)
    settings = load_settings()
    migrate_all(settings)
    logins = ""
    if seed_demo:
        from shared.demo import seed

        print(seed(settings), flush=True)
        logins_file = data_dir / "demo-logins.txt"
        logins = logins_file.read_text() if logins_file.exists() else ""
    bin_dir = Path(sys.executable).parent
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for comp in workers():
            procs.append(subprocess.Popen([str(bin_dir / "instap"), "worker", comp.name], env=env))
        procs.append(subprocess.Popen([
            str(bin_dir / "gunicorn"), "--bind", f"{host}:{port}", "--workers", "2",
            "--threads", "4", "--access-logfile", "-", "--graceful-timeout", "5",
            "shared.devserver:create_suite_app()"], env=env))
        time.sleep(1.5)
        print(_banner(f"http://{host}:{port}/", logins), flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        print("Een onderdeel is gestopt; alles wordt afgesloten.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nAfsluiten…", flush=True)
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
        if redis_server is not None:
            redis_server.stop()
