"""Cognitive facets (the seed, Part III.1): a persona's pillar becomes a method on its first
use, written by the model through doesNotUnderstand.

``robin sage: 'query'`` is not understood until the Sage facet exists. That send reaches
the one synthesis pipeline (``uvm.llm.synthesis``), which asks the providers registered
with it for a brief: for a persona whose codex has a pillar with that selector, this
module answers a facet brief -- the Cognitive Facet Generation Mandate: the persona, the
pillar and its intent, the signature ``def sage_(self, query):`` -- after one worked
example of another persona's facet. The model writes the method, which must answer with
the persona's own inference guided by the pillar: ``self.infer_Pillar_(query, 'Sage')``
(the pillar's intent, read from the codex when it runs) or ``self.infer_System_(query,
'<the intent, exactly>')``. No new adapter: the facet reuses the persona's LoRA.

A pillar name copied with a slip is put right first (``revise_pillar_name``). Besides the
guardian's audit, ``audit_facet`` checks that the method calls nothing but that inference:
no other call, attribute or name, the query passed on, the pillar's own intent as the
system prompt. The method is then installed in the persona like any model-written
method, its provenance naming the persona (``facet_of``) and the ``pillar``; the commit
keeps it and undo takes it back.
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass

from uvm.cognition.personas import Codex, Pillar, codex_of, is_persona, slot
from uvm.llm.synthesis import pipeline
from uvm.llm.synthesis.guardian import CovenantViolationError, Signature
from uvm.llm.synthesis.prompt import SYSTEM, Brief
from uvm.runtime.objects import Method, UvmObject

QUERY = "query"
BY_PILLAR, BY_SYSTEM = "infer_Pillar_", "infer_System_"  # the inference a facet may call

# The worked example: a facet of a persona and pillar that are not in the codex.
EXAMPLE_PERSONA, EXAMPLE_PILLAR = "WREN", "Gardener"
EXAMPLE_INTENT = ("Speak as a patient gardener: see every question as something that grows, "
                  "and say what it needs next to grow well.")


def facet_request(persona: str, pillar: Pillar, signature: str) -> str:
    """The Cognitive Facet Generation Mandate for one pillar (the same shape for the worked
    example and the real brief: small models follow a pattern they have just seen)."""
    return "\n".join([
        f"Write the facet `{pillar.selector}` of the persona {persona}: the method for its "
        f"pillar {pillar.name}.",
        f"A facet answers the query with {persona}'s own inference, guided by the pillar: "
        f"it returns `self.{BY_PILLAR}(query, \"{pillar.name}\")`, which runs {persona}'s "
        "adapter with the pillar's intent as the system prompt. It calls nothing else.",
        f"The pillar's intent: {pillar.intent}",
        "Complete:\n" + signature])


def example_source(pillar: Pillar) -> str:
    return (f"def {Signature.for_selector(pillar.selector, (QUERY,)).name}(self, query):\n"
            f"    return self.{BY_PILLAR}(query, \"{pillar.name}\")\n")


class FacetBrief(Brief):
    """The brief for a pillar's facet; the pipeline also asks it for ``audit``,
    ``provenance`` and ``remembered`` (see ``pipeline.register_brief_provider``)."""

    remembered = False  # facets are not worked examples for ordinary methods
    candidates = 1      # each candidate's trial would ask the persona: one answer, judged by its run
    for_writer = False  # the method writer never saw this prompt: the base model writes facets

    def __init__(self, persona: UvmObject, codex: Codex, pillar: Pillar, args: tuple,
                 origin=None, image=None):
        signature = Signature.for_selector(pillar.selector, (QUERY,))
        super().__init__(persona, pillar.selector, args, persona, signature, origin=origin,
                         image=image)
        self.codex, self.pillar = codex, pillar
        self.provenance = {"facet_of": codex.name, "pillar": pillar.name}

    def examples(self) -> list:
        return []  # a facet's answer is the model's text: there is no value to test

    def text(self) -> str:
        return facet_request(self.codex.name, self.pillar, self.signature.source())

    def messages(self, failures: list[tuple[str, str]], shots: int = 1) -> list[dict]:
        """The facet request after one worked facet of its own (``shots`` is the
        pipeline's count for ordinary methods; a facet always shows its one example)."""
        example = Pillar(EXAMPLE_PILLAR, EXAMPLE_INTENT)
        first = f"def {Signature.for_selector(example.selector, (QUERY,)).name}(self, query):"
        text = self.text()
        if failures:
            text += f"\n(An earlier answer failed: {failures[-1][1]}. Write a correct one.)"
        return [{"role": "system", "content": SYSTEM},
                {"role": "user", "content": facet_request(EXAMPLE_PERSONA, example, first)},
                {"role": "assistant", "content": example_source(example)},
                {"role": "user", "content": text},
                {"role": "assistant", "content": self.answer_start()}]

    def revise(self, code: str) -> str:
        return revise_pillar_name(code, self.pillar, self.codex)

    def audit(self, code: str) -> None:
        audit_facet(code, self.signature, self.pillar)


def facet_brief(receiver, selector: str, args: tuple, image, origin=None) -> FacetBrief | None:
    """The provider registered with the pipeline: a facet brief when ``receiver`` is a
    persona whose codex has a pillar for this one-argument selector, else None."""
    if len(args) != 1 or not selector.endswith(":") or selector.count(":") != 1:
        return None
    if not is_persona(receiver):
        return None
    codex = codex_of(receiver)
    pillar = codex.pillar_for(selector)
    if pillar is None:
        return None
    return FacetBrief(receiver, codex, pillar, args, origin=origin, image=image)


def register() -> None:
    pipeline.register_brief_provider(facet_brief)


# --- before the audit: a slip in the pillar's name ---------------------------------------------------

def revise_pillar_name(code: str, pillar: Pillar, codex: Codex, slip: int = 2) -> str:
    """A small model copies an unusual pillar name with a slip (``"Capped Crusader"`` for
    Caped Crusader). A name within ``slip`` edits of this pillar's, and nearer to it than to
    any other pillar of the persona, is put right before the audit, as the pipeline adds a
    forgotten covenant line; anything else is left for the audit to judge."""
    from uvm.runtime.typos import edit_distance
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == BY_PILLAR and len(node.args) == 2
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            continue
        named = node.args[1].value
        if named == pillar.name:
            continue
        distances = {p.name: edit_distance(named.lower(), p.name.lower(), slip) for p in codex.pillars}
        mine = distances.get(pillar.name, slip + 1)
        if mine <= slip and all(d > mine for n, d in distances.items() if n != pillar.name):
            segment = ast.get_source_segment(code, node.args[1])
            if segment:
                return code.replace(segment, json.dumps(pillar.name), 1)
    return code


# --- the facet audit --------------------------------------------------------------------------------

def _fail(rule: str, node: ast.AST, detail: str = "") -> None:
    raise CovenantViolationError(f"a facet {rule}", getattr(node, "lineno", 1), detail)


def audit_facet(code: str, signature: Signature, pillar: Pillar) -> None:
    """A facet calls nothing but the persona's inference with the pillar's intent: raises
    ``CovenantViolationError`` otherwise (after the guardian's own audit has passed)."""
    fn = ast.parse(code).body[0]
    query = signature.params[1]
    allowed_names = {"self", query}
    constants: dict[str, str] = {}
    body = list(fn.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # a docstring
    calls = []
    for stmt in body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            if name in ("self", query):
                _fail("must not rebind self or the query", stmt, name)
            allowed_names.add(name)
            if isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                constants[name] = stmt.value.value
        elif not isinstance(stmt, ast.Return):
            _fail("may hold only assignments and a return", stmt, type(stmt).__name__)
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                calls.append(node)
                if not (isinstance(node.func, ast.Attribute) and node.func.attr in (BY_PILLAR, BY_SYSTEM)
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"):
                    _fail("may call nothing but the persona's inference", node, ast.unparse(node.func))
            elif isinstance(node, ast.Attribute) and node.attr not in (BY_PILLAR, BY_SYSTEM):
                _fail("may read no attribute but the persona's inference", node, ast.unparse(node))
            elif isinstance(node, (ast.Lambda, ast.comprehension, ast.NamedExpr)):
                _fail("may hold no lambdas or comprehensions", node)
    if not calls:
        _fail("must answer with the persona's inference", fn, f"self.{BY_PILLAR}(query, ...)")
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in allowed_names:
            _fail("may use no names but self, the query and its own locals", node, node.id)
    for call in calls:
        _check_inference_call(call, query, pillar, constants)
    last = body[-1] if body else None
    if not (isinstance(last, ast.Return) and last.value is not None):
        _fail("must return what the inference answers", last or fn)


def _check_inference_call(call: ast.Call, query: str, pillar: Pillar, constants: dict) -> None:
    if call.keywords or len(call.args) != 2:
        _fail("must pass the inference two arguments: the query and the pillar", call)
    text, guide = call.args
    if not any(isinstance(n, ast.Name) and n.id == query for n in ast.walk(text)):
        _fail("must pass the query on to the inference", call)
    value = guide.value if isinstance(guide, ast.Constant) else \
        constants.get(guide.id) if isinstance(guide, ast.Name) else None
    if call.func.attr == BY_PILLAR:
        if value != pillar.name:
            _fail(f"must name its own pillar, {pillar.name!r}", call)
    elif not isinstance(value, str) or " ".join(value.split()) != " ".join(pillar.intent.split()):
        _fail("must use its pillar's intent, exactly, as the system prompt", call,
              f"self.{BY_PILLAR}(query, {pillar.name!r}) says the same")


# --- which facets exist ---------------------------------------------------------------------------

@dataclass(frozen=True)
class FacetState:
    pillar: Pillar
    selector: str
    written: bool


def facet_status(persona: UvmObject) -> list[FacetState]:
    """Each pillar's facet: written (a method answers its selector) or only an intent."""
    return [FacetState(p, p.selector, isinstance(slot(persona, p.selector), Method))
            for p in codex_of(persona).pillars]
