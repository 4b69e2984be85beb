"""A call through a capability: the only way from the image to the outside world.

``call`` runs one operation of the capability's OpenAPI document with its arguments by
name; ``request`` one method and path (a capability granted without a document, or any
path it allows). Either checks, in order: the capability is granted and not revoked, the
method and path are allowed, the rate limit. Then a read (GET, HEAD) is made at once
(``client``) and its JSON answer becomes UVM lists, dictionaries, strings and numbers; a
write is queued in the evaluation's outbox (``outbox``) and answered by a UVM object that
tells what became of it. An HTTP error is a UVM error with the status and the server's
message; every call is noted for the capability's log. Secret headers are added only
here, and the server's words are shown with any secret in them replaced.
"""
from __future__ import annotations

import collections
import json
import time
from urllib.parse import quote, urlencode

from uvm.cognition.tools import capability as caps
from uvm.cognition.tools import client, outbox
from uvm.cognition.tools import spec as specs
from uvm.runtime.errors import UvmError, sending_line
from uvm.runtime.objects import UvmDict, UvmList

# Calls made in this process, per capability, for the rate limit (times, monotonic).
_recent: dict[tuple, collections.deque] = {}


def capability(image, name: str) -> caps.Capability:
    reg = caps.registry(image.connection.root())
    cap = reg.capabilities.get(name) if reg is not None else None
    if cap is None:
        raise UvmError(f"no capability named {name!r} is granted: grant it first "
                       f"(uvm tools grant {name} URL, or tools grant: '{name}' Url: '...')")
    if cap.revoked is not None:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(cap.revoked))
        raise UvmError(f"the capability {name!r} was revoked ({when}): nothing is sent "
                       f"through it until it is granted again")
    return cap


def call(image, name: str, op_id: str, arguments) -> object:
    """Operation ``op_id`` of capability ``name`` with ``arguments`` (a dictionary)."""
    cap = capability(image, name)
    op = cap.operation(op_id) if isinstance(op_id, str) else None
    if op is None:
        known = ", ".join(o["id"] for o in cap.operations if o["id"]) or "none"
        raise UvmError(f"{name} has no operation {op_id!r} (its operations: {known})")
    given = to_json(arguments if arguments is not None else UvmDict(), f"{name} {op_id}")
    if not isinstance(given, dict):
        raise UvmError(f"{name} {op_id}: the arguments are a dictionary of name -> value")
    names = {p["name"] for p in op["params"]}
    unknown = [k for k in given if k not in names]
    if unknown:
        raise UvmError(f"{name} {op_id} has no parameter {unknown[0]!r} (its parameters: "
                       f"{', '.join(p['name'] for p in op['params']) or 'none'})")
    missing = [p["name"] for p in op["params"] if p["required"] and p["name"] not in given]
    if missing:
        raise UvmError(f"{name} {op_id} needs {', '.join(missing)}")
    path, query, headers, body = op["path"], [], {}, None
    for p in op["params"]:
        if p["name"] not in given:
            continue
        value = given[p["name"]]
        if p["in"] == "path":
            path = path.replace("{" + p["name"] + "}", quote(_text(value), safe=""))
        elif p["in"] == "query":
            query += [(p["name"], _text(v)) for v in (value if isinstance(value, list) else [value])]
        elif p["in"] == "header":
            headers[p["name"]] = _text(value)
        elif p["in"] == specs.WHOLE_BODY:
            body = value
        else:
            body = {**(body or {}), p["name"]: value}
    if op["method"] not in specs.READS and body is None and any(
            p["in"] in (specs.BODY, specs.WHOLE_BODY) for p in op["params"]):
        body = {}
    return _perform(image, cap, op["method"], path, query, headers, body, op_id)


def request(image, name: str, method: str, path: str, query=None, body=None) -> object:
    """``method`` on ``path`` (below the capability's URL) with a query dictionary and a
    JSON body."""
    cap = capability(image, name)
    method = str(method).upper()
    if not isinstance(path, str) or not path.startswith("/"):
        raise UvmError(f"{name}: a path starts with /, not {path!r}")
    if any(part in ("..", ".") for part in path.split("/")) or "//" in path or "?" in path \
            or "#" in path:
        raise UvmError(f"{name}: the path {path!r} has a . or .. part, // , ? or #: give the "
                       "query as a dictionary")
    q = to_json(query, name) if query is not None else {}
    if not isinstance(q, dict):
        raise UvmError(f"{name}: the query is a dictionary of name -> value")
    pairs = [(k, _text(v)) for k, vs in q.items() for v in (vs if isinstance(vs, list) else [vs])]
    return _perform(image, cap, method, path, pairs, {},
                    to_json(body, name) if body is not None else None, f"{method} {path}")


def _perform(image, cap, method, path, query, headers, body, label):
    if not cap.allows(method, path):
        raise UvmError(f"{cap.name} does not allow {method} {path} (it allows "
                       f"{', '.join(cap.methods)} on {', '.join(cap.paths)})")
    target = quote(cap.base_path + path, safe="/%:@!$&'()*+,;=-._~") + \
        (f"?{urlencode(query)}" if query else "")
    _take_rate(cap)
    dm = outbox.calls_of(image)
    line = sending_line()
    where = f"{line[0].location()}: {line[1]}" if line else None
    if method not in specs.READS:
        entry = dm.queue(cap, {"operation": label, "method": method, "target": target,
                               "headers": headers, "line": where,
                               "body": outbox.dumps_body(body) if body is not None else None})
        return pending_write(entry)
    sent = {**headers, **cap.secrets}
    note = {"capability": cap.name, "time": time.time(), "method": method,
            "target": cap.redact(target), "line": where, "status": None, "bytes": 0}
    try:
        response = client.fetch(cap.origin, method, target, sent, None, cap.timeout,
                                cap.max_bytes, cap.may_follow)
    except client.RequestRefused as e:
        dm.note_call({**note, "error": cap.redact(str(e))})
        raise UvmError(f"{cap.name} {label}: {cap.redact(str(e))}") from None
    dm.note_call({**note, "status": response.status, "bytes": len(response.body),
                  "seconds": round(response.seconds, 4)})
    return answer(cap, label, response)


def _take_rate(cap) -> None:
    calls, span = cap.rate
    recent = _recent.setdefault((cap._p_jar and id(cap._p_jar.db()), cap.name), collections.deque())
    now = time.monotonic()
    while recent and recent[0] <= now - span:
        recent.popleft()
    if len(recent) >= calls:
        wait = recent[0] + span - now
        raise UvmError(f"{cap.name}: its rate limit of {calls} call{'s' if calls != 1 else ''} "
                       f"in {span:g} s is reached; the next call is allowed in {wait:.1f} s "
                       "(nothing was sent)")
    recent.append(now)


# --- answers --------------------------------------------------------------------------------------

def answer(cap, label: str, response: client.Response):
    """A read's answer as a UVM value, or the server's error as a UVM error."""
    if response.status >= 400:
        raise UvmError(cap.redact(f"{cap.name} {label}: HTTP {response.status} "
                                  f"{response.reason}: {server_message(response)}"))
    if not response.body:
        return None
    text = response.body.decode("utf-8", "replace")
    if "json" in response.headers.get("content-type", "") or text.lstrip()[:1] in ("{", "["):
        try:
            return to_uvm(json.loads(text))
        except ValueError:
            pass
    return cap.redact(text)


def server_message(response: client.Response) -> str:
    """What the server said went wrong: a JSON error's message, else its text (short)."""
    text = response.body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("message", "error", "detail", "title"):
            if isinstance(data.get(key), str):
                return data[key][:300]
    return (" ".join(text.split())[:300]) or "(no message)"


def to_uvm(value):
    """JSON as UVM values: objects become dictionaries, arrays lists."""
    if isinstance(value, dict):
        return UvmDict({k: to_uvm(v) for k, v in value.items()})
    if isinstance(value, list):
        return UvmList([to_uvm(v) for v in value])
    return value


def to_json(value, where: str, depth: int = 0):
    """A UVM value as JSON data (dictionaries with string keys, lists, strings, numbers,
    booleans, nil)."""
    if depth > 50:
        raise UvmError(f"{where}: the value is nested too deeply to send")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, (UvmDict, dict)):
        out = {}
        for k, v in (value.data if isinstance(value, UvmDict) else value).items():
            if type(k) is not str:
                raise UvmError(f"{where}: a dictionary sent as JSON has string keys, not {k!r}")
            out[k] = to_json(v, where, depth + 1)
        return out
    if isinstance(value, (UvmList, list, tuple)):
        return [to_json(v, where, depth + 1) for v in value]
    from uvm.runtime.printing import describe
    raise UvmError(f"{where}: {describe(value)[:40] if hasattr(value, '_slots') else type(value).__name__} "
                   "cannot be sent as JSON (strings, numbers, booleans, nil, lists and "
                   "dictionaries can)")


def _text(value) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else str(value)


# --- a queued write, as UVM code sees it ------------------------------------------------------------

def pending_write(entry: dict):
    """A UVM object for a queued write (``traits toolWrite``): its id, method and path;
    ``state``, ``status`` and ``answer`` ask the outbox what became of it."""
    from uvm.runtime import send as send_mod
    from uvm.runtime.objects import CONSTANT, PARENT, UvmObject
    obj = UvmObject()
    obj.define_slot("parent", send_mod.world.traits._slots["toolWrite"], CONSTANT | PARENT)
    for slot, value in (("writeId", entry["id"]), ("method", entry["method"]),
                        ("target", entry["target"]), ("tool", entry["capability"])):
        obj.define_slot(slot, value, CONSTANT)
    return obj
