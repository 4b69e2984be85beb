"""What ``cem.uvm`` calls: ``mind cem``, ``mind audit``, ``mind feedback:`` and the rest,
each named as UVM sends it (``cemPy feedback: self Verdict: v`` calls
``feedback(self, verdict=v)``). Each answers UVM values and turns a failure into a
``UvmError`` that says what is wrong."""
from __future__ import annotations

from uvm.cognition import thoughts
from uvm.cognition.cem import live, metrics, missions, series, tuning, view
from uvm.runtime.errors import UvmError
from uvm.runtime.objects import UvmDict, UvmList

VERDICTS = {"good": True, "bad": False}


def _image():
    from uvm.image.image import current_image
    image = current_image()
    if image is None:
        raise UvmError("the CEM works only inside an open image")
    return image


def _root(mind):
    """The database ``mind`` is in (a view of the image as of an earlier evaluation reads
    the series it had then)."""
    jar = getattr(mind, "_p_jar", None)
    return jar.root() if jar is not None else _image().connection.root()


def cemOf(mind) -> str:  # noqa: N802 (named as UVM sends it)
    """``mind cem``."""
    return "\n".join(view.lines(_root(mind)))


def weightsOf(mind) -> UvmDict:  # noqa: N802
    return UvmDict(series.weights(_root(mind)))


def setWeights(mind, weights=None) -> UvmDict:  # noqa: N802
    """``mind cemWeights: aDictionary``: weights set by hand (logged, undoable)."""
    if isinstance(weights, UvmDict):
        weights = dict(weights.entries())
    if not isinstance(weights, dict):
        raise UvmError("cemWeights: needs a dictionary of rel, cog, sol and struc")
    new = dict(series.weights(_image().connection.root()))
    for key, value in weights.items():
        if key not in metrics.COMPONENTS:
            raise UvmError(f"cemWeights: {key!r} is not a component (rel, cog, sol, struc)")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise UvmError(f"cemWeights: the weight of {key} must be a number, 0 or more")
        new[key] = float(value)
    if sum(new.values()) <= 0:
        raise UvmError("cemWeights: at least one weight must be above 0")
    series.set_weights(_image().connection.root(), new, "set by hand (mind cemWeights:)", "hand")
    return UvmDict(series.weights(_image().connection.root()))


def seriesOf(mind, count=None) -> UvmList:  # noqa: N802
    """``mind cemSeries: n``: the last n records as dictionaries (without the embedding)."""
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise UvmError("cemSeries: needs a count (a whole number, 0 or more)")
    out = []
    for r in series.records(_root(mind), count):
        r.pop("vector", None)
        out.append(thoughts.to_uvm(r))
    return UvmList(out)


def audit(mind) -> str:
    """``mind audit``: ALFRED's audit now; on a signal its mission runs in this evaluation
    (which history then lists as ``autotelic``)."""
    image = _image()
    return "\n".join(live.start_mission(image, live.audit(image)).lines())


def missionsOf(mind) -> UvmList:  # noqa: N802
    return UvmList([f"{m['id'][:15]} {missions.describe(m)}" for m in missions.missions(_root(mind))])


def feedback(mind, verdict=None, thought=None) -> str:
    """``mind feedback: 'good'`` (the last thought) and ``aThought feedback: 'bad'``."""
    image = _image()
    if not isinstance(verdict, str) or verdict.strip().lower() not in VERDICTS:
        raise UvmError("feedback: takes 'good' or 'bad'")
    root = image.connection.root()
    if thought is None:
        last = thoughts.recent(root, 1)
        if not last:
            raise UvmError("feedback: there is no thought yet to give feedback on")
        thought = last[0]
    if not thoughts.is_thought(thought):
        raise UvmError("feedback: this is not a thought (see mind thoughts)")
    ident = thought._slots["id"]
    series.give_feedback(root, ident, VERDICTS[verdict.strip().lower()])
    return f"feedback {verdict.strip().lower()} on thought {ident}"


def tune(mind) -> str:
    """``mind tuneCem``: the weights fitted from the history (logged, undoable)."""
    try:
        entry = tuning.tune(_image())
    except tuning.TuningError as e:
        raise UvmError(f"tuneCem: {e}") from None
    if entry is None:
        return "the weights stay: the history does not move them"
    new = "  ".join(f"w_{k} {entry['new'][k]:.2f}" for k in metrics.COMPONENTS)
    return f"weights now {new} ({entry['reason']})"


def liveOf(mind, practice=None) -> str:  # noqa: N802
    """``mind live`` / ``mind live: n``: the REPL runs the loop after this evaluation."""
    practice = live.PRACTICE_LIMIT if practice is None else practice
    if not isinstance(practice, int) or isinstance(practice, bool) or practice < 0:
        raise UvmError("live: needs the number of practice questions (0 or more)")
    live.request(practice=practice)
    return (f"live: the loop starts when this evaluation has committed -- up to {practice} practice "
            f"questions, an audit every {live.AUDIT_EVERY} thoughts; Ctrl-C stops it "
            "(in the REPL; a script runs uvm live)")
