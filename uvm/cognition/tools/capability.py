"""What the user granted, kept in the image: ``root['uvm.tools']``.

The registry holds, apart, so that the evaluations and the follow-up transactions that
record what was sent never write the same objects:

- ``capabilities``: name -> ``Capability`` (changed by grants and revocations);
- ``outbox``: write id -> the queued request (added by the evaluation that made it, in
  its own transaction: a write exists only if its thought committed);
- ``results``: write id -> what happened when it was sent (added by follow-ups only);
- each capability's ``log``: its calls (added by follow-ups only).

None of this is reachable from the lobby: file-out, the brief and ``:inspect`` see a tool
proxy's name, never its capability, whose secret headers stay here (in the image file as
it is stored: whoever can read the file can read them).
"""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from BTrees.LOBTree import LOBTree
from BTrees.OOBTree import OOBTree
from persistent import Persistent

from uvm.cognition.tools import spec as specs
from uvm.cognition.tools import client
from uvm.cognition.tools.client import Origin

ROOT_KEY = "uvm.tools"
NAME = re.compile(r"[a-z][A-Za-z0-9]*\Z")
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 1_000_000
DEFAULT_RATE = (10, 1.0)          # calls, seconds
SECRET_SHOWN = "[secret]"


class GrantError(Exception):
    """A grant's settings are wrong; the message says which."""


class Registry(Persistent):
    def __init__(self):
        self.capabilities = OOBTree()
        self.outbox = OOBTree()
        self.results = OOBTree()


class Capability(Persistent):
    """One granted door to one HTTP API."""

    def __init__(self, name: str, url: str):
        self.name = name
        self.log = LOBTree()          # time in ns -> a call, as a dict
        self.set_url(url)
        self.methods: tuple = ("GET",)
        self.paths: tuple = ("/*",)    # templates, or prefixes ending in /*
        self.operations: tuple = ()
        self.spec_from: str | None = None
        self.rate = DEFAULT_RATE
        self.timeout = DEFAULT_TIMEOUT
        self.max_bytes = DEFAULT_MAX_BYTES
        self.secrets: dict = {}        # header -> value
        self.granted = time.time()
        self.revoked: float | None = None

    def set_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise GrantError(f"{url!r} is not an http or https URL with a host")
        if parts.username or parts.password:
            raise GrantError("the URL holds a user name or password: give credentials as a "
                             "secret header instead (--secret-header NAME=ENVVAR)")
        if parts.query or parts.fragment:
            raise GrantError("the URL must not have a query or fragment: it is the base "
                             "every path is added to")
        self.origin = Origin.of(url)
        self.base_path = parts.path.rstrip("/")

    # --- what it allows -------------------------------------------------------------------------
    def set_operations(self, operations: list[dict], source: str, allow: tuple | None) -> None:
        self.operations = tuple(operations)
        self.spec_from = source
        declared = tuple(dict.fromkeys(op["method"] for op in operations))
        self.methods = tuple(m for m in declared if allow is None or m in allow)
        self.paths = tuple(dict.fromkeys(op["path"] for op in operations))

    def allows(self, method: str, path: str) -> bool:
        """Whether ``path`` (below the base path) may be called with ``method``."""
        if method not in self.methods:
            return False
        if self.operations:
            return any(op["method"] == method and specs.path_matches(op["path"], path)
                       for op in self.operations)
        return any(specs.path_matches(p, path) if not p.endswith("/*")
                   else path == p[:-2] or path.startswith(p[:-1]) for p in self.paths)

    def may_follow(self, full_path: str) -> bool:
        """Whether a redirect's (full) path is one this capability may read."""
        if self.base_path and not (full_path == self.base_path
                                   or full_path.startswith(self.base_path + "/")):
            return False
        return self.allows("GET", full_path[len(self.base_path):] or "/")

    def operation(self, op_id: str) -> dict | None:
        return next((op for op in self.operations if op["id"] == op_id), None)

    @property
    def url(self) -> str:
        return self.origin.url() + self.base_path

    def redact(self, text: str) -> str:
        """``text`` with every secret value replaced (a server may echo a token back)."""
        return redact(text, self.secrets.values())

    def summary(self) -> dict:
        """What may be shown anywhere: no secret values, only the secret headers' names."""
        return {"name": self.name, "url": self.url, "methods": list(self.methods),
                "paths": list(self.paths), "operations": [op["id"] for op in self.operations if op["id"]],
                "spec": self.spec_from, "rate": rate_text(self.rate), "timeout": self.timeout,
                "max_bytes": self.max_bytes, "secret_headers": sorted(self.secrets),
                "granted": self.granted, "revoked": self.revoked}


def redact(text: str, secret_values) -> str:
    """``text`` with each secret value, and each long word of one (the token of
    ``Bearer TOKEN``), replaced by ``[secret]``."""
    parts = set()
    for value in secret_values:
        if value and len(value) >= 4:
            parts.add(value)
            parts.update(w for w in value.split() if len(w) >= 8)
    for part in sorted(parts, key=len, reverse=True):
        text = text.replace(part, SECRET_SHOWN)
    return text


def rate_text(rate: tuple) -> str:
    calls, seconds = rate
    unit = {1: "s", 60: "m", 3600: "h"}.get(seconds)
    return f"{calls}/{unit}" if unit else f"{calls}/{seconds:g}s"


def registry(root, create: bool = False) -> Registry | None:
    reg = root.get(ROOT_KEY)
    if reg is None and create:
        reg = root[ROOT_KEY] = Registry()
    return reg


def check_name(name) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise GrantError(f"a tool's name is a unary selector (a lower-case letter, then "
                         f"letters and digits), not {name!r}")
    return name


def parse_rate(text: str) -> tuple[int, float]:
    """``5/s``, ``100/m``, ``1000/h``, ``3/10s`` -> (calls, seconds)."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*(?:\.\d+)?)\s*(s|m|h)?\s*", str(text))
    if not m or int(m.group(1)) < 1:
        raise GrantError(f"a rate is CALLS/s, CALLS/m or CALLS/h (like 5/s), not {text!r}")
    unit = {"s": 1, "m": 60, "h": 3600, None: 1}[m.group(3)]
    span = float(m.group(2) or 1) * unit
    if span <= 0:
        raise GrantError(f"the rate's time span must be more than zero, not {text!r}")
    return int(m.group(1)), span


def parse_methods(text: str) -> tuple:
    methods = tuple(dict.fromkeys(m.strip().upper() for m in str(text).split(",") if m.strip()))
    bad = [m for m in methods if m.lower() not in specs.METHODS]
    if bad or not methods:
        raise GrantError(f"--allow takes HTTP methods separated by commas "
                         f"(GET,POST,PUT,PATCH,DELETE,HEAD), not {text!r}")
    return methods


def grant(root, name: str, url: str, operations: list[dict] | None = None,
          spec_from: str | None = None, allow: tuple | None = None, paths: tuple | None = None,
          rate: tuple | None = None, timeout: float | None = None,
          max_bytes: int | None = None) -> Capability:
    """Grant (or grant again, which lifts a revocation and keeps the log) a capability;
    the caller's transaction keeps it."""
    check_name(name)
    reg = registry(root, create=True)
    cap = reg.capabilities.get(name)
    if cap is None:
        cap = Capability(name, url)
    else:
        cap.set_url(url)
        cap.revoked = None
        cap.granted = time.time()
    if operations:
        cap.set_operations(operations, spec_from, allow)
        if not cap.methods:
            raise GrantError(f"the document declares none of the allowed methods ({', '.join(allow)})")
    else:
        cap.operations, cap.spec_from = (), None
        cap.methods = allow or ("GET",)
        cap.paths = paths or ("/*",)
    if paths and operations:
        raise GrantError("--path is for a capability without a document (the document's "
                         "paths are the allowed ones)")
    for p in cap.paths:
        if not p.startswith("/"):
            raise GrantError(f"a path starts with /, not {p!r}")
    if rate is not None:
        cap.rate = rate
    if timeout is not None:
        if not 0 < timeout <= 600:
            raise GrantError("the time limit is between 0 and 600 seconds")
        cap.timeout = float(timeout)
    if max_bytes is not None:
        if max_bytes < 1:
            raise GrantError("the size limit is at least one byte")
        cap.max_bytes = int(max_bytes)
    reg.capabilities[name] = cap
    return cap


def read_document(source: str, url: str) -> list[dict]:
    """The operations of the OpenAPI document at ``source``: a file, or a URL on the
    capability's own host (fetched under the default limits)."""
    if not isinstance(source, str) or not source:
        raise GrantError("the document is a file name or a URL")
    if source.startswith(("http://", "https://")):
        origin = Origin.of(source)
        if origin != Origin.of(url):
            raise GrantError(f"the document {source} is not on {Origin.of(url).url()}: a "
                             "capability reads its document only from its own host (save "
                             "the document and give the file)")
        parts = urlsplit(source)
        try:
            r = client.fetch(origin, "GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                             {}, None, DEFAULT_TIMEOUT, 10 * DEFAULT_MAX_BYTES)
        except client.RequestRefused as e:
            raise GrantError(f"cannot read the document {source}: {e}") from None
        if r.status >= 400:
            raise GrantError(f"cannot read the document {source}: HTTP {r.status} {r.reason}")
        text = r.body.decode("utf-8", "replace")
    else:
        try:
            with open(source, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise GrantError(f"cannot read the document {source}: {e.strerror}") from None
        except UnicodeDecodeError:
            raise GrantError(f"the document {source} is not UTF-8 text") from None
    try:
        return specs.read_operations(specs.parse_document(text, source), source)
    except specs.SpecError as e:
        raise GrantError(str(e)) from None


def revoke(root, name: str) -> Capability:
    reg = registry(root)
    cap = reg.capabilities.get(name) if reg is not None else None
    if cap is None:
        raise GrantError(f"no capability named {name!r} was granted")
    if cap.revoked is None:
        cap.revoked = time.time()
    return cap


def set_secret(cap: Capability, header: str, value: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9-]+", str(header)):
        raise GrantError(f"{header!r} is not an HTTP header name")
    if not value:
        raise GrantError(f"the secret for {header} is empty")
    cap.secrets = {**cap.secrets, header: value}
