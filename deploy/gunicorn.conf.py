"""Gunicorn settings for the Instap web containers, read from the environment at start-up."""

import json
import os
from datetime import UTC, datetime

from gunicorn.glogging import Logger

from shared.validators import contains_bsn


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").split(",")
# Sync workers: the apps are I/O-light and synchronous; scale with CPUs but cap per container
# (more containers, not more workers, is how this scales out).
workers = _int_env("GUNICORN_WORKERS", min(2 * (os.cpu_count() or 1) + 1, 8))
threads = _int_env("GUNICORN_THREADS", 1)
timeout = _int_env("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int_env("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Recycle workers now and then so a slow leak never takes a container down. The jitter spreads
# the restarts: with a tenth of max_requests, the five workers (sharing the traffic evenly)
# restarted within seconds of each other and p99 jumped from 25 to 553 ms (issue 12); with half,
# they restart minutes apart, never more than one at a time under even traffic.
max_requests = _int_env("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int_env("GUNICORN_MAX_REQUESTS_JITTER", max_requests // 2)
# The app is imported once, in the master, and each worker is a fork of it (copy-on-write). A
# worker then starts in milliseconds instead of about 2 s of CPU for its imports, which under
# steady load came to a quarter of the bare benchmark app's CPU per request with the recycling
# above (issue 12, docs/benchmarks.md). `post_fork` below gives each worker its own database
# and Redis connections. A new version of the code needs a new master (a new container, as
# every deploy here is), not `kill -HUP`. GUNICORN_PRELOAD=false imports in each worker again.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").strip().lower() not in ("0", "false", "no")
# Heartbeat files in memory: /tmp may be a slow overlay filesystem in containers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - not a temp file

# Only nginx reaches the web containers (they publish no port), so its X-Forwarded-* headers
# are trusted from the addresses named here; "*" is right only on such a private network.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

loglevel = os.environ.get("INSTAP_LOG_LEVEL", "info").lower()
errorlog = "-"
accesslog = "-"


def _response_header(resp, name: str) -> str:
    for key, value in getattr(resp, "headers", None) or ():
        if key.lower() == name.lower():
            return value
    return ""


class JsonAccessLogger(Logger):
    """One JSON object per request on stdout.

    The query string is left out on purpose: search parameters can hold personal data. A path
    with a BSN in it is not written either, and the request id is the one the app chose (it
    refuses a caller's id that is not a plain id or holds a BSN: shared/logs.py).
    """

    def access(self, resp, req, environ, request_time):
        if not self.cfg.accesslog:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        record = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "log": "access",
            "method": atoms["m"],
            "path": "(weggelaten: BSN)" if contains_bsn(atoms["U"]) else atoms["U"],
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": atoms["M"],
            "remote": environ.get("HTTP_X_REAL_IP") or atoms["h"],
            "request_id": _response_header(resp, "X-Request-ID"),
            "user_agent": atoms["a"],
        }
        try:
            self.access_log.info(json.dumps(record, default=str))
        except Exception:  # a log line must never fail a request
            self.exception("failed to write access log")


logger_class = JsonAccessLogger


def on_starting(server):
    """Empty the Prometheus multiprocess directory: files left by an earlier run of this
    container would otherwise be added to this run's counters."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if path:
        os.makedirs(path, exist_ok=True)
        for name in os.listdir(path):
            if name.endswith(".db"):
                os.unlink(os.path.join(path, name))


def post_fork(server, worker):
    """A worker forked from a master that imported the app (`preload_app`): no connection of the
    master's pools may be shared with it (shared/runtime.py, ServiceContext.after_fork)."""
    app = getattr(server.app, "callable", None)
    context = getattr(app, "extensions", {}).get("instap")
    if context is not None:
        context.after_fork()


def child_exit(server, worker):
    """Tell prometheus_client a gunicorn worker is gone (its counters stay in the totals)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
