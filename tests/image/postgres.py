"""A real, throw-away PostgreSQL server for the RelStorage tests (from the distribution's
packages; `initdb` refuses to run as root, so as root it runs as the postgres user)."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def available() -> bool:
    return _bin("initdb") is not None and _bin("pg_ctl") is not None


class Server:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="uvm-pg-")
        os.chmod(self.dir, 0o777)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.as_root = os.geteuid() == 0
        if self.as_root:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.data = os.path.join(self.dir, "data")
        self._run([_bin("initdb"), "-D", self.data, "-A", "trust", "-U", "postgres"])
        self._run([_bin("pg_ctl"), "-D", self.data, "-w", "-l", os.path.join(self.dir, "log"),
                   "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
                   "start"])
        self._run([_bin("createdb") or "createdb", "-h", "127.0.0.1", "-p", str(self.port),
                   "-U", "postgres", "uvm"])
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/uvm"

    def _run(self, argv: list[str]) -> None:
        if self.as_root:
            argv = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{a}'" for a in argv)]
        subprocess.run(argv, check=True, capture_output=True, timeout=120)

    def new_database(self, name: str) -> str:
        self._run([_bin("createdb") or "createdb", "-h", "127.0.0.1", "-p", str(self.port),
                   "-U", "postgres", name])
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        try:
            self._run([_bin("pg_ctl"), "-D", self.data, "-m", "fast", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
