"""The model's brief for a tool proxy's selector that spells no operation.

``tools library booksAbout: 'whales'`` names no operationId, so the proxy's
``doesNotUnderstand:`` hands it to the one synthesis pipeline, which asks the providers
registered with it for a brief: for a tool proxy this module answers one whose request
lists the capability's operations as methods of ``self`` (the ones most like the
selector first), after two worked examples on a made-up weather API (one operation used
as it is, one composition of two). What the model writes passes the guardian, then the
tool audit (``mapping.audit_tool_method``: it may call only those operations), and runs
confined like any model-written method, under approval in the REPL. Its first run makes
its reads; its writes are only queued, and a declined or failed attempt drops them.

No secret reaches the prompt: the brief shows the capability's URL and operations, never
its headers, and every secret value is replaced in the messages as a last guard.
"""
from __future__ import annotations

import re

from uvm.cognition.tools import mapping
from uvm.cognition.tools import spec as specs
from uvm.llm.synthesis.guardian import Signature
from uvm.llm.synthesis.prompt import SYSTEM, Brief, arg_names_for
from uvm.llm.synthesis.receiver import describe_value, type_name

# The worked examples: a weather API that is not any capability's.
EXAMPLE_OPERATIONS = [
    {"id": "getForecast", "name": "getForecast", "method": "GET", "path": "/forecast/{city}",
     "summary": "The forecast for a city", "params": [
         {"name": "city", "in": "path", "required": True, "type": "string"}]},
    {"id": "searchCities", "name": "searchCities", "method": "GET", "path": "/cities",
     "summary": "Cities whose name contains the text", "params": [
         {"name": "name", "in": "query", "required": True, "type": "string"}]},
]
EXAMPLES = [
    ("forecastFor:", ("'Paris'", "string"),
     "def forecastFor_(self, text):\n    return self.getForecast_(text)\n"),
    ("forecastsOfCitiesNamed:", ("'York'", "string"),
     "def forecastsOfCitiesNamed_(self, text):\n"
     "    return [self.getForecast_(c['name']) for c in self.searchCities_(text)]\n"),
]


def operation_lines(operations, selector: str = "") -> list[str]:
    """Each operation as the method that calls it, most like ``selector`` first."""
    words = set(_words(selector))
    ranked = sorted((op for op in operations if op.get("id")),
                    key=lambda op: -len(words & set(_words(op["id"] + " " + op["summary"]))))
    lines = []
    for op in ranked:
        base, params = mapping.selector_parts(op)
        sel = "".join(p + ":" for p in base) if params else base[0]
        args = ", ".join(specs.python_name(p["name"]) for p in params)
        py = Signature.for_selector(sel).name + (f"({args})" if params else "")
        where = ", ".join(f"{p['name']} in {p['in']}" for p in params)
        lines.append(f"  self.{py}: {op['method']} {op['path']}"
                     + (f" ({where})" if where else "") + (f" -- {op['summary']}" if op["summary"] else ""))
    return lines


def _words(text: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return [w.lower().rstrip("s") for w in re.findall(r"[A-Za-z]+", spaced) if len(w) > 2]


def request(tool: str, url: str, operations, selector: str, args: list[tuple[str, str]],
            signature: str) -> str:
    shown = ", ".join(f"{v} (a{'n' if t[0] in 'aeiou' else ''} {t})" for v, t in args)
    lines = [f"The object `{tool}` is a proxy for the HTTP API at {url}. Each of its "
             "operations is a method of self:", *operation_lines(operations, selector),
             f"Write the method `{selector}` sent to it"
             + (f" with the argument{'s' if len(args) > 1 else ''} {shown}" if args else "")
             + ". It answers by calling these operations (and nothing else); their answers "
               "are lists, dictionaries, strings and numbers.",
             "Complete:\n" + signature]
    return "\n".join(lines)


class ToolBrief(Brief):
    """The brief for a tool proxy; the pipeline also asks it for ``audit``,
    ``provenance`` and ``remembered`` (``pipeline.register_brief_provider``)."""

    remembered = False  # a tool's methods are no worked examples for ordinary objects
    candidates = 1      # each candidate's trial would call the API: one answer, judged by its run
    for_writer = False  # the method writer never saw this prompt: the base model writes it

    def __init__(self, proxy, cap, selector: str, args: tuple, origin=None, image=None):
        signature = Signature.for_selector(selector, arg_names_for(selector, args))
        super().__init__(proxy, selector, args, proxy, signature, origin=origin, image=image)
        self.tool, self.url = cap.name, cap.url
        self.operations = [op for op in cap.operations if op["method"] in cap.methods]
        self.secret_values = [v for v in cap.secrets.values() if v]
        self.provenance = {"tool": cap.name}

    def examples(self) -> list:
        return []  # an answer from an outside API cannot be checked against a fixed value

    def text(self) -> str:
        args = [(describe_value(a), type_name(a)) for a in self.args]
        text = request(self.tool, self.url, self.operations, self.selector, args,
                       self.signature.source())
        if self.origin is not None:
            text = text.replace("\nComplete:", f"\nThe send is in this line: {self.origin[1]}"
                                "\nComplete:", 1)
        return text

    def messages(self, failures: list[tuple[str, str]], shots: int = 1) -> list[dict]:
        """The tool request after worked examples of its own (``shots``, the pipeline's
        count for ordinary methods, does not apply)."""
        msgs = [{"role": "system", "content": SYSTEM}]
        for selector, arg, source in EXAMPLES:
            msgs += [{"role": "user", "content": request(
                        "weather", "http://weather.example", EXAMPLE_OPERATIONS, selector, [arg],
                        source.split("\n", 1)[0])},
                     {"role": "assistant", "content": source}]
        text = self.text()
        if failures:
            text += f"\n(An earlier answer failed: {failures[-1][1]}. Write a correct one.)"
        msgs += [{"role": "user", "content": text},
                 {"role": "assistant", "content": self.answer_start()}]
        return [{**m, "content": self.redact(m["content"])} for m in msgs]

    def redact(self, text: str) -> str:
        from uvm.cognition.tools.capability import redact
        return redact(text, self.secret_values)

    def audit(self, code: str) -> None:
        mapping.audit_tool_method(code, self.operations)


def tool_brief(receiver, selector: str, args: tuple, image, origin=None) -> ToolBrief | None:
    """The provider registered with the pipeline: a tool brief for a tool proxy whose
    capability is granted, else None."""
    from uvm.cognition.tools import proxies
    name = proxies.tool_name(receiver)
    if name is None or image is None:
        return None
    from uvm.cognition.tools import door
    cap = door.capability(image, name)  # a refusal (not granted, revoked) is the answer
    return ToolBrief(receiver, cap, selector, args, origin=origin, image=image)


def register() -> None:
    from uvm.llm.synthesis import pipeline
    pipeline.register_brief_provider(tool_brief)
