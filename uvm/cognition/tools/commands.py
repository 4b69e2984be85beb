"""``uvm tools``: grant, list, revoke, log, outbox.

    uvm tools grant NAME URL [--spec FILE|URL] [--allow GET,POST] [--rate N/s]
                   [--path /prefix/*]... [--timeout S] [--max-bytes N]
                   [--secret-header HEADER=ENVVAR]...
    uvm tools list [--json]
    uvm tools revoke NAME
    uvm tools log NAME [-n N] [--json]
    uvm tools outbox [--retry ID | --drop ID] [--json]

Each change is one recorded transaction (origin ``tools``). A secret header's value is
read from the environment variable named, so it is in no command line, shell history or
history note; ``list`` shows only the names of secret headers.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from uvm.image.storage import ImageError


def _fail(message: str, status: int = 1) -> int:
    print(f"uvm: {message}", file=sys.stderr)
    return status


def _open(spec, read_only=False):
    from uvm.image.image import open_image
    return open_image(spec, read_only=read_only)


def tools_command(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="uvm tools", description="Capabilities: the doors from "
                                "the image to HTTP APIs, and what went through them.")
    p.add_argument("--image", metavar="PATH", help="the image (default $UVM_IMAGE or ./live_image.fs)")
    sub = p.add_subparsers(dest="what", metavar="grant|list|revoke|log|outbox")
    sub.required = True
    g = sub.add_parser("grant", help="grant (or grant again) a capability")
    g.add_argument("name", help="the tool's name: `tools NAME` in UVM")
    g.add_argument("url", help="the base URL: http(s)://HOST[:PORT][/PATH]")
    g.add_argument("--spec", metavar="FILE|URL",
                   help="an OpenAPI 3 document (JSON or YAML); a URL must be on the same host")
    g.add_argument("--allow", metavar="METHODS", help="HTTP methods, e.g. GET,POST (default: "
                   "the document's, else GET)")
    g.add_argument("--path", action="append", metavar="PATH",
                   help="without a document: a path allowed (/books/{id}) or a prefix (/books/*); "
                        "default /*")
    g.add_argument("--rate", metavar="N/s", help="calls allowed per second, minute or hour "
                   "(5/s, 100/m, 1000/h; default 10/s)")
    g.add_argument("--timeout", type=float, metavar="S", help="seconds one call may take (default 10)")
    g.add_argument("--max-bytes", type=int, metavar="N", help="largest answer read (default 1000000)")
    g.add_argument("--secret-header", action="append", metavar="HEADER=ENVVAR", default=[],
                   help="a header sent on every call, its value read from the environment "
                        "variable ENVVAR (kept out of prompts, file-out and history)")
    ls = sub.add_parser("list", help="the capabilities granted")
    ls.add_argument("--json", action="store_true")
    r = sub.add_parser("revoke", help="revoke a capability: nothing more is sent through it")
    r.add_argument("name")
    lg = sub.add_parser("log", help="a capability's calls, oldest first")
    lg.add_argument("name")
    lg.add_argument("-n", type=int, default=50, help="the last N calls (default 50)")
    lg.add_argument("--json", action="store_true")
    ob = sub.add_parser("outbox", help="writes committed but not sent (failed, or never tried)")
    act = ob.add_mutually_exclusive_group()
    act.add_argument("--retry", metavar="ID", help="send this write again")
    act.add_argument("--drop", metavar="ID", help="give this write up (it is never sent)")
    ob.add_argument("--json", action="store_true")
    opts = p.parse_args(argv)
    try:
        return {"grant": _grant, "list": _list, "revoke": _revoke, "log": _log,
                "outbox": _outbox}[opts.what](opts)
    except ImageError as e:
        return _fail(str(e))


def _grant(opts) -> int:
    from uvm.cognition.tools import capability as caps
    try:
        methods = caps.parse_methods(opts.allow) if opts.allow else None
        rate = caps.parse_rate(opts.rate) if opts.rate else None
        secrets = []
        for item in opts.secret_header:
            header, sep, variable = item.partition("=")
            if not sep or not header or not variable:
                raise caps.GrantError(f"--secret-header takes HEADER=ENVVAR, not {item!r}")
            if not os.environ.get(variable):
                raise caps.GrantError(f"the environment variable {variable} is not set (the "
                                      f"value of {header} is read from it)")
            secrets.append((header, os.environ[variable]))
        operations = caps.read_document(opts.spec, opts.url) if opts.spec else None
    except caps.GrantError as e:
        return _fail(str(e))
    note = f"tools grant {opts.name} {opts.url}" + (f" --spec {opts.spec}" if opts.spec else "") \
        + (f" --allow {opts.allow}" if opts.allow else "") \
        + "".join(f" --secret-header {h}=..." for h, _ in secrets)

    def grant():
        cap = caps.grant(image.connection.root(), opts.name, opts.url, operations, opts.spec,
                         methods, tuple(opts.path) if opts.path else None, rate, opts.timeout,
                         opts.max_bytes)
        for header, value in secrets:
            caps.set_secret(cap, header, value)
        return cap
    with _open(opts.image) as image:
        try:
            cap = image.run(grant, note, "tools")
        except Exception as e:  # noqa: BLE001 -- a GrantError, as the image reports it
            return _fail(str(e))
        from uvm.cognition.tools.bridge import describe_capability
        print("granted " + describe_capability(cap))
    return 0


def _registry(image):
    from uvm.cognition.tools import capability as caps
    return caps.registry(image.connection.root())


def _list(opts) -> int:
    with _open(opts.image, read_only=True) as image:
        reg = _registry(image)
        caps = list(reg.capabilities.values()) if reg is not None else []
        rows = [c.summary() for c in caps]
    if opts.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no capabilities granted (uvm tools grant NAME URL)")
    for s in rows:
        state = "revoked " + _when(s["revoked"]) if s["revoked"] else "granted " + _when(s["granted"])
        print(f"{s['name']:<12} {s['url']}  {','.join(s['methods'])}  {s['rate']}  {state}")
        what = f"{len(s['operations'])} operations from {s['spec']}" if s["operations"] \
            else "paths " + " ".join(s["paths"])
        secret = f"; secret headers: {', '.join(s['secret_headers'])}" if s["secret_headers"] else ""
        print(f"{'':<12} {what}; time limit {s['timeout']:g} s, answers up to "
              f"{s['max_bytes']:,} bytes{secret}")
    return 0


def _revoke(opts) -> int:
    from uvm.cognition.tools import capability as caps
    with _open(opts.image) as image:
        try:
            image.run(lambda: caps.revoke(image.connection.root(), opts.name),
                      f"tools revoke {opts.name}", "tools")
        except Exception as e:  # noqa: BLE001
            return _fail(str(e))
    print(f"revoked {opts.name}: nothing is sent through it from now on (writes still in the "
          "outbox are refused too)")
    return 0


def _log(opts) -> int:
    from uvm.cognition.tools.bridge import log_row
    with _open(opts.image, read_only=True) as image:
        reg = _registry(image)
        cap = reg.capabilities.get(opts.name) if reg is not None else None
        if cap is None:
            return _fail(f"no capability named {opts.name!r} was granted")
        rows = [log_row(e) for e in list(cap.log.values())[-max(opts.n, 0):]] if opts.n else []
    if opts.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"{opts.name}: no calls yet")
    for r in rows:
        status = r.get("status") or "-"
        took = f"{r['seconds']:.3f} s" if "seconds" in r else ""
        print(f"{r['time']}  {r['method']:<6} {r['target'][:50]:<50} {status!s:>4} "
              f"{r.get('bytes', 0):>7} B {took:>9}  {r.get('outcome', '')}"
              + (f"  {r['evaluation']}" if r.get("evaluation") else ""))
        if r.get("error"):
            print(f"{'':<20} {r['error']}")
        if r.get("line") or r.get("source"):
            print(f"{'':<20} from {r.get('line') or r.get('source')}")
    return 0


def _outbox(opts) -> int:
    from uvm.cognition.tools import outbox
    with _open(opts.image) if (opts.retry or opts.drop) else _open(opts.image, read_only=True) as image:
        reg = _registry(image)
        if opts.retry or opts.drop:
            wid = opts.retry or opts.drop
            if reg is None or wid not in reg.outbox:
                return _fail(f"no write {wid} in the outbox (uvm tools outbox lists them)")
            if opts.drop:
                outbox.drop(image, wid)
                print(f"dropped {wid}: it will not be sent")
                return 0
            try:
                result = outbox.retry(image, wid)
            except ValueError as e:
                return _fail(str(e))
            if result.get("state") == "sent":
                print(f"sent {wid}: {result.get('status')}")
                return 0
            return _fail(f"{wid} failed again: {result.get('error')}")
        rows = outbox.waiting(reg) if reg is not None else []
    if opts.json:
        print(json.dumps([{k: r.get(k) for k in ("id", "capability", "method", "target", "state",
                                                 "error", "attempts", "queued")} for r in rows],
                         indent=2))
        return 0
    if not rows:
        print("the outbox is empty: every committed write was sent")
    for r in rows:
        print(f"{r['id']}  {_when(r['queued'])}  {r['capability']:<10} {r['method']:<6} "
              f"{r['target'][:40]:<40} {r['state']}")
        if r.get("error"):
            print(f"{'':<17} {r['error']}")
        if r["state"] == "sending":
            print(f"{'':<17} the process ended while sending it: it may have reached the "
                  "server (retrying sends it again, with the same Idempotency-Key)")
    return 0


def _when(t) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else "-"
