"""Near-copies: two methods whose normalised bodies differ in at most one name, operator or
constant.

A benchmark measures copying, not writing, when anything the system is given (the seed
library's worked examples, the method writer's training data) holds a task's answer with
one number or one operator changed (``self * 2`` for ``self * 3``). This finds such pairs
so that the benchmark can refuse to run and the training data generator can leave them
out.

Normalising: the body of the first ``def`` (its name and docstring dropped, and the
Persistence Covenant's ``self._p_changed = True``, which the pipeline adds itself), with
its parameters and local variables renamed by order of first use (``n``, ``x`` and
``total`` all read ``v0``...), printed by ``ast.unparse`` and cut into tokens. Two bodies
are near-copies when their token lists are equal, differ in exactly one token, or differ
only where one name is consistently replaced by another.
"""
from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass

_SKIP = {tokenize.ENCODING, tokenize.ENDMARKER, tokenize.NL, tokenize.COMMENT}


class _Renamer(ast.NodeTransformer):
    """Parameters and locals -> v0, v1, ... in order of first appearance."""

    def __init__(self, params: list[str]):
        self.names: dict[str, str] = {}
        self.bound = set(params)
        for p in params:
            self._name(p)

    def _name(self, name: str) -> str:
        if name not in self.names:
            self.names[name] = f"v{len(self.names)}"
        return self.names[name]

    def visit_Name(self, node: ast.Name):
        if isinstance(node.ctx, (ast.Store, ast.Del)) or node.id in self.bound:
            self.bound.add(node.id)
            return ast.copy_location(ast.Name(self._name(node.id), node.ctx), node)
        return node

    def visit_arg(self, node: ast.arg):
        self.bound.add(node.arg)
        node.arg = self._name(node.arg)
        return node


def _bound_names(fn: ast.FunctionDef) -> set[str]:
    """Names the body binds anywhere (so a read before the binding is renamed too)."""
    out = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
    return out


def _is_covenant(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Attribute) and stmt.targets[0].attr == "_p_changed")


def normalised_tokens(source: str) -> tuple[str, ...] | None:
    """The normalised body of the first function in ``source`` as tokens (None when it does
    not parse or holds no function)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    fn = next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)), None)
    if fn is None:
        return None
    body = [s for s in fn.body if not _is_covenant(s)]
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring
    params = [a.arg for a in fn.args.args[1:]]  # self stays self
    renamer = _Renamer(params)
    renamer.bound |= _bound_names(fn) - {fn.args.args[0].arg if fn.args.args else "self"}
    module = ast.Module([renamer.visit(s) for s in body] or [ast.Pass()], [])
    text = ast.unparse(ast.fix_missing_locations(module))
    try:
        return tuple(t.string if t.type != tokenize.NEWLINE else "\n"
                     for t in tokenize.generate_tokens(io.StringIO(text + "\n").readline)
                     if t.type not in _SKIP)
    except (tokenize.TokenError, IndentationError):
        return None


def differ_by_one(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Equal, or equal but for one substitution: one token (a name, operator or constant)
    replaced by another, at one place or consistently everywhere it occurs."""
    return len(a) == len(b) and len({(x, y) for x, y in zip(a, b) if x != y}) <= 1


@dataclass(frozen=True)
class Reference:
    """A task's answer: what must not be given to the system at run time."""
    name: str
    selector: str
    source: str


@dataclass(frozen=True)
class NearCopy:
    entry: str       # what the system is given (e.g. "seed isEven:")
    reference: str   # the task it nearly copies
    why: str

    def __str__(self) -> str:
        return f"{self.entry} is {self.why} of the task {self.reference}"


class NearCopyIndex:
    """References indexed by token count, for checking many entries quickly."""

    def __init__(self, references):
        self.references = list(references)
        self.by_length: dict[int, list[tuple[tuple[str, ...], Reference]]] = {}
        self.selectors = {r.selector: r for r in self.references}
        for r in self.references:
            tokens = normalised_tokens(r.source)
            if tokens is None:
                raise ValueError(f"the reference of task {r.name} does not parse")
            self.by_length.setdefault(len(tokens), []).append((tokens, r))

    def find(self, selector: str, source: str) -> tuple[Reference, str] | None:
        """The reference this entry copies or nearly copies, and how; None when none."""
        if selector in self.selectors:
            return self.selectors[selector], "the same selector as"
        tokens = normalised_tokens(source)
        if tokens is None:
            return None
        for ref_tokens, ref in self.by_length.get(len(tokens), ()):
            if differ_by_one(tokens, ref_tokens):
                return ref, "a near-copy (the same body up to one name, operator or constant)"
        return None


def near_copies(entries, references) -> list[NearCopy]:
    """Every ``(label, selector, source)`` entry that copies or nearly copies a reference."""
    index = references if isinstance(references, NearCopyIndex) else NearCopyIndex(references)
    out = []
    for label, selector, source in entries:
        found = index.find(selector, source)
        if found is not None:
            ref, why = found
            out.append(NearCopy(label, ref.name, why))
    return out
