"""doesNotUnderstand: synthesis: the model writes the missing method, the guardian audits
it, it is installed inside a savepoint and kept only when the send works.

Most tests use the ``script:`` test double (canned answers, in order); one runs the real
embedded model end to end through the ``uvm`` command."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from tests.conftest import script_file as script
import uvm
from uvm.llm.synthesis import library, pipeline
from uvm.llm.synthesis.answer import extract_function, method_ended, same_value
from uvm.llm.synthesis.prompt import arg_names_for
from uvm.llm.synthesis.receiver import typo_of
from uvm.llm.doubles import ScriptBackend
from uvm.llm.synthesis.guardian import Signature
from uvm.runtime import send as send_mod
from uvm.runtime.errors import UvmError

from .conftest import needs_ml

CALC = "lobby _AddSlots: (| calc = (| parent* = traits clonable |) |)"
GOOD = "def triple_(self, n):\n    return n * 3\n"


@pytest.fixture
def synth():
    """Install a synthesizer with a script backend; uninstall afterwards."""
    made = []

    def make(image, path, attempts=3, **kw):
        backend = ScriptBackend("script:" + path, path)
        s = pipeline.Synthesizer(image, attempts=attempts, backend=backend, **kw)
        send_mod.synthesizer = s
        made.append(s)
        return backend
    yield make
    pipeline.uninstall()


def digest(path) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# --- the good path -----------------------------------------------------------------------------

def test_a_good_answer_is_installed_kept_and_not_asked_again(tmp_path, synth):
    fs = str(tmp_path / "img.fs")
    with uvm.open(fs) as im:
        backend = synth(im, script(tmp_path, "```python\n" + GOOD + "```\nThat triples n."))
        im.eval(CALC)
        assert im.eval("calc triple: 3") == 9
        assert im.eval("calc triple: 5") == 15
        assert backend.calls == 1
        method = im.lobby._slots["calc"]._slots["triple:"]
        assert method.language == "python" and method.provenance["attempts"] == 1
        assert method.provenance["backend"].startswith("script:")
        assert method.provenance["persona"] is None and len(method.provenance["prompt"]) == 16
    pipeline.uninstall()
    with uvm.open(fs) as im:  # reopened, no model at all: the method is in the image
        assert im.eval("calc triple: 4") == 12


def test_the_transaction_records_model_and_attempts(tmp_path, synth):
    seen = {}
    with uvm.open(memory=True) as im:
        synth(im, script(tmp_path, GOOD))
        im.eval(CALC)
        s = send_mod.synthesizer
        record = s._record

        def spy(*args):
            record(*args)
            seen.update(im.tm.get().extension)
        s._record = spy
        assert im.eval("calc triple: 2") == 6
    assert seen["uvm.model"].startswith("script:") and seen["uvm.attempts"] == 1


def test_a_bare_body_gets_the_signature(tmp_path, synth):
    with uvm.open(memory=True) as im:
        synth(im, script(tmp_path, "    return n * 3\n"))
        im.eval(CALC)
        assert im.eval("calc triple: 7") == 21


def test_the_prompt_ends_with_the_exact_signature(tmp_path, synth):
    with uvm.open(memory=True) as im:
        backend = synth(im, script(tmp_path, "def at_Put_(self, at, put):\n    return at + put\n"))
        im.eval(CALC)
        assert im.eval("calc at: 1 Put: 2") == 3
        brief, answer_start = backend.requests[0].messages[-2:]
        assert brief[0] == "user" and brief[1].rstrip().endswith("def at_Put_(self, at, put):")
        assert "at:Put:" in brief[1] and "The send is in this line: calc at: 1 Put: 2" in brief[1]
        # the answer starts with the signature and an indent: the model writes the body
        assert answer_start == ("assistant", "def at_Put_(self, at, put):\n    ")


def test_a_method_that_answers_nothing_and_changes_nothing_is_retried(tmp_path, synth):
    with uvm.open(memory=True) as im:
        backend = synth(im, script(tmp_path, "def triple_(self, n):\n    n * 3\n", GOOD))
        im.eval(CALC)
        assert im.eval("calc triple: 3") == 9
        assert "answered nothing" in backend.requests[1].messages[-2][1]


def test_a_forgotten_covenant_line_is_added_not_sent_back(tmp_path, synth):
    with uvm.open(memory=True) as im:
        backend = synth(im, script(tmp_path, "def push_(self, n):\n    self.items.append(n)\n"))
        im.eval("lobby _AddSlots: (| stack = (| parent* = traits clonable. items <- list copy |) |)")
        im.eval("stack push: 4")
        assert backend.calls == 1 and list(im.eval("stack items")) == [4]
        assert im.lobby._slots["stack"]._slots["push:"].source.rstrip().endswith("self._p_changed = True")


def test_written_methods_join_the_library_and_undo_takes_them_out(tmp_path, synth):
    with uvm.open(str(tmp_path / "img.fs")) as im:
        backend = synth(im, script(tmp_path, "def shoutTwice(self):\n    return self.upper() * 2\n",
                                   "def whisperTwice(self):\n    return self.lower() * 2\n"))
        im.eval("'ab' shoutTwice")
        entries = library.image_examples(im)
        assert [e.selector for e in entries] == ["shoutTwice"]
        assert entries[0].kind == "string" and "upper" in entries[0].source
        im.eval("'AB' whisperTwice")  # its prompt shows the first as the nearest example
        shots = [c for r, c in backend.requests[1].messages[1:-2] if r == "assistant"]
        assert shots[-1].startswith("def shoutTwice(self):")
        im.undo(im.history(1)[0].id)
        assert [e.selector for e in library.image_examples(im)] == ["shoutTwice"]


def test_method_ended_finds_the_end_of_a_continued_body_or_a_whole_def():
    assert not method_ended(" return n * 3\n")
    assert method_ended(" return n * 3\ndef other(self):\n")
    assert not method_ended("```python\ndef f(self):\n    return 1\n")
    assert method_ended("```python\ndef f(self):\n    return 1\n```\n")
    # an unfinished line counts once its indent shows (the model went on with prose)
    assert method_ended(" return n * 3\n\nThis method tri")
    assert not method_ended(" x = n * 3\n   ") and not method_ended(" x = n\n    retu")


def test_host_values_get_the_method_in_their_trait(tmp_path, synth):
    with uvm.open(memory=True) as im:
        synth(im, script(tmp_path, "def squaredPlusOne(self):\n    return self * self + 1\n"))
        assert im.eval("4 squaredPlusOne") == 17
        assert "squaredPlusOne" in im.lobby._slots["traits"]._slots["integer"]._slots
        assert im.eval("5 squaredPlusOne") == 26


def test_clones_share_one_method_in_their_prototype(tmp_path, synth):
    with uvm.open(memory=True) as im:
        backend = synth(im, script(tmp_path, "def doubled(self):\n    return self.n * 2\n"))
        # Self's idiom: the shared behaviour lives in a user-made parent of the clones
        im.eval("lobby _AddSlots: (| point = (| parent* = traits clonable |) |)")
        im.eval("lobby _AddSlots: (| p1 = (| parent* = point. n <- 3 |). "
                "p2 = (| parent* = point. n <- 4 |) |)")
        assert im.eval("p1 doubled") == 6
        assert im.eval("p2 doubled") == 8
        assert im.eval("p1 clone doubled") == 6
        assert backend.calls == 1
        assert "doubled" in im.lobby._slots["point"]._slots
        assert "doubled" not in im.lobby._slots["p1"]._slots


# --- typos --------------------------------------------------------------------------------------

def test_a_typo_never_calls_the_model(tmp_path, synth):
    with uvm.open(memory=True) as im:
        backend = synth(im, script(tmp_path, GOOD))
        im.eval("lobby _AddSlots: (| calc = (| parent* = traits clonable. total <- 0 |) |)")
        with pytest.raises(UvmError, match=r"did you mean #total\?"):
            im.eval("calc totl")
        with pytest.raises(UvmError, match=r"did you mean #printString\?"):
            im.eval("3 printStrng")
        assert backend.calls == 0


# --- hostile answers ----------------------------------------------------------------------------

HOSTILE = {
    "import": "def triple_(self, n):\n    import os\n    return os.system('true')\n",
    "class walk": "def triple_(self, n):\n    return ().__class__.__bases__[0].__subclasses__()\n",
    "open": "def triple_(self, n):\n    return open('/etc/passwd').read()\n",
    "endless loop": "def triple_(self, n):\n    while True:\n        n = n + 1\n",
    "memory bomb": "def triple_(self, n):\n    return len('x' * 3000000000)\n",
    "swallowed time-out": ("def triple_(self, n):\n    while True:\n        try:\n"
                           "            while True:\n                n = n + 1\n"
                           "        except Exception:\n            n = 0\n"),
    "finally continue": ("def triple_(self, n):\n    while True:\n        try:\n"
                         "            n = n + 1\n        finally:\n            continue\n"),
    "prose": "Sure! To triple a number you multiply it by three, which gives the answer.",
    "syntax error": "def triple_(self, n):\n    return n *\n",
    "wrong signature": "def treble(self, n, m):\n    return n * 3\n",
    "raises": "def triple_(self, n):\n    return n / 0\n",
}


WHY = {
    "import": "imports are not allowed", "class walk": "attributes starting with '_'",
    "open": "open is not allowed", "endless loop": "ran longer than",
    "memory bomb": "memory bound", "swallowed time-out": "ran longer than",
    "finally continue": "continue inside finally", "prose": "not a Python function",
    "syntax error": "not valid Python", "wrong signature": "requested signature",
    "raises": "ZeroDivisionError",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_answers_are_rejected_and_the_image_is_unchanged(tmp_path, synth, kind):
    fs = str(tmp_path / "img.fs")
    with uvm.open(fs) as im:
        im.eval(CALC + ". calc _AddSlots: (| hits <- 0 |)")
    before = digest(fs)
    with uvm.open(fs) as im:
        backend = synth(im, script(tmp_path, *[HOSTILE[kind]] * 3), attempts=3, seconds=0.5)
        with pytest.raises(UvmError) as info:
            im.eval("calc hits: 41. calc triple: 3")
        msg = str(info.value)
        assert "#triple:" in msg and "3 attempts" in msg and "failed" in msg
        assert WHY[kind] in msg
        assert backend.calls == 3
        assert im.eval("calc hits") == 0  # the evaluation left nothing behind
        assert "triple:" not in im.lobby._slots["calc"]._slots
        assert im.eval("3 + 4") == 7  # alive
        im.tm.abort()
    assert digest(fs) == before


def test_the_error_is_fed_back_and_a_retry_can_succeed(tmp_path, synth):
    with uvm.open(memory=True) as im:
        backend = synth(im, script(tmp_path, HOSTILE["import"], HOSTILE["raises"], GOOD))
        im.eval(CALC)
        assert im.eval("calc triple: 3") == 9
        assert backend.calls == 3
        assert backend.batches[0][1] and not backend.batches[1][1]  # greedy first, then samples
        assert backend.requests[1].temperature > 0
        feedback = backend.requests[2].messages[-2][1]
        assert "failed" in feedback and "ZeroDivisionError" in feedback
        assert im.lobby._slots["calc"]._slots["triple:"].provenance["attempts"] == 3


def test_a_method_that_ran_out_of_time_leaves_no_writes(tmp_path, synth):
    with uvm.open(memory=True) as im:
        im.eval("lobby _AddSlots: (| calc = (| parent* = traits clonable. n <- 0 |) |)")
        loop = "def triple_(self, n):\n    self.n = 99\n    while True:\n        n = n + 1\n"
        synth(im, script(tmp_path, loop, GOOD), seconds=0.3)
        assert im.eval("calc triple: 3") == 9
        assert im.eval("calc n") == 0


# --- installing -------------------------------------------------------------------------------

def test_install_respects_no_llm(monkeypatch):
    from uvm.llm import settings
    monkeypatch.setattr(settings, "_run_spec", "none")
    with uvm.open(memory=True) as im:
        assert pipeline.install(im) is None
        assert send_mod.synthesizer is None
        with pytest.raises(UvmError, match="doesNotUnderstand: #frobnicate"):
            im.eval("nil frobnicate")


def test_uvm_open_does_not_install_it():
    send_mod.synthesizer = None
    with uvm.open(memory=True):
        assert send_mod.synthesizer is None


def test_the_cli_uses_the_script_backend(tmp_path):
    path = script(tmp_path, GOOD)
    r = subprocess.run([sys.executable, "-m", "uvm.cli", "--memory", "--llm", "script:" + path,
                        "-c", CALC + ". (calc triple: 3) printLine"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "9"


def test_a_method_written_before_a_lost_conflict_is_reused(tmp_path, synth):
    with uvm.open(memory=True) as im:
        backend = synth(im, script(tmp_path, GOOD))
        im.eval(CALC)
        oid = im.lobby._slots["calc"]._p_oid
        pipeline._conflict_cache[(oid, "triple:")] = GOOD
        assert im.eval("calc triple: 2") == 6
        assert backend.calls == 0


def test_typo_distance():
    known = {"printString", "sort", "total", "at:Put:"}
    assert typo_of("printStrng", known) == "printString"
    assert typo_of("totl", known) == "total"
    assert typo_of("sorted", known) is None
    assert typo_of("at:Pt:", known) == "at:Put:"
    assert typo_of("triple:", known) is None


def test_extract_function_forms():
    sig = Signature.for_selector("triple:", ("n",))
    assert extract_function("Here:\n```python\ndef triple_(self, n):\n    return n*3\n```\nDone.", sig) \
        == "def triple_(self, n):\n    return n*3\n"
    assert extract_function("def triple_(self, n):\n    return n*3\nprint(triple_(None, 3))", sig) \
        == "def triple_(self, n):\n    return n*3\n"
    assert extract_function("    return n*3", sig) == "def triple_(self, n):\n    return n*3\n"


# --- the real model -------------------------------------------------------------------------------

@needs_ml
def test_end_to_end_with_the_embedded_model(tmp_path, llm_cache):
    """The issue's example, with the real embedded model (and the method writer when one
    is bundled): the model loads from the image, writes its candidates in one batch, one
    is chosen, run confined and kept -- then a run with no model at all uses it. Without
    the method writer the base model often gets `triple:` wrong (the benchmark measures
    how often), so a failure is allowed, but only a clean one: a message, no traceback,
    nothing kept. Even the method writer gets a bare `triple:` wrong at times (with no
    intent it passes 38 % of the held-out plain tasks), so a wrong method is allowed too.
    No library's warning reaches the terminal."""
    from uvm.llm.pllm import METHOD_WRITER, bundled_adapters
    env = dict(os.environ)
    env.pop("UVM_LLM", None)
    env.pop("UVM_LLM_WRITER", None)
    fs = str(tmp_path / "calc.fs")
    first = subprocess.run([sys.executable, "-m", "uvm.cli", "--image", fs, "--llm", "embedded",
                            "-c", CALC + ". (calc triple: 3) printLine"],
                           capture_output=True, text=True, timeout=600, env=env)
    with uvm.open(fs) as im:
        calc = im.lobby._slots["calc"]
        method = calc._slots.get("triple:")
        provenance = dict(method.provenance) if method is not None else None
        try:
            wrote = method is not None and im.eval("calc triple: 5") == 15
        except UvmError:   # a kept method that is wrong may raise on another argument
            wrote = False
    assert "Warning" not in first.stderr and "[transformers]" not in first.stderr, first.stderr
    if first.returncode != 0:
        assert "could not write it" in first.stderr and "Traceback" not in first.stderr
        assert method is None   # nothing of the failed attempts stays
        return
    assert "Traceback" not in first.stderr
    assert provenance["adapter"] == (METHOD_WRITER if METHOD_WRITER in bundled_adapters() else None)
    assert provenance["candidates"] >= 1 and provenance["chosen_by"]
    again = subprocess.run([sys.executable, "-m", "uvm.cli", "--image", fs, "--no-llm",
                            "-c", "(calc triple: 5) printLine"],
                           capture_output=True, text=True, timeout=600, env=env)
    assert again.returncode == 0, again.stderr
    if wrote:   # the model got it right
        assert first.stdout.strip().splitlines()[-1] == "9" and again.stdout.strip() == "15"


def test_approval_mode_installs_only_what_is_accepted(tmp_path):
    """The REPL's approval mode asks before installing; a declined method leaves nothing."""
    script = tmp_path / "answers.jsonl"
    script.write_text('{"text": "def triple_(self, n):\\n    return n * 3\\n"}\n' * 2)
    with uvm.open(memory=True) as image:
        synth = pipeline.Synthesizer(image, backend=ScriptBackend(f"script:{script}", str(script)))
        seen = []
        synth.approver = lambda sel, code, where: seen.append((sel, code, where)) or False
        send_mod.synthesizer = synth
        try:
            image.eval("lobby _AddSlots: (| calc = (| parent* = traits clonable |) |)")
            with pytest.raises(UvmError, match="declined"):
                image.eval("calc triple: 3")
            assert seen and seen[0][0] == "triple:" and "n * 3" in seen[0][1]
            assert "triple:" not in image.lobby._slots["calc"]._slots
            synth.approver = lambda sel, code, where: True
            assert image.eval("calc triple: 3") == 9
        finally:
            send_mod.synthesizer = None


def test_an_intent_written_with_intend_as_reaches_the_prompt(tmp_path):
    script = tmp_path / "answers.jsonl"
    script.write_text('{"text": "def triple_(self, n):\\n    return n * 3\\n"}\n')
    backend = ScriptBackend(f"script:{script}", str(script))
    with uvm.open(memory=True) as image:
        send_mod.synthesizer = pipeline.Synthesizer(image, backend=backend)
        try:
            image.eval("lobby _AddSlots: (| calc = (| parent* = traits clonable |) |). "
                       "calc intend: 'triple:' As: 'three times the argument'")
            assert image.eval("calc triple: 4") == 12
        finally:
            send_mod.synthesizer = None
    prompt = "\n".join(content for _, content in backend.requests[0].messages)
    assert "three times the argument" in prompt


def test_seed_examples_use_the_signatures_the_pipeline_asks_for():
    sample = {"integer": 1, "float": 1.0, "string": "s", "list": [1], "boolean": True,
              "dictionary": {"k": 1}}
    for ex in library.seed():
        args = tuple(sample[kind] for _, kind in ex.args)
        expected = Signature.for_selector(ex.selector, arg_names_for(ex.selector, args))
        assert ex.source.split("\n", 1)[0] == expected.source(), ex.selector


def test_parameter_names_a_small_model_reads_right():
    names = arg_names_for
    assert names("at:Put:", (1, 2)) == ("at", "put")
    assert names("hypotenuseOf:And:", (3, 4)) == ("a", "b")
    assert names("clamp:Low:High:", (1, 2, 3)) == ("clamp", "low", "high")
    assert names("triple:", (3,)) == ("n",) and names("by:", (3,)) == ("by",)
    assert names("surroundedBy:", ("*",)) == ("text",) and names("totalOf:", ([1],)) == ("items",)


def test_examples_test_each_answer_and_their_changes_are_rolled_back(tmp_path, synth):
    wrong = "def bump_(self, n):\n    self.count = self.count + n * 2\n    return self.count\n"
    right = "def bump_(self, n):\n    self.count = self.count + n\n    return self.count\n"
    with uvm.open(memory=True) as im:
        backend = synth(im, script(tmp_path, wrong, right))
        im.eval("lobby _AddSlots: (| counter = (| parent* = traits clonable. count <- 0 |) |)")
        im.eval("counter intend: 'bump:' As: 'add n to the count'. "
                "counter intend: 'bump:' Example: 'counter bump: 10' Gives: 10")
        assert im.eval("counter bump: 5") == 5      # the example ran before this send...
        assert im.eval("counter count") == 5        # ...and what it changed was rolled back
        assert backend.calls == 2
        brief = backend.requests[0].messages[-2][1]
        assert "For example: `counter bump: 10` gives 10." in brief
        feedback = backend.requests[1].messages[-2][1]
        assert "the example `counter bump: 10` gave 20, not 10" in feedback


def test_with_examples_the_pipeline_samples_more_answers(tmp_path, synth):
    wrong = "def triple_(self, n):\n    return n * 4\n"
    with uvm.open(memory=True) as im:
        backend = synth(im, script(tmp_path, *[wrong] * pipeline.EXAMPLE_ATTEMPTS), attempts=2)
        im.eval(CALC + ". calc intend: 'triple:' Example: 'calc triple: 2' Gives: 6")
        with pytest.raises(UvmError, match="the example `calc triple: 2` gave 8, not 6"):
            im.eval("calc triple: 3")
        assert backend.calls == pipeline.EXAMPLE_ATTEMPTS
        assert "triple:" not in im.lobby._slots["calc"]._slots


def test_example_values_compare_as_uvm_values():
    same = same_value
    assert same(6, 6.0) and same([1, 2], [1, 2]) and same("ab", "ab") and same(True, True)
    assert not same(1, True) and not same([1, 2], [1, 2, 3]) and not same("6", 6)
    assert not same(None, 0) and same(None, None)


def test_with_examples_an_answer_that_ignores_its_inputs_is_not_kept(tmp_path, synth):
    copied = "def initials(self):\n    return 'at'\n"
    right = "def initials(self):\n    return ''.join(w[0] for w in self.split())\n"
    with uvm.open(memory=True) as im:
        backend = synth(im, script(tmp_path, copied, right))
        im.eval("traits string intend: 'initials' Example: '\\'alan turing\\' initials' Gives: 'at'")
        assert im.eval("'grace hopper' initials") == "gh"
        assert "ignores self and its arguments" in backend.requests[1].messages[-2][1]
