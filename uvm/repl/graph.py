"""``:graph``: a picture of an object -- its slots and its whole parent chain -- as Graphviz
DOT text, rendered to SVG or PNG by the ``dot`` program when it is installed.

Each object is a table of its slots; parent slots are solid arrows up the chain (followed
to the end); the object's other slots that hold objects are dashed arrows to a small box
(not followed further, or the picture would be the whole image). No UVM code runs.
"""
from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile

from uvm.runtime import send
from uvm.runtime.objects import ASSIGNABLE, PARENT, Method, UvmObject, slots_of
from uvm.repl.display import short
from uvm.repl.inspector import method_header
from uvm.runtime.naming import ObjectNames

MAX_NODES = 40        # objects drawn at most
MAX_ROWS = 16         # slots listed per object before "... N more"
FORMATS = ("svg", "png", "pdf", "dot", "gv")


class GraphError(Exception):
    """The picture could not be made (Graphviz failed, the file cannot be written)."""


def dot_source(value, names: ObjectNames) -> str:
    """DOT text for ``value``: the object, its parents up to the lobby, its object slots;
    for a memory, its neighbourhood in the memory's graph."""
    from uvm.cognition.memory.store import is_memory
    if is_memory(value):
        return _memory_dot(value, names)
    lines = ["digraph uvm {", '  rankdir=BT;',
             '  node [shape=plaintext, fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    ids: dict[int, str] = {}
    todo: list[tuple[object, bool]] = []

    def node(obj, expand: bool) -> str:
        key = id(obj)
        if key not in ids:
            ids[key] = f"n{len(ids)}"
            todo.append((obj, expand))
        return ids[key]

    if isinstance(value, UvmObject):
        node(value, True)
    else:
        host = f"v{len(ids)}"
        lines.append(f'  {host} [shape=box, style=rounded, label={_quote(short(value, names))}];')
        trait = send.trait_of(value)
        lines.append(f'  {host} -> {node(trait, True)} [label="trait"];')
    done = 0
    while done < len(todo) and len(ids) <= MAX_NODES:
        obj, expand = todo[done]
        done += 1
        me = ids[id(obj)]
        if not expand:
            lines.append(f"  {me} [shape=box, label={_quote(names.name(obj) or short(obj))}];")
            continue
        slots_of(obj)
        lines.append(f"  {me} [label=<{_table(obj, names)}>];")
        for name, kind in obj._kinds.items():
            target = obj._slots[name]
            if not isinstance(target, UvmObject):
                continue
            if kind & PARENT:
                lines.append(f"  {me} -> {node(target, True)} [label={_quote(name + '*')}];")
            elif obj is value and (len(ids) < MAX_NODES or id(target) in ids):
                lines.append(f"  {me} -> {node(target, False)} "
                             f"[label={_quote(name)}, style=dashed, arrowhead=open];")
    if len(todo) > done:
        lines.append(f'  more [shape=note, label="{len(todo) - done} more objects not drawn"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _memory_dot(memory, names: ObjectNames) -> str:
    """A memory and what it links to, each edge labelled with why."""
    from uvm.cognition.memory.bridge import describe, links_with_reasons
    from uvm.cognition.memory.store import is_memory
    lines = ["digraph memory {", "  rankdir=LR;",
             '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];',
             f"  m [style=\"rounded,bold\", label={_quote(describe(memory))}];"]
    for i, (target, why) in enumerate(links_with_reasons(memory)[:MAX_NODES]):
        label = describe(target) if is_memory(target) else short(target, names, 50)
        lines.append(f"  n{i} [label={_quote(label)}];")
        lines.append(f"  m -> n{i} [label={_quote(why)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _table(obj: UvmObject, names: ObjectNames) -> str:
    title = names.name(obj) or "an object"
    rows = [f'<TR><TD BGCOLOR="lightgrey" COLSPAN="2"><B>{_esc(title)}</B></TD></TR>']
    items = list(obj._kinds.items())
    for name, kind in items[:MAX_ROWS]:
        value = obj._slots[name]
        if type(value) is Method:
            left = method_header(value)
            right = "py method" if value.language == "python" else "method"
        else:
            arrow = "<-" if kind & ASSIGNABLE else "="
            left = name + ("*" if kind & PARENT else "") + " " + arrow
            right = short(value, names, 30)
        rows.append(f'<TR><TD ALIGN="LEFT">{_esc(left)}</TD><TD ALIGN="LEFT">{_esc(right)}</TD></TR>')
    if len(items) > MAX_ROWS:
        rows.append(f'<TR><TD COLSPAN="2"><I>... {len(items) - MAX_ROWS} more slots</I></TD></TR>')
    if not items:
        rows.append('<TR><TD COLSPAN="2"><I>no slots</I></TD></TR>')
    return '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0">' + "".join(rows) + "</TABLE>"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def have_graphviz() -> bool:
    return shutil.which("dot") is not None


def render(dot: str, fmt: str) -> bytes:
    """Run Graphviz's ``dot`` on ``dot`` text; raise GraphError if it is missing or fails."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphError("Graphviz's dot program is not installed")
    try:
        done = subprocess.run([exe, f"-T{fmt}"], input=dot.encode("utf-8"),
                              capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise GraphError(f"dot failed: {e}") from None
    if done.returncode != 0:
        raise GraphError("dot failed: " + done.stderr.decode("utf-8", "replace").strip())
    return done.stdout


def write_graph(dot: str, path: str | None, name: str = "graph") -> tuple[str, str | None]:
    """Write the picture: to ``path`` (its extension picks the format), or with no path to
    ``NAME.svg`` in a new temporary folder when Graphviz is installed (never into the
    current folder unasked). Returns (message, path written or None); with no path and no
    Graphviz the message is the DOT text itself."""
    if path is None:
        if not have_graphviz():
            return dot.rstrip("\n") + "\n(Graphviz's dot is not installed: this is the DOT " \
                "text; install graphviz for SVG or PNG)", None
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)[:40] or "graph"
        path = os.path.join(tempfile.mkdtemp(prefix="uvm-graph-"), safe + ".svg")
    ext = os.path.splitext(path)[1].lstrip(".").lower()
    if ext not in FORMATS:
        raise GraphError(f"cannot tell the format of {path!r}: end it in "
                         + ", ".join("." + f for f in FORMATS))
    note = ""
    if ext in ("dot", "gv"):
        data = dot.encode("utf-8")
    elif have_graphviz():
        data = render(dot, ext)
    else:
        path = os.path.splitext(path)[0] + ".dot"
        data = dot.encode("utf-8")
        note = f" (Graphviz's dot is not installed, so this is DOT text, not {ext.upper()})"
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        raise GraphError(f"cannot write {path}: {e.strerror}") from None
    return f"wrote {path}{note}", path
