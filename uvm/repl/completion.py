"""What can be typed next: selectors, slot names, keyword parts, REPL commands and files.

Shared by the terminal REPL (through ``completer.py``) and the Jupyter kernel. It never
runs user code: receivers are resolved by reading slots (``static.py``), and the
selectors an object answers are read off its slots and its parents' slots. Contexts:

* a word after a receiver that reads as data (``traits integer ev``, ``point x``, ``3 ``)
  completes that object's selectors, nearest holder first;
* a word with no receiver completes locals of the enclosing literals, then what the
  lobby and its parents answer (the implicit receiver at the top level);
* a capitalised word inside a keyword message completes the message's next part
  (``3 between: 1 A`` offers ``And:``);
* ``:`` at the start of the input completes commands and then their arguments.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from uvm.runtime.objects import ASSIGNABLE, PARENT, Method, UvmObject
from uvm.repl.static import (CLOSE, OPEN, OPERAND_END, NotStatic, lookup_start, resolve,
                             scan)

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_STOPS = frozenset({"_DOT", "_NL", "VBAR", "CARET", "ARROW", "EQUAL", "ARG", "EMPTYBRACES",
                    "STAR", "PYTHON"})
_VOCABULARY_LIMIT = 5000     # objects searched for selectors when the receiver is unknown


@dataclass(frozen=True)
class Candidate:
    """One completion: replace the ``-start`` characters before the cursor by ``text``."""
    text: str
    start: int
    display: str
    meta: str = ""


def complete(session, text: str, cursor: int | None = None,
             explicit: bool = True) -> list[Candidate]:
    """Completions at ``cursor`` in ``text``. ``explicit`` is False while the user is just
    typing (then an empty word offers nothing unless a receiver is known)."""
    before = text[:len(text) if cursor is None else cursor]
    stripped = before.lstrip()
    if stripped.startswith(":"):
        return _command(session, stripped, explicit)
    return _code(session, before, explicit)


# --- code ------------------------------------------------------------------------------------

def _code(session, before: str, explicit: bool) -> list[Candidate]:
    m = _WORD.search(before)
    prefix = m.group() if m else ""
    head = before[:len(before) - len(prefix)]
    if head[-1:].isdigit() or (head.endswith(":") and not head[-2:-1].isalnum()):
        return []     # inside a number (16rFF) or an argument name (:x)
    if re.search(r"[A-Za-z_][A-Za-z0-9_]*\.$", head):       # resend.fo / parent.fo
        return _implicit(session, [], prefix, explicit=True)
    tokens, state = scan(head)
    if state == "literal":
        return []
    locals_ = _open_locals(tokens)
    seg = _segment(tokens)
    if prefix[:1].isupper():
        return _keyword_part(session, seg, prefix, locals_)
    if seg and seg[-1].type in OPERAND_END:
        chain = _receiver_chain(seg)
        try:
            value = resolve(chain, session.image.lobby, locals_)
        except NotStatic:
            return _from_vocabulary(session, prefix) if prefix else []
        return _selectors(session, lookup_start(value), prefix, len(prefix))
    return _implicit(session, locals_, prefix, explicit)


def _segment(tokens: list) -> list:
    """The tokens of the expression the cursor is in: back to an unclosed bracket, a
    statement end, a slot list's bar or an assignment arrow."""
    depth = 0
    i = len(tokens)
    while i > 0:
        kind = tokens[i - 1].type
        if kind in CLOSE:
            depth += 1
        elif kind in OPEN:
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and kind in _STOPS:
            break
        i -= 1
    return tokens[i:]


def _receiver_chain(seg: list) -> list:
    """The primary and unary sends that end ``seg``: the receiver of the word typed next."""
    i = len(seg)
    while i > 0:
        tok = seg[i - 1]
        if tok.type == "NAME":
            i -= 1
            continue
        if tok.type in ("RPAR", "RSQB"):
            depth, j = 0, i - 1
            while j >= 0:
                if seg[j].type in CLOSE:
                    depth += 1
                elif seg[j].type in OPEN:
                    depth -= 1
                    if depth == 0:
                        break
                j -= 1
            return seg[max(j, 0):]
        if tok.type in OPERAND_END:
            return seg[i - 1:]
        break
    return seg[i:]


def _open_locals(tokens: list) -> list[str]:
    """Slot and argument names of the literals still open at the cursor, innermost first:
    in ``(| sum <- 0 | 1 to: 3 Do: [| :i | s`` they are ``i`` and ``sum``."""
    frames: list[dict] = []
    prev = None
    for tok in tokens:
        kind = tok.type
        top = frames[-1] if frames else None
        if kind in ("LPAR", "LSQB"):
            frames.append({"state": "start", "names": []})
        elif kind in ("RPAR", "RSQB"):
            if frames:
                frames.pop()
        elif top is not None:
            state = top["state"]
            if state == "start":
                top["state"] = {"VBAR": "slots", "ARG": "args"}.get(kind, "code")
                if kind == "ARG":
                    top["names"].append(tok.value)
            elif state in ("slots", "args"):
                if kind == "VBAR":
                    top["state"] = "code"
                elif kind == "ARG":
                    top["names"].append(tok.value)
                elif kind == "NAME" and prev in ("VBAR", "_DOT", "LBRACE", "STRING"):
                    top["names"].append(tok.value)
        prev = kind
    names: list[str] = []
    for frame in reversed(frames):
        names.extend(n for n in frame["names"] if n not in names)
    return names


def _keyword_part(session, seg: list, prefix: str, locals_: list[str]) -> list[Candidate]:
    """Next parts of the keyword message being typed (``between: 1 A`` -> ``And:``)."""
    depth, level0 = 0, []
    for i, tok in enumerate(seg):
        if tok.type in OPEN:
            depth += 1
        elif tok.type in CLOSE:
            depth -= 1
        elif depth == 0:
            level0.append(i)
    firsts = [i for i in level0 if seg[i].type == "KEYWORD"]
    if not firsts:
        return []
    k = firsts[-1]
    parts = [seg[k].value] + [seg[i].value for i in level0 if i > k and seg[i].type == "CAPKEYWORD"]
    so_far = "".join(parts)
    before_k = [i for i in level0 if i < k and seg[i].type in ("KEYWORD", "CAPKEYWORD")]
    receiver = seg[before_k[-1] + 1:k] if before_k else seg[:k]
    try:
        start = lookup_start(resolve(receiver, session.image.lobby, locals_)) if receiver \
            else session.image.lobby
        rows = _rows(session, start)
    except NotStatic:
        rows = [(s, "") for s in _vocabulary(session)]
    out, seen = [], set()
    for selector, meta in rows:
        if not selector.startswith(so_far) or selector == so_far:
            continue
        part = selector[len(so_far):].split(":")[0] + ":"
        if part[:1].isupper() and part.startswith(prefix) and part not in seen:
            seen.add(part)
            out.append(Candidate(part, -len(prefix), selector, meta))
    return out


def _implicit(session, locals_: list[str], prefix: str, explicit: bool) -> list[Candidate]:
    """Words for the implicit receiver: locals, then the lobby's slots and parents'."""
    if not prefix and not explicit:
        return []
    out = [Candidate(n, -len(prefix), n, "local") for n in locals_ if n.startswith(prefix)]
    taken = {c.text for c in out}
    for c in _selectors(session, session.image.lobby, prefix, len(prefix), binary=False):
        if c.text not in taken:
            out.append(c)
    return out


def _selectors(session, start: UvmObject, prefix: str, replace: int,
               binary: bool = True) -> list[Candidate]:
    out, seen = [], set()
    for selector, meta in _rows(session, start):
        if not binary and not (selector[0].isalpha() or selector[0] == "_"):
            continue
        if selector.startswith("_") and not prefix.startswith("_"):
            continue
        if not selector.startswith(prefix):
            continue
        text = selector.split(":")[0] + ":" if ":" in selector else selector
        if text in seen or (prefix and not (text[0].isalpha() or text[0] == "_")):
            continue
        seen.add(text)
        out.append(Candidate(text, -replace, selector, meta))
    if prefix.startswith("_"):
        from uvm.runtime.primitives import PRIMITIVES
        for selector in sorted(PRIMITIVES):
            text = selector.split(":")[0] + ":" if ":" in selector else selector
            if selector.startswith(prefix) and text not in seen:
                seen.add(text)
                out.append(Candidate(text, -replace, selector, "primitive"))
    return out


def _rows(session, start: UvmObject) -> list[tuple[str, str]]:
    """(selector, where it comes from) for everything ``start`` answers: its own slots
    first, then each parent's in lookup order; alphabetical within one holder."""
    cache = session.cache.setdefault("rows", {})
    key = id(start)
    if key in cache:
        return cache[key]
    rows: list[tuple[str, str]] = []
    seen_objects: set[int] = set()
    seen: set[str] = set()

    def walk(obj) -> None:
        if not isinstance(obj, UvmObject) or id(obj) in seen_objects:
            return
        seen_objects.add(id(obj))
        holder = session.names.name(obj) or ("this object" if obj is start else "a parent")
        mine = []
        for name, kind in obj._kinds.items():
            value = obj._slots[name]
            what = ("parent" if kind & PARENT else "method" if type(value) is Method
                    else "data")
            for selector in (name, name + ":") if kind & ASSIGNABLE else (name,):
                if selector not in seen:
                    seen.add(selector)
                    label = what if selector == name else "assignment"
                    mine.append((selector, f"{label} · {holder}"))
        rows.extend(sorted(mine, key=lambda r: r[0].lower()))
        for name, kind in obj._kinds.items():
            if kind & PARENT:
                walk(obj._slots[name])

    walk(start)
    cache[key] = rows
    return rows


def _vocabulary(session) -> list[str]:
    """Every selector some object reachable from the lobby answers (for receivers that
    cannot be resolved): the names of their slots, gathered without running code."""
    vocab = session.cache.get("vocabulary")
    if vocab is None:
        found: dict[str, None] = {}
        todo, seen = [session.image.lobby], set()
        while todo and len(seen) < _VOCABULARY_LIMIT:
            obj = todo.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            for name, kind in obj._kinds.items():
                found.setdefault(name)
                if kind & ASSIGNABLE:
                    found.setdefault(name + ":")
                value = obj._slots[name]
                if isinstance(value, UvmObject) and id(value) not in seen:
                    todo.append(value)
        vocab = session.cache["vocabulary"] = sorted(found, key=str.lower)
    return vocab


def _from_vocabulary(session, prefix: str) -> list[Candidate]:
    out, seen = [], set()
    for selector in _vocabulary(session):
        if selector.startswith(prefix) and not selector.startswith("_") or \
                (prefix.startswith("_") and selector.startswith(prefix)):
            text = selector.split(":")[0] + ":" if ":" in selector else selector
            if text not in seen and (text[0].isalpha() or text[0] == "_"):
                seen.add(text)
                out.append(Candidate(text, -len(prefix), selector, "some object"))
    return out


# --- commands ----------------------------------------------------------------------------

def _command(session, text: str, explicit: bool) -> list[Candidate]:
    from uvm.repl.commands import COMMANDS, find_command
    if " " not in text:
        word = text[1:]
        return [Candidate(":" + c.name, -len(text), ":" + c.name, c.summary)
                for c in COMMANDS.values() if c.name.startswith(word)]
    name, rest = text.split(" ", 1)
    cmd = find_command(name[1:])
    if cmd is None:
        return []
    last = rest.split(" ")[-1]
    if cmd.complete == "choices":
        return [Candidate(c, -len(last), c) for c in cmd.choices if c.startswith(last)]
    if cmd.complete == "command":
        return [Candidate(c.name, -len(last), c.name, c.summary)
                for c in COMMANDS.values() if c.name.startswith(last)]
    if cmd.complete == "history":
        entries = session.image.history(30) if hasattr(session.image, "history") else []
        return [Candidate(e.id, -len(last), e.id, _first_line(e.source))
                for e in entries if e.id.startswith(last) and e.origin != "bootstrap"]
    if cmd.complete == "file":
        return _paths(last)
    if cmd.complete == "code+file" and ("/" in last or "." in last) and " " in rest.strip():
        return _paths(last)
    if cmd.complete in ("code", "code+file"):
        return _code(session, rest, explicit)
    if cmd.complete == "selector":
        return [Candidate(s, -len(last), s) for s in _method_selectors(session)
                if s.startswith(last)]
    return []


def _method_selectors(session) -> list[str]:
    """Every selector some reachable object has a method for (for :senders and the like)."""
    found = session.cache.get("method selectors")
    if found is None:
        from uvm.image.fileout import walk_paths
        from uvm.runtime.objects import Method
        names = {name for obj, _ in walk_paths(session.image.lobby, limit=None)
                 for name, value in obj._slots.items() if type(value) is Method}
        found = session.cache["method selectors"] = sorted(names)
    return found


def _first_line(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0][:60] if text else ""


def _paths(word: str) -> list[Candidate]:
    """Files and directories whose path starts with ``word``."""
    folder, base = os.path.split(word)
    try:
        entries = sorted(os.listdir(os.path.expanduser(folder) or "."))
    except OSError:
        return []
    out = []
    for entry in entries:
        if entry.startswith(base) and (base.startswith(".") or not entry.startswith(".")):
            path = os.path.join(folder, entry)
            if os.path.isdir(os.path.expanduser(path)):
                path += os.sep
            out.append(Candidate(path, -len(word), entry + (os.sep if path.endswith(os.sep) else "")))
    return out
