"""The one place that touches the network: one request through a capability.

It uses the standard library's ``http.client`` rather than a client library on purpose:
``http.client`` does nothing behind the caller's back -- it follows no redirect, reads
no proxy settings from the environment, keeps no cookies and opens one connection to the
host it is given -- so every hop is decided here: a redirect is followed only to the
capability's own origin (scheme, host and port) and for reads, the answer is read in
pieces against a byte limit and a deadline for the whole request, and the connection is
closed after each request.
"""
from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 3
CHUNK = 64 * 1024
USER_AGENT = "uvm-tools/1"


class RequestRefused(Exception):
    """The request broke the capability's rules (another host, too big, too slow) or
    could not be made; nothing more was sent."""


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> "Origin":
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, (parts.hostname or "").lower(), port)

    def url(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")


@dataclass
class Response:
    status: int
    reason: str
    headers: dict = field(default_factory=dict)   # lower-case names
    body: bytes = b""
    seconds: float = 0.0
    target: str = ""                              # the path and query finally answered


def fetch(origin: Origin, method: str, target: str, headers: dict, body: bytes | None,
          timeout: float, max_bytes: int, may_follow=lambda path: True) -> Response:
    """Send one request to ``origin`` and read its answer under the limits. A redirect
    is followed (reads only, at most MAX_REDIRECTS) when it stays on ``origin`` and
    ``may_follow(path)`` allows its path; to anywhere else it is refused."""
    started = time.monotonic()
    deadline = started + timeout
    for _ in range(MAX_REDIRECTS + 1):
        response = _once(origin, method, target, headers, body, deadline, max_bytes, timeout)
        location = response.headers.get("location")
        if response.status not in REDIRECTS or not location:
            break
        url = urljoin(origin.url() + target, location)
        parts = urlsplit(url)
        if Origin.of(url) != origin or parts.scheme not in ("http", "https"):
            raise RequestRefused(f"the server redirected to {parts.scheme}://{parts.netloc}"
                                 f"{parts.path}, which is not {origin.url()}: a capability "
                                 "reaches only its own host (the redirect was not followed)")
        if method not in ("GET", "HEAD"):
            break  # a write is never sent twice: its answer is the redirect itself
        next_target = parts.path + (f"?{parts.query}" if parts.query else "")
        if not may_follow(parts.path):
            raise RequestRefused(f"the server redirected to {parts.path}, a path the "
                                 "capability does not allow (the redirect was not followed)")
        target = next_target
    else:
        raise RequestRefused(f"more than {MAX_REDIRECTS} redirects")
    response.seconds = time.monotonic() - started
    response.target = target
    return response


def _once(origin, method, target, headers, body, deadline, max_bytes, timeout) -> Response:
    left = deadline - time.monotonic()
    if left <= 0:
        raise RequestRefused(f"no answer within {timeout:g} s (the capability's time limit)")
    if origin.scheme == "https":
        conn = http.client.HTTPSConnection(origin.host, origin.port, timeout=left,
                                           context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(origin.host, origin.port, timeout=left)
    try:
        sent = {"User-Agent": USER_AGENT, "Accept": "application/json", **headers}
        conn.request(method, target, body=body, headers=sent)
        resp = conn.getresponse()
        length = resp.getheader("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise RequestRefused(f"the answer would be {int(length):,} bytes, more than the "
                                 f"capability's limit of {max_bytes:,}")
        data = bytearray()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            if conn.sock is not None:
                conn.sock.settimeout(left)
            piece = resp.read1(CHUNK) if method != "HEAD" else b""
            if not piece:
                break
            data += piece
            if len(data) > max_bytes:
                raise RequestRefused(f"the answer is more than the capability's limit of "
                                     f"{max_bytes:,} bytes (reading stopped there)")
        return Response(resp.status, resp.reason or "",
                        {k.lower(): v for k, v in resp.getheaders()}, bytes(data))
    except (socket.timeout, TimeoutError):
        raise RequestRefused(f"no answer within {timeout:g} s (the capability's time limit)") from None
    except ssl.SSLError as e:
        raise RequestRefused(f"TLS failed with {origin.url()}: {e.reason or e}") from None
    except (OSError, http.client.HTTPException) as e:
        why = getattr(e, "strerror", None) or str(e) or type(e).__name__
        raise RequestRefused(f"cannot reach {origin.url()}: {why}") from None
    finally:
        conn.close()
