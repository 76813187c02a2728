"""A throw-away PostgreSQL server for the tests' PostgreSQL lane, started from pip alone.

The server binaries come from the `pgserver` wheel (a dev dependency: PostgreSQL 16 inside a
wheel); failing that, from a PostgreSQL installed on the machine (`pg_ctl` on PATH, or Debian's
/usr/lib/postgresql/*/bin). The server lives in a temporary folder, listens on a Unix socket only
(no TCP port, so parallel test runs never collide), and is tuned for speed, not durability
(fsync off): it is for tests only. PostgreSQL refuses to run as root, so under root (as on CI) it
runs as the unprivileged `nobody`.

Each test gets its own database, created from a template that is already migrated to head; the
tests of migrations themselves start from an empty database instead.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import itertools
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

TEMPLATE = "solidarity_head"
UNPRIVILEGED_USER = "nobody"
# Durability traded for speed: this server's data is thrown away after the run.
SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=300 -c shared_buffers=32MB"
)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries could be found (the lane is then skipped with this reason)."""


def find_binaries() -> Path:
    """The folder holding initdb, pg_ctl and pg_dump."""
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.submodule_search_locations:
        bindir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
        if (bindir / "pg_ctl").exists():
            return bindir
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if debian:
        return debian[-1].parent
    raise PostgresUnavailable(
        "no PostgreSQL server binaries: `pip install pgserver` (a dev dependency of this "
        "project, wheels for Python 3.9-3.12) or install PostgreSQL (pg_ctl on PATH)"
    )


def _usable_by_others(install: Path) -> bool:
    """Whether a user other than the owner may reach and read every file of `install`."""
    if not all(folder.stat().st_mode & stat.S_IXOTH for folder in install.parents):
        return False
    for folder, _dirs, files in os.walk(install):
        if not Path(folder).stat().st_mode & stat.S_IXOTH:
            return False
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink() and not path.stat().st_mode & stat.S_IROTH:
                return False
    return True


def _open_to_others(tree: Path) -> None:
    for folder, _dirs, files in os.walk(tree):
        os.chmod(folder, 0o755)  # noqa: S103 - programs, no secrets
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o444)


@dataclass
class PostgresServer:
    """A running server: `url(name)` addresses one of its databases."""

    bindir: Path
    root: Path
    user: pwd.struct_passwd | None
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def socket_dir(self) -> Path:
        return self.root

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@/{database}?host={self.socket_dir}"

    def next_name(self) -> str:
        return f"test_{os.getpid()}_{next(self.counter)}"

    def _run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        return subprocess.run(  # noqa: S603 - our own binaries and arguments
            [str(a) for a in args],
            cwd=self.root,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
            **kwargs,  # type: ignore[call-overload]
        )

    def start(self) -> None:
        data = self.root / "data"
        self._run(
            self.bindir / "initdb",
            "-D",
            data,
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        self._run(
            self.bindir / "pg_ctl",
            "-D",
            data,
            "-w",
            "-l",
            self.root / "server.log",
            "-o",
            f"-h '' -k {self.socket_dir} {SERVER_OPTIONS}",
            "start",
        )

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._run(self.bindir / "pg_ctl", "-D", self.root / "data", "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> PostgresServer:
    """Start a server in a fresh temporary folder; it is stopped and removed at exit."""
    bindir = find_binaries()
    # A short path: the socket's full name must fit in 107 bytes.
    root = Path(tempfile.mkdtemp(prefix="solidarity-pg-", dir="/tmp"))
    user = None
    if os.geteuid() == 0:
        user = pwd.getpwnam(UNPRIVILEGED_USER)
        os.chown(root, user.pw_uid, user.pw_gid)
        # The wheel's programs find their libraries at $ORIGIN/../../../pgserver.libs.
        libs = bindir.parents[2] / "pgserver.libs"
        parts = [bindir.parent, *([libs] if libs.is_dir() else [])]
        if not all(_usable_by_others(part) for part in parts):
            # The unprivileged user cannot reach the programs where pip put them: a copy can.
            copy = root / "pg"
            for part in parts:
                target = copy / part.name if part == libs else copy / "pkg" / part.name
                shutil.copytree(part, target, symlinks=True)
            _open_to_others(copy)
            bindir = copy / "pkg" / bindir.parent.name / bindir.name
    server = PostgresServer(bindir=bindir, root=root, user=user)
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        log = root / "server.log"
        detail = (exc.stderr or "").strip() or (log.read_text() if log.exists() else "")
        server.stop()
        # Binaries that are there but do not start are a failure, not a reason to skip.
        raise RuntimeError(f"the test PostgreSQL server did not start: {detail}") from None
    atexit.register(server.stop)
    return server


def database_of(url: str) -> str:
    name = make_url(url).database
    assert name, url
    return name
