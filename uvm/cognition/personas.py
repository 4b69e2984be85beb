"""The personas seen from Python: their codex, read from the prototypes without running
UVM code, and their inference.

A persona (``robin``, ``10-personas.uvm``) is any object that inherits from ``traits
persona``. Its inference is one generation of the base model with the persona's LoRA
adapter hot (switched through the memory manager, ``uvm.llm.memory``), run like every
generation inside an evaluation (``uvm.llm.generation``: the time limit, the status line,
Ctrl-C), and outside the confinement of a model-written facet that asked for it
(``uvm.runtime.confinement.trusted``: the seconds, the memory and the records it writes
are the model's, not the method's). Each call is recorded in the
evaluation's transaction under ``uvm.inferences``: persona, pillar (when the system
prompt is one of its pillars' intents), adapter, tier moves, tokens, seconds; and counted
per persona in ``root['uvm.persona_use']``.
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import re
import time
from dataclasses import dataclass, field

from uvm.runtime import send as send_mod
from uvm.runtime.objects import UvmObject

INFER_MAX_TOKENS = 128
INFERENCES = "uvm.inferences"  # the transaction-metadata key
USE_COUNTS = "uvm.persona_use"  # root: persona name -> BTrees.Length, calls so far


@dataclass(frozen=True)
class Pillar:
    name: str
    intent: str

    @property
    def selector(self) -> str:
        return facet_selector(self.name)


@dataclass(frozen=True)
class Codex:
    """What a persona is, as plain data."""
    name: str
    mandate: str
    protocol: str
    cem_component: str
    pillars: tuple[Pillar, ...]
    utterances: tuple[str, ...]
    adapter: str | None

    def route_texts(self) -> list[str]:
        """What the router compares a query with: the pillars' intents, then the example
        utterances (the semantic-router's "utterances" of this route)."""
        return [p.intent for p in self.pillars] + list(self.utterances)

    def digest(self) -> str:
        """Changes whenever a text the router embeds changes."""
        return hashlib.sha256("\x00".join([self.name] + self.route_texts()).encode()).hexdigest()[:16]

    def pillar_for(self, selector: str) -> Pillar | None:
        return next((p for p in self.pillars if p.selector == selector), None)


def facet_selector(pillar_name: str) -> str:
    """A pillar's facet selector: its name's words, camel-cased, as a one-argument keyword
    (``Sage`` -> ``sage:``, ``Simple Heart`` -> ``simpleHeart:``)."""
    words = re.findall(r"[A-Za-z0-9]+", pillar_name)
    if not words:
        return "facet:"
    first = words[0]
    head = first[0].lower() + first[1:]
    if head[0].isdigit():
        head = "facet" + head
    return head + "".join(w[0].upper() + w[1:] for w in words[1:]) + ":"


# --- reading the codex (no UVM code runs) ----------------------------------------------------------

def slot(obj: UvmObject, name: str, default=None):
    """The value of slot ``name`` as lookup finds it (own or inherited), without sending."""
    found = send_mod.lookup(obj, name)
    if found is None or found[2]:
        return default
    holder, slot_name, _ = found
    return holder._slots[slot_name]


def persona_trait() -> UvmObject | None:
    world = send_mod.world
    return world.traits._slots.get("persona") if world is not None else None


def is_persona(obj) -> bool:
    trait = persona_trait()
    if not isinstance(obj, UvmObject) or trait is None or obj is trait:
        return False
    from uvm.llm.synthesis.receiver import parent_chain
    return any(o is trait for o in parent_chain(obj)[1:])


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def codex_of(persona: UvmObject) -> Codex:
    pillars = []
    for p in slot(persona, "pillars") or ():
        if isinstance(p, UvmObject):
            name, intent = slot(p, "name"), slot(p, "intent")
            if isinstance(name, str) and name.strip():
                pillars.append(Pillar(name, _text(intent)))
    adapter = slot(persona, "adapter")
    return Codex(name=_text(slot(persona, "name")) or "PERSONA",
                 mandate=_text(slot(persona, "mandate")),
                 protocol=_text(slot(persona, "protocol")),
                 cem_component=_text(slot(persona, "cemComponent")),
                 pillars=tuple(pillars),
                 utterances=tuple(u for u in slot(persona, "utterances") or () if isinstance(u, str)),
                 adapter=adapter.upper() if isinstance(adapter, str) and adapter.strip() else None)


def the_mind(lobby: UvmObject) -> UvmObject | None:
    """The ``mind`` object of an image's world (an image older than core version 7, read
    without upgrading, has none)."""
    globals_ = lobby._slots.get("globals")
    mind = globals_._slots.get("mind") if isinstance(globals_, UvmObject) else None
    return mind if isinstance(mind, UvmObject) else None


def personas_of(lobby: UvmObject) -> list[UvmObject]:
    """The mind's personas, in its order."""
    mind = the_mind(lobby)
    found = slot(mind, "personas") if mind is not None else None
    return [p for p in found or () if is_persona(p)]


def adapter_description(image, codex: Codex) -> str:
    """Where the persona's adapter is: its BLOB proxy in the pLLM's OOBTree, or (until the
    image is awakened) the file shipped with UVM."""
    if codex.adapter is None:
        return f"{codex.name} has no adapter of its own: it asks the base model"
    from uvm.llm.pllm import bundled_adapters, get_pllm
    pllm = get_pllm(image)
    proxy = pllm.adapters.get(codex.adapter) if pllm is not None else None
    if proxy is not None:
        return (f"{codex.adapter}: a BLOB in this image's pLLM, {proxy.size} bytes, rank "
                f"{proxy.config.get('r')}, sha256 {str(proxy.digest)[:12]}")
    if pllm is None and codex.adapter in bundled_adapters():
        return (f"{codex.adapter}: not in this image yet (`uvm awaken` imports it); until then "
                "the file shipped with UVM")
    return (f"{codex.adapter}: no such adapter in this image (`uvm persona import "
            f"{codex.adapter} FILE` stores one)")


# --- inference -------------------------------------------------------------------------------------

@dataclass
class Inference:
    text: str
    record: dict


def infer(image, persona: UvmObject, text: str, system: str | None = None, *,
          max_tokens: int | None = None, temperature: float = 0.0, seed: int | None = None,
          backend=None) -> Inference:
    """One answer from ``persona``: the run's backend (``evaluation_backend``), the
    persona's adapter, ``system`` as the system prompt if given; ``max_tokens`` by default
    ``INFER_MAX_TOKENS``, or a thought's budget for its facets. Raises ``LLMError``."""
    from uvm.llm.generation import generate
    from uvm.llm.settings import evaluation_backend
    from uvm.runtime.confinement.trusted import trusted
    codex = codex_of(persona)
    system = system if isinstance(system, str) and system.strip() else None
    msgs = ([{"role": "system", "content": system}] if system else []) + \
        [{"role": "user", "content": text}]
    max_tokens = max_tokens or _token_budget.get() or INFER_MAX_TOKENS
    collecting = _deferral.get()
    if collecting is not None and backend is None:
        return collecting.defer(codex, msgs, system, max_tokens)
    status = _status_provider.get()
    with trusted():  # a facet's call: the model's seconds, memory and records, not the method's
        if backend is None:
            backend = evaluation_backend(image)
        inner = getattr(backend, "inner", backend)  # a recording wraps the real backend
        if hasattr(inner, "load"):
            inner.load()
        memory = getattr(inner, "memory", None)
        moves_before = len(memory.moves) if memory is not None else 0
        started = time.monotonic()
        answer = generate(backend, msgs, adapter=codex.adapter, max_tokens=max_tokens,
                          temperature=temperature, seed=seed,
                          status=status or (lambda s: f"{codex.name} answering"
                                                     + ("" if s is None else f" ({s:.1f} s)")))
        seconds = time.monotonic() - started
        record = _record_of(codex, system, inner, memory, moves_before, answer, seconds, backend)
        _record(image, record)
    return Inference(answer.strip(), record)


def _record_of(codex, system, inner, memory, moves_before, answer, seconds, backend) -> dict:
    return {
        "persona": codex.name,
        "pillar": next((p.name for p in codex.pillars if system and p.intent == system), None),
        "system": hashlib.sha256(system.encode()).hexdigest()[:12] if system else None,
        "adapter": codex.adapter,
        "tiers": [[name, tier, round(ms, 3)] for name, tier, ms in
                  (memory.moves[moves_before:] if memory is not None else [])],
        "tokens": count_tokens(inner, answer),
        "seconds": round(seconds, 3),
        "backend": getattr(backend, "spec", "?"),
    }


# --- deferred inference: a thought's facets answered in one batch -----------------------------------

_deferral: contextvars.ContextVar = contextvars.ContextVar("uvm_deferral", default=None)
_status_provider: contextvars.ContextVar = contextvars.ContextVar("uvm_infer_status", default=None)
_token_budget: contextvars.ContextVar = contextvars.ContextVar("uvm_infer_tokens", default=None)


@dataclass
class Deferral:
    """Inference asked for while a thought collects its facets' requests: each call answers
    a placeholder at once, and ``answer`` then generates them all in one batch
    (``uvm.llm.batch``) and says what each placeholder stands for."""
    calls: list = field(default_factory=list)
    seconds: float = 0.0
    batched: bool = False

    def defer(self, codex: Codex, msgs: list[dict], system, max_tokens: int) -> Inference:
        token = f"\x00uvm-deferred-{len(self.calls)}\x00"
        self.calls.append((token, codex, msgs, system, max_tokens))
        return Inference(token, {})

    def answer(self, image, backend=None, progress=None) -> dict[str, str]:
        """placeholder -> the persona's answer; each call recorded as ``infer`` records it."""
        from uvm.llm.backend import Request
        from uvm.llm.batch import can_batch, complete_each
        from uvm.llm.settings import evaluation_backend
        from uvm.runtime.confinement.trusted import trusted
        if not self.calls:
            return {}
        with trusted():
            backend = backend or evaluation_backend(image)
            inner = getattr(backend, "inner", backend)
            if hasattr(inner, "load"):
                inner.load()
            memory = getattr(inner, "memory", None)
            before = len(memory.moves) if memory is not None else 0
            requests = [Request.make(msgs, max_tokens=n, adapter=codex.adapter)
                        for _, codex, msgs, _, n in self.calls]
            self.batched = can_batch(backend) and len(requests) > 1
            started = time.monotonic()
            texts = complete_each(backend, requests, progress)
            self.seconds = time.monotonic() - started
            out = {}
            for (token, codex, _, system, _), text in zip(self.calls, texts):
                record = _record_of(codex, system, inner, memory, before, text,
                                    self.seconds / len(texts), backend)
                record["batch"] = len(texts) if self.batched else 1
                _record(image, record)
                before = len(memory.moves) if memory is not None else 0
                out[token] = text.strip()
        return out


@contextlib.contextmanager
def deferring():
    """Inside: a persona's inference is deferred (see ``Deferral``)."""
    d = Deferral()
    reset = _deferral.set(d)
    try:
        yield d
    finally:
        _deferral.reset(reset)


@contextlib.contextmanager
def token_budget(max_tokens: int):
    """Inside: an inference that names no token limit (a facet's) has this one."""
    reset = _token_budget.set(max_tokens)
    try:
        yield
    finally:
        _token_budget.reset(reset)


@contextlib.contextmanager
def status_of_thought(status):
    """Inside: a generation's status line reads ``status(seconds)`` (a thought's state)."""
    reset = _status_provider.set(status)
    try:
        yield
    finally:
        _status_provider.reset(reset)


def count_tokens(backend, text: str) -> int | None:
    """Tokens of ``text`` by the backend's own tokenizer (None for a backend that has no
    tokenizer here: a server, a test double)."""
    loaded = getattr(backend, "loaded", None)
    tokenizer = getattr(loaded, "tokenizer", None)
    if tokenizer is None:
        return None
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def _record(image, record: dict) -> None:
    """Add the call to the evaluation's transaction metadata (a list, in call order) and
    count it in the persona's use counter. The count is also what makes an evaluation that
    only asked a persona write a transaction, so that its metadata is kept: ZODB writes
    nothing for a transaction that changed nothing."""
    if image is None:
        return
    ext = image.tm.get().extension
    ext[INFERENCES] = list(ext.get(INFERENCES, [])) + [record]
    from BTrees.Length import Length
    from BTrees.OOBTree import OOBTree
    root = image.connection.root()
    counts = root.get(USE_COUNTS)
    if counts is None:
        counts = root[USE_COUNTS] = OOBTree()
    if record["persona"] not in counts:
        counts[record["persona"]] = Length()
    counts[record["persona"]].change(1)  # a Length resolves concurrent increments


def use_counts(image) -> dict[str, int]:
    """How often each persona has been asked, in this image's committed history."""
    counts = image.connection.root().get(USE_COUNTS) or {}
    return {name: length() for name, length in counts.items()}
