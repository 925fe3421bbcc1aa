"""`instap run`: the whole suite on one origin for development, with a Redis it starts itself."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Response

from shared.components import services, workers
from shared.config import load_settings
from shared.peers import link_apps


def create_suite_app() -> Callable[..., Iterable[bytes]]:
    """One WSGI app serving every service under its prefix (/intake, /matching, ...)."""
    settings = load_settings()
    apps = {f"/{c.name}": c.create_app(settings) for c in services()}
    link_apps(*apps.values())  # pages that need another service's data ask it in-process

    def suite(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        for prefix, app in apps.items():
            if path == prefix or path.startswith(prefix + "/"):
                return app(environ, start_response)
        if path == "/":
            return Response(status=302, headers={"Location": "/intake/"})(environ, start_response)
        # Any other path (a service not installed here, a typo): the first service's Dutch,
        # styled "Niet gevonden" page with the person's own menu (shared/app.py).
        first = next(iter(apps.values()))
        return first(environ, start_response)

    return suite


def _banner(url: str, logins: str) -> str:
    line = "=" * 72
    return (
        f"\n{line}\n  Instap draait / Instap is running: {url}\n"
        f"  API-documentatie: {url}intake/api/docs\n\n"
        "  Demo-accounts (alleen voor ontwikkeling / dev only):\n"
        f"{logins}\n  Stoppen / stop: Ctrl-C\n{line}\n"
    )


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via http_proxy


def _answers(url: str) -> bool:
    """True once the web app itself answers (gunicorn listens before its workers are booted)."""
    try:
        with _DIRECT.open(url, timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):  # refused, timed out, an HTTP error status, a bad host
        return False


def _stop_processes(procs: list[subprocess.Popen[bytes]], timeout: float = 10.0) -> None:
    """SIGTERM each child, wait for all of them, then SIGKILL whatever is left of its group.

    Each child leads its own process group, so the group also holds what the child started
    (gunicorn's workers, RQ's scheduler); nothing outlives `instap run`.
    """
    for p in procs:
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting, kill the rest
            deadline = time.monotonic()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=5)


def run_suite(*, host: str, port: int, seed_demo: bool, residents: int = 300) -> int:
    """Run the suite until Ctrl-C, SIGTERM or SIGHUP; every process it started is stopped."""
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return _run_suite(host=host, port=port, seed_demo=seed_demo, residents=residents)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on (host, port), so gunicorn could not bind it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # The same option gunicorn sets: a port left in TIME_WAIT by a stopped suite is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def port_taken_message(host: str, port: int) -> str:
    return (
        f"Poort {port} op {host} is al in gebruik (door een ander programma, of een Instap die al draait).\n"
        f"Kies een andere poort: .venv/bin/instap run --port {port + 1}   (of: make run PORT={port + 1})\n"
        f"Port {port} on {host} is already in use; choose another one with --port."
    )


def _run_suite(*, host: str, port: int, seed_demo: bool, residents: int) -> int:
    from shared.cli import migrate_all
    from shared.localservers import start_redis

    if port_in_use(host, port):
        # Before Redis, migrations and demo data: say so at once instead of failing later.
        print(port_taken_message(host, port), file=sys.stderr, flush=True)
        return 2
    # Links that leave the page (a certificate's verification URL, its QR code) name the port
    # this suite really listens on, unless an operator set the public address.
    if not os.environ.get("INSTAP_PUBLIC_URL"):
        try:
            unspecified = ipaddress.ip_address(host).is_unspecified  # all interfaces
        except ValueError:
            unspecified = not host
        shown_host = "127.0.0.1" if unspecified else host
        os.environ["INSTAP_PUBLIC_URL"] = f"http://{shown_host}:{port}"
    settings = load_settings()
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("INSTAP_DATA_DIR", str(data_dir))
    # On a developer's terminal the banner (where to go, how to log in) must not drown in
    # thousands of INFO lines from the workers replaying the demo's events: warnings and errors
    # only, unless INSTAP_LOG_LEVEL says otherwise. Production logs stay at INFO (config.py).
    env.setdefault("INSTAP_LOG_LEVEL", "WARNING")
    redis_server = None
    procs: list[subprocess.Popen[bytes]] = []
    try:
        if not settings.redis_url:
            redis_server = start_redis(data_dir / "redis", persist=True)
            env["REDIS_URL"] = redis_server.url
            os.environ["REDIS_URL"] = redis_server.url
            print(f"Redis gestart op {redis_server.url}", flush=True)
        settings = load_settings()
        migrate_all(settings)
        # The key that signs certificates (issue 9): made once in var/keys (git-ignored), before
        # the web workers start, so they all share it. `instap credential rotate-key` replaces it.
        from services.matching.credentials import KeyStore

        keys = KeyStore(settings.credential_key_dir())
        keys.signing_key()
        print(f"Sleutel voor certificaten: {keys.jwks()['keys'][0]['kid']} in {keys.directory}", flush=True)
        logins = ""
        if seed_demo:
            from shared.demo import seed

            print(seed(settings, residents=residents), flush=True)
            logins_file = data_dir / "demo-logins.txt"
            logins = logins_file.read_text() if logins_file.exists() else ""
        bin_dir = Path(sys.executable).parent
        # Own process group per child: Ctrl-C reaches only this supervisor, which stops each
        # child once (a second signal would make RQ abandon a running job) and Redis last.
        procs.append(
            subprocess.Popen(
                [
                    str(bin_dir / "gunicorn"),
                    "--bind",
                    f"{host}:{port}",
                    "--workers",
                    "2",
                    "--threads",
                    "4",
                    "--access-logfile",
                    "-",
                    "--graceful-timeout",
                    "5",
                    # No control socket: its default path in $HOME is shared by every gunicorn, so a
                    # second suite (tests, another checkout) would take it over and delete it.
                    "--no-control-socket",
                    "shared.devserver:create_suite_app()",
                ],
                env=env,
                process_group=0,
            )
        )
        health = f"http://{f'[{host}]' if ':' in host else host}:{port}/intake/healthz"
        deadline = time.monotonic() + 60
        while not _answers(health) and time.monotonic() < deadline:
            if not all(p.poll() is None for p in procs):
                break
            time.sleep(0.2)
        # The workers after the web server has booted: they start by working off the demo's
        # backlog (thousands of events, the queued match runs, last month's report pack), which
        # on a small machine kept the web workers from booting: the banner came 8 s later.
        for comp in workers():
            procs.append(
                subprocess.Popen([str(bin_dir / "instap"), "worker", comp.name], env=env, process_group=0)
            )
        if all(p.poll() is None for p in procs):
            print(_banner(f"http://{host}:{port}/", logins), flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        print("Een onderdeel is gestopt; alles wordt afgesloten.", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("\nAfsluiten…", flush=True)
        return 0
    finally:
        _stop_processes(procs)
        if redis_server is not None:
            redis_server.stop()
