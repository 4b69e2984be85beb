"""What the tools' prototypes (``tools.uvm``) call: ``toolsBridge`` in UVM is this module
(through the ``_PyImport:`` primitive), each function named as UVM sends it
(``toolsBridge call: p Operation: o Arguments: a`` calls ``call(p, operation=o,
arguments=a)``).

Each finds the image it runs in (``uvm.image.image.current_image``), answers UVM values
and turns a failure into a ``UvmError`` that says what went wrong. The functions that act
for a capability (looking a tool up, a proxy's unknown message, a call) run as user code
would even when model-written code sent the message -- they are the door, and the
capability's checks are theirs; granting, revoking and secrets are refused to
model-written code. Importing this module registers the tool brief with the synthesis
pipeline and the membrane's widening for tools.
"""
from __future__ import annotations

import contextlib
import os
import time

from uvm.cognition.tools import brief, door, mapping, outbox, proxies, widening
from uvm.cognition.tools import capability as caps
from uvm.runtime import objects
from uvm.runtime import send as send_mod
from uvm.runtime.errors import UvmError
from uvm.runtime.objects import UvmDict, UvmList

brief.register()
widening.register()


def _image():
    from uvm.image.image import current_image
    image = current_image()
    if image is None:
        raise UvmError("tools work only inside an open image")
    return image


@contextlib.contextmanager
def _as_the_door():
    """Run the body as user code would: it is the capability's own code."""
    saved, objects.confined.call = objects.confined.call, None
    try:
        yield
    finally:
        objects.confined.call = saved


def _user_only(what: str) -> None:
    if objects.confined.call is not None:
        raise UvmError(f"model-written code cannot {what} (only the person at the image can)")


def _grant_error(e: Exception) -> UvmError:
    return UvmError(f"tools grant: {e}")


# --- the toolbox: tools ----------------------------------------------------------------------------

def lookUp(toolbox, message):  # noqa: N802 (named as UVM sends it)
    """``tools library``: the proxy of a granted capability, made on its first send."""
    selector = message.selector
    if ":" in selector or not caps.NAME.match(selector):
        from uvm.runtime.typos import did_you_mean
        raise UvmError(f"doesNotUnderstand: #{selector}, sent to tools"
                       + did_you_mean(toolbox, selector), selector=selector, receiver=toolbox)
    with _as_the_door():
        image = _image()
        door.capability(image, selector)  # not granted, or revoked: the refusal says so
        return proxies.make_proxy(toolbox, selector)


def grant(toolbox, name=None, url=None, spec=None, allow=None):
    """``tools grant: 'library' Url: 'http://...' Spec: 'openapi.json' Allow: 'GET,POST'``."""
    _user_only("grant a capability")
    image = _image()
    try:
        methods = caps.parse_methods(allow) if allow is not None else None
        if not isinstance(url, str):
            raise caps.GrantError("the URL is a string")
        operations = caps.read_document(spec, url) if spec is not None else None
        cap = caps.grant(image.connection.root(), name, url, operations,
                         spec if spec is not None else None, methods)
    except caps.GrantError as e:
        raise _grant_error(e) from None
    send_mod.invalidate(cap.name)
    return describe_capability(cap)


def revoke(toolbox, name=None):
    """``tools revoke: 'library'``: nothing is sent through it from now on."""
    _user_only("revoke a capability")
    try:
        cap = caps.revoke(_image().connection.root(), name)
    except caps.GrantError as e:
        raise UvmError(f"tools revoke: {e}") from None
    return describe_capability(cap)


def secret(toolbox, header=None, environment=None, tool=None):
    """``tools secretHeader: h FromEnvironment: v For: name``."""
    _user_only("set a capability's secret")
    image = _image()
    reg = caps.registry(image.connection.root())
    cap = reg.capabilities.get(tool) if reg is not None and isinstance(tool, str) else None
    if cap is None:
        raise UvmError(f"tools secretHeader: no capability named {tool!r} is granted")
    if not isinstance(environment, str) or not os.environ.get(environment):
        raise UvmError(f"tools secretHeader: the environment variable {environment!r} is not "
                       "set (the secret is read from it, so that no source text holds it)")
    try:
        caps.set_secret(cap, header, os.environ[environment])
    except caps.GrantError as e:
        raise UvmError(f"tools secretHeader: {e}") from None
    return describe_capability(cap)


def names(toolbox) -> UvmList:
    reg = caps.registry(_image().connection.root())
    return UvmList(list(reg.capabilities.keys()) if reg is not None else [])


def granted(toolbox) -> UvmList:
    reg = caps.registry(_image().connection.root())
    return UvmList([describe_capability(c) for c in (reg.capabilities.values() if reg else [])])


def logOf(toolbox, name=None) -> UvmList:  # noqa: N802
    """``tools log: 'library'``: its calls, oldest first, as dictionaries."""
    reg = caps.registry(_image().connection.root())
    cap = reg.capabilities.get(name) if reg is not None and isinstance(name, str) else None
    if cap is None:
        raise UvmError(f"tools log: no capability named {name!r} was granted")
    return UvmList([door.to_uvm(log_row(e)) for e in cap.log.values()])


def outboxOf(toolbox) -> UvmList:  # noqa: N802
    """``tools outbox``: the writes committed and not sent (failed, or never tried)."""
    reg = caps.registry(_image().connection.root())
    rows = outbox.waiting(reg) if reg is not None else []
    return UvmList([door.to_uvm({k: r.get(k) for k in ("id", "capability", "method", "target",
                                                         "state", "error", "attempts")})
                    for r in rows])


def describe_capability(cap) -> str:
    s = cap.summary()
    what = f"{s['name']}: {s['url']}, {','.join(s['methods'])}"
    what += f", {len(s['operations'])} operations" if s["operations"] else f" on {' '.join(s['paths'])}"
    what += f", {s['rate']}"
    if s["secret_headers"]:
        what += f", secret {', '.join(s['secret_headers'])}"
    return what + (", revoked" if s["revoked"] else "")


def log_row(entry: dict) -> dict:
    row = {k: entry.get(k) for k in ("method", "target", "status", "bytes", "seconds", "outcome",
                                     "evaluation", "source", "line", "write", "error")}
    row["time"] = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.get("time", 0)))
    return {k: v for k, v in row.items() if v is not None}


# --- a proxy: tools library ------------------------------------------------------------------------

def understand(proxy, message):
    """A message the proxy does not understand: a generated method when the selector
    spells an operation, else the model (the tool brief), else the usual error."""
    name = proxies.tool_name(proxy)
    selector, args = message.selector, tuple(message.arguments)
    with _as_the_door():
        image = _image()
        cap = door.capability(image, name)
        found = mapping.operation_for(cap.operations, selector)
        if found is not None:
            op, params = found
            proxies.install_operation(proxy, selector, op, params, cap.operations)
            return send_mod.send(proxy, selector, *args)
        synth = send_mod.synthesizer
        if not getattr(synth, "synthesize_anyway", False):
            from uvm.llm.synthesis.receiver import typo_of, understood_selectors
            typo = typo_of(selector, mapping.selectors_of(cap.operations)
                           + list(understood_selectors(proxy)))
            if typo is not None:
                raise UvmError(f"doesNotUnderstand: #{selector}, sent to {name} (did you mean "
                               f"#{typo}?)", selector=selector, receiver=proxy)
        from uvm.runtime.primitives import PRIMITIVES
        return PRIMITIVES["_DoesNotUnderstand:"](proxy, message)


def call(proxy, operation=None, arguments=None):
    """``aTool call: 'getBook' With: (dictionary ...)``."""
    with _as_the_door():
        return door.call(_image(), proxies.tool_name(proxy), operation, arguments)


def request(proxy, method=None, path=None, query=None, body=None):
    """``aTool get: '/books' Query: q``, ``post: '/books' Body: b``, ..."""
    with _as_the_door():
        return door.request(_image(), proxies.tool_name(proxy), method, path, query, body)


def operationsOf(proxy) -> UvmList:  # noqa: N802
    """``aTool operations``: each operation as the selector that calls it."""
    cap = door.capability(_image(), proxies.tool_name(proxy))
    return UvmList(brief.operation_lines(cap.operations))


def describeTool(proxy) -> str:  # noqa: N802
    reg = caps.registry(_image().connection.root())
    name = proxies.tool_name(proxy)
    if name is None:
        return "traits tool (the parent of every tool proxy)"
    cap = reg.capabilities.get(name) if reg is not None else None
    return f"a tool: {describe_capability(cap) if cap is not None else name + ' (not granted)'}"


# --- a queued write ---------------------------------------------------------------------------------

def _result(write_id):
    image = _image()
    reg = caps.registry(image.connection.root())
    return image, reg, (reg.results.get(write_id) if reg is not None else None)


def stateOf(write) -> str:  # noqa: N802
    """queued (this evaluation has not committed yet), pending, sending, sent, failed,
    dropped."""
    image, reg, result = _result(write)
    if result is None:
        try:
            dm = image.tm.get().data(outbox._KEY)
        except KeyError:
            dm = None
        if dm is not None and any(w["id"] == write for w in dm.writes):
            return "queued"
        return "pending" if reg is not None and write in reg.outbox else "unknown"
    return result.get("state", "pending")


def statusOf(write):  # noqa: N802
    return (_result(write)[2] or {}).get("status")


def answerOf(write):  # noqa: N802
    """The server's answer to a sent write (JSON as UVM values), or nil."""
    result = _result(write)[2] or {}
    text = result.get("answer")
    if not text:
        return None
    import json
    try:
        return door.to_uvm(json.loads(text))
    except ValueError:
        return text


def errorOf(write):  # noqa: N802
    return (_result(write)[2] or {}).get("error")
