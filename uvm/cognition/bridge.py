"""What the mind's prototypes call: ``cognition`` in UVM is this module (through the
``python import:`` bridge), so each function is named as UVM sends it
(``cognition infer: p Text: t System: s`` calls ``infer(p, text=t, system=s)``).

Each finds the image it runs in (``uvm.image.image.current_image``), answers UVM values,
and turns a failure into a ``UvmError`` that says what went wrong. Importing this module
registers the facet brief with the synthesis pipeline (``uvm.cognition.facets``): a
persona's ``doesNotUnderstand:`` reaches it first for that reason.
"""
from __future__ import annotations

from uvm.cognition import cycle as cycle_mod
from uvm.cognition import facets, personas, router, thoughts
from uvm.llm.errors import LLMError
from uvm.runtime.errors import UvmError
from uvm.runtime.objects import UvmList, UvmObject

facets.register()


def _image():
    from uvm.image.image import current_image
    image = current_image()
    if image is None:
        raise UvmError("the mind works only inside an open image")
    return image


def _persona(obj) -> UvmObject:
    if not personas.is_persona(obj):
        raise UvmError("this needs a persona (an object that inherits from traits persona)")
    return obj


def infer(persona, text=None, system=None) -> str:
    """``robin infer: 'text' System: 'intent'``."""
    persona = _persona(persona)
    name = personas.codex_of(persona).name
    if not isinstance(text, str):
        raise UvmError(f"{name} infer: needs a string, not {type(text).__name__}")
    if system is not None and not isinstance(system, str):
        raise UvmError(f"{name} infer:System: needs a string as the system prompt")
    try:
        return personas.infer(_image(), persona, text, system).text
    except LLMError as e:
        raise UvmError(f"{name} infer: the model could not answer: {e}") from None


def adapterInfoOf(persona) -> str:  # noqa: N802 (named as UVM sends it)
    """``robin adapterInfo``."""
    persona = _persona(persona)
    return personas.adapter_description(_image(), personas.codex_of(persona))


def facetSelectorFor(name) -> str:  # noqa: N802 (named as UVM sends it)
    if not isinstance(name, str):
        raise UvmError("a pillar's name must be a string")
    return personas.facet_selector(name)


def route(text) -> UvmList:
    """``mind route: 'text'``: a list of (persona & score) pairs, best first."""
    routing = _routing(text)
    return UvmList([UvmList([persona, round(score, 4)]) for persona, score in routing.ranking])


def pick(text) -> UvmList:
    """``mind pick: 'text'``: the personas to ask."""
    return UvmList(_routing(text).picked)


def _routing(text):
    if not isinstance(text, str):
        raise UvmError("mind route: needs a string")
    try:
        return router.route(_image(), text)
    except (LLMError, router.RouterError) as e:
        raise UvmError(f"mind route: {e}") from None


def facetsOf(persona) -> UvmList:  # noqa: N802
    return UvmList([f.selector for f in facets.facet_status(_persona(persona)) if f.written])


def unwrittenFacetsOf(persona) -> UvmList:  # noqa: N802
    return UvmList([f.selector for f in facets.facet_status(_persona(persona)) if not f.written])


# --- the Synaptic Cycle (40-cycle.uvm) ---------------------------------------------------------------

def _cycle(obj) -> UvmObject:
    if not isinstance(obj, UvmObject) or "state" not in obj._slots:
        raise UvmError("this needs a cycle (a clone of cognitiveCycle)")
    return obj


def _thinking(fn, cycle, *args):
    """A state's work: a model failure is an error of the state that asked."""
    try:
        return fn(_image(), _cycle(cycle), *args)
    except LLMError as e:
        raise UvmError(f"the model could not answer: {e}") from None


def workingSlotFor(cycle, query=None):  # noqa: N802 (named as UVM sends it)
    if not isinstance(query, str) or not query.strip():
        raise UvmError("a thought needs a question (a non-empty string)")
    return _thinking(cycle_mod.begin, cycle, query)


def decompose(cycle):
    return _thinking(cycle_mod.decompose, cycle)


def delegate(cycle):
    return _thinking(cycle_mod.delegate, cycle)


def synthesize(cycle):
    return _thinking(cycle_mod.synthesize, cycle)


def complete(cycle):
    return _thinking(cycle_mod.finish, cycle)


def doom(cycle):
    return cycle_mod.doom(_image(), _cycle(cycle))


def think(cycle, query=None):
    """``aCycle think: 'question'``."""
    return cycle_mod.think(_image(), _cycle(cycle), query)


def ask(persona, query=None) -> str:
    """``robin ask: 'question'``: a thought of this persona alone."""
    return cycle_mod.ask(_image(), query, _persona(persona))


def askMind(query) -> str:  # noqa: N802
    """``mind ask: 'question'``: the router picks who thinks."""
    return cycle_mod.ask(_image(), query)


def thoughtsOf(mind, count=None) -> UvmList:  # noqa: N802
    """``mind thoughts: n``, read from the database ``mind`` is in (so a view of the image
    as of an earlier evaluation lists the thoughts it had then)."""
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise UvmError("mind thoughts: needs a count (a whole number, 0 or more)")
    jar = getattr(mind, "_p_jar", None)
    root = jar.root() if jar is not None else _image().connection.root()
    return UvmList(thoughts.recent(root, count))


def describeThought(thought) -> str:  # noqa: N802
    if not thoughts.is_thought(thought):
        raise UvmError("this is not a thought (see mind thoughts)")
    return "\n".join(thoughts.describe(thoughts.trace_of(thought)))
