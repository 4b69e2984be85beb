"""A model-written method's provenance: how people read it, and how source keeps it.

Provenance is a plain dict on the ``Method`` (model, prompt digest, attempts, seconds, when
it was written, the send it was written for...). Tools show it in words (``summary``,
``lines``): dates, seconds, and the send as UVM source. File-out writes it as a slot
annotation on the method, ``{ 'provenance {...JSON...}' selector = py'''...''' }``, which
the compiler turns back into the method's provenance when the file is filed in
(``split_annotations``), so a round trip keeps it.
"""
from __future__ import annotations

import datetime
import json

PREFIX = "provenance "   # an annotation holding provenance starts with this


def as_annotation(provenance: dict) -> str:
    """The annotation text that keeps ``provenance`` in source."""
    return PREFIX + json.dumps(provenance, sort_keys=True, ensure_ascii=False, default=str)


def split_annotations(annotations: tuple) -> tuple[dict | None, tuple]:
    """(the provenance an annotation holds or None, the other annotations)."""
    found, rest = None, []
    for text in annotations or ():
        if isinstance(text, str) and text.startswith(PREFIX):
            try:
                value = json.loads(text[len(PREFIX):])
            except ValueError:
                value = None
            if isinstance(value, dict):
                found = value
                continue
        rest.append(text)
    return found, tuple(rest)


def when(stamp) -> str:
    """A time stamp (seconds since the epoch) as a local date and time."""
    if not isinstance(stamp, (int, float)) or isinstance(stamp, bool):
        return "?"
    return datetime.datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M:%S")


def send_source(selector: str, receiver: str, args: list[str]) -> str:
    """``receiver selector-with-args`` as UVM source, from literals."""
    if not args:
        return f"{receiver} {selector}"
    if ":" not in selector:  # binary
        return f"{receiver} {selector} {args[0]}"
    parts = [p for p in selector.split(":") if p]
    return receiver + "".join(f" {part}: {arg}" for part, arg in zip(parts, args))


def example_text(provenance: dict, selector: str, holder_name: str | None = None) -> str | None:
    """The send the method was first written for, as UVM source (``?`` for a value with no
    literal); None when none was kept."""
    example = provenance.get("example")
    if not isinstance(example, dict):
        return None
    receiver = example.get("receiver") or holder_name or "?"
    return send_source(selector, receiver, [a if a is not None else "?"
                                            for a in example.get("args") or []])


def _seconds(value) -> str | None:
    return f"{value:.1f} s" if isinstance(value, (int, float)) else None


def summary(provenance: dict) -> str:
    """One line: who wrote it, when, in how many attempts and how long."""
    model = provenance.get("model") or provenance.get("backend") or "a model"
    attempts = provenance.get("attempts")
    parts = [f"by {model}" + (f" as {provenance['persona']}" if provenance.get("persona") else "")]
    if provenance.get("written") is not None:
        parts[0] += f" on {when(provenance.get('written'))}"
    if isinstance(attempts, int):
        parts.append(f"attempt {attempts}")
    took = _seconds(provenance.get("seconds"))
    if took:
        parts.append(took)
    if provenance.get("edited"):
        parts.append("edited by a person before it was installed")
    return ", ".join(parts)


# Keys shown in this order with these words; others follow as they are.
_WORDS = (("model", "model"), ("backend", "backend"), ("persona", "persona"),
          ("written", "written"), ("attempts", "attempts"), ("seconds", "took"),
          ("model_seconds", "in the model"), ("waiting_seconds", "waiting for approval"),
          ("edited", "edited"), ("sent_from", "sent from"), ("example", "first send"),
          ("prompt", "prompt digest"))


def lines(provenance: dict, selector: str, holder_name: str | None = None) -> list[str]:
    """``label: value`` lines for every fact in ``provenance``, in words."""
    out = []
    known = {key for key, _ in _WORDS} | {"synthesized"}
    for key, label in _WORDS:
        if key not in provenance or provenance[key] is None:
            continue
        value = provenance[key]
        if key == "written":
            value = when(value)
        elif key.endswith("seconds"):
            value = _seconds(value) or value
        elif key == "example":
            value = example_text(provenance, selector, holder_name)
        elif key == "edited":
            value = "yes, by a person before it was installed" if value else "no"
        out.append(f"{label}: {value}")
    out.extend(f"{key}: {provenance[key]}" for key in sorted(provenance) if key not in known)
    return out
