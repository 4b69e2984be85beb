"""The Synaptic Cycle on the ``script:`` test double: every transition and failure path, the
thought as one transaction (kept whole, or doomed byte for byte), history and undo.

A script's answers come in the order the thought asks: the decomposition, then for each
pillar its facet's code (on first use) and its answer, then the weave (and its retry)."""
from __future__ import annotations


import pytest

import uvm
from uvm.cognition import cycle, thoughts
from uvm.cognition.personas import INFERENCES
from uvm.llm import settings
from uvm.llm.synthesis import pipeline
from uvm.runtime.errors import UvmError

FACETS = {
    "Sage": 'def sage_(self, query):\n    return self.infer_Pillar_(query, "Sage")\n',
    "Simple Heart": 'def simpleHeart_(self, query):\n    return self.infer_Pillar_(query, "Simple Heart")\n',
    "Joyful Spark": 'def joyfulSpark_(self, query):\n    return self.infer_Pillar_(query, "Joyful Spark")\n',
}
QUERY = "I lost my keys again."
SPLIT = ("1. What does losing keys feel like?\n2. What small comfort helps after losing keys?\n"
         "3. What is hopeful about losing keys?")
PARTS = ["Losing keys is part of the flow; breathe.", "Make a cup of tea and look slowly.",
         "You will find them, and it is a fresh start!"]
WOVEN = ("Losing your keys again is frustrating, but breathe, make a cup of tea and look slowly; "
         "you will find your keys, and every search is a fresh start.")


def first_thought(weave=(WOVEN,), split=SPLIT, parts=PARTS) -> list[str]:
    """The answers of a thought on a fresh image: the facets are written as they are used."""
    out = [split]
    for (pillar, code), part in zip(FACETS.items(), parts):
        out += [code, part]
    return out + list(weave)


def later_thought(weave=(WOVEN,), split=SPLIT, parts=PARTS) -> list[str]:
    return [split, *parts, *weave]


WITH_CYCLE, A_CYCLE = "[| :c |", "(cognitiveCycle for: robin)"


@pytest.fixture(autouse=True)
def _no_fault():
    yield
    cycle.inject_fault = None


def test_a_thought_goes_idle_decomposing_delegating_synthesizing_complete(scripted, image):
    backend = scripted(image, *first_thought())
    assert image.eval(f"robin ask: '{QUERY}'") == WOVEN
    trace = cycle.last_trace
    (c,) = trace["personas"]
    assert [s["state"] for s in c["states"]] == ["IDLE", "DECOMPOSING", "DELEGATING", "SYNTHESIZING", "COMPLETE"]
    assert [s["next"] for s in c["states"]] == ["DECOMPOSING", "DELEGATING", "SYNTHESIZING", "COMPLETE", "IDLE"]
    assert [s["text"] for s in c["subqueries"]] == [line[3:] for line in SPLIT.splitlines()]
    assert all(s["from_model"] for s in c["subqueries"])
    assert [f["answer"] for f in c["facets"]] == PARTS and all(f["written_now"] for f in c["facets"])
    assert [g["passed"] for g in c["gate"][0]] == [True] * 5
    decompose, *_, weave = backend.requests
    assert decompose.adapter == weave.adapter == "ROBIN"
    assert "Sage" in decompose.messages[-1][1] and QUERY in decompose.messages[-1][1]
    assert all(p in weave.messages[0][1] for p in PARTS)       # the weave draws on each facet
    assert weave.messages[-1] == ("user", QUERY)
    facet_asks = [r for r in backend.requests if r.messages[0][0] == "system"
                  and r.messages[0][1] == image.eval("(robin pillarNamed: 'Sage') intent")]
    assert facet_asks and facet_asks[0].messages[1] == ("user", c["subqueries"][0]["text"])
    assert trace["outcome"] == "COMPLETE" and trace["routing"] is None


def test_a_transition_re_points_the_state_parent(image):
    """The cycle answers what its state answers: the state is a parent, re-pointed."""
    assert image.eval("(cognitiveCycle for: robin) stateName") == "IDLE"
    assert image.eval(f"{WITH_CYCLE} c state: delegating. c name] value: {A_CYCLE}") == "DELEGATING"
    assert image.eval(f"{WITH_CYCLE} c state: delegating. c state == delegating] value: {A_CYCLE}")
    assert image.eval("(cognitiveCycle for: robin) printString") == "a cycle of ROBIN (IDLE)"
    with pytest.raises(UvmError, match="nothing to process in IDLE"):
        image.eval("(cognitiveCycle for: robin) process")
    with pytest.raises(UvmError, match=r"busy \(COMPLETE\)"):
        image.eval(f"{WITH_CYCLE} c state: complete. c synthesizeResponseFor: 'x'] value: {A_CYCLE}")
    assert image.eval("cognitiveCycle stateName") == "IDLE"   # the prototype was not moved


def test_the_cycle_is_idle_again_and_its_working_slot_cleared(scripted, image):
    scripted(image, *first_thought())
    assert image.eval(f"{WITH_CYCLE} c think: '{QUERY}'. "
                      f"c stateName , ' ' , c working printString] value: {A_CYCLE}") == "IDLE nil"


def test_the_second_thought_asks_the_written_facets_together(scripted, tmp_path, monkeypatch):
    """The deferral that batches on the embedded model, here on the script double (which
    answers the collected requests one after another)."""
    monkeypatch.setattr(cycle, "_can_batch", lambda image: True)
    monkeypatch.setenv(cycle.BATCH_VARIABLE, "1")
    image = uvm.open(str(tmp_path / "b.fs"))
    scripted(image, *first_thought(), *later_thought())
    image.eval(f"robin ask: '{QUERY}'")
    assert image.eval("robin ask: 'Why do I always lose my keys?'") == WOVEN
    (c,) = cycle.last_trace["personas"]
    assert [f["answer"] for f in c["facets"]] == PARTS
    assert not any(f["written_now"] for f in c["facets"])
    # the script double cannot batch: the three deferred requests went one after another
    assert c["batch"]["requests"] == 3 and c["batch"]["batched"] is False
    records = image.db.undoLog(0, 1)[0][INFERENCES]
    assert [r["pillar"] for r in records[1:4]] == ["Sage", "Simple Heart", "Joyful Spark"]
    assert all(r["batch"] == 1 for r in records[1:4])
    image.close()


def test_without_batching_the_facets_are_asked_one_by_one(scripted, image, monkeypatch):
    monkeypatch.setattr(cycle, "_can_batch", lambda image: True)
    scripted(image, *first_thought(), *later_thought(), *later_thought())
    image.eval(f"robin ask: '{QUERY}'")
    image.eval(f"robin ask: '{QUERY}'")          # batching is off by default
    (c,) = cycle.last_trace["personas"]
    assert c["batch"] is None and [f["answer"] for f in c["facets"]] == PARTS
    monkeypatch.undo()
    monkeypatch.setenv(cycle.BATCH_VARIABLE, "1")
    image.eval(f"robin ask: '{QUERY}'")          # the script double cannot batch
    (c,) = cycle.last_trace["personas"]
    assert c["batch"] is None and not any(f["batched"] for f in c["facets"])


def test_an_unreadable_decomposition_sends_the_query_to_every_pillar(scripted, image):
    scripted(image, *first_thought(split="Sure! Here you go:"))
    image.eval(f"robin ask: '{QUERY}'")
    (c,) = cycle.last_trace["personas"]
    assert [s["text"] for s in c["subqueries"]] == [QUERY] * 3
    assert not any(s["from_model"] for s in c["subqueries"])


def test_a_refused_weave_is_tried_once_more_with_the_reason(scripted, image):
    backend = scripted(image, *first_thought(weave=(PARTS[1], WOVEN)))
    assert image.eval(f"robin ask: '{QUERY}'") == WOVEN
    (c,) = cycle.last_trace["personas"]
    assert len(c["gate"]) == 2
    copy = next(g for g in c["gate"][0] if g["check"] == "not a copy")
    assert not copy["passed"] and "Simple Heart" in copy["detail"]
    assert "rejected: not a copy" in backend.requests[-1].messages[0][1]


def _fresh_file(tmp_path, name="t.fs") -> str:
    path = str(tmp_path / name)
    with uvm.open(path):
        pass
    return path


def _bytes(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def test_a_gate_refused_twice_fails_in_synthesizing_and_leaves_nothing(tmp_path):
    path = _fresh_file(tmp_path)
    before = _bytes(path)
    script = tmp_path / "s.jsonl"
    from tests.cognition.conftest import script_file
    settings.configure_run("script:" + script_file(tmp_path, *first_thought(weave=(PARTS[0], ""))))
    with uvm.open(path) as im:
        pipeline.install(im)
        with pytest.raises(cycle.ThoughtFailed) as failed:
            im.eval(f"robin ask: '{QUERY}'")
        assert failed.value.state == "SYNTHESIZING"
        assert "quality gate refused the answer 2 times" in failed.value.reason
        assert "not empty" in failed.value.reason
        assert im.eval("robin facets size") == 0           # the facets it wrote went too
        assert im.eval("mind thoughts size") == 0
    assert _bytes(path) == before
    assert not script.exists() or True
    (c,) = cycle.last_trace["personas"]
    assert c["states"][-2:] == [{"state": "SYNTHESIZING", "seconds": c["states"][-2]["seconds"],
                                 "next": "FAILED"},
                                {"state": "FAILED", "seconds": c["states"][-1]["seconds"], "next": None}]


@pytest.mark.parametrize("state", cycle.STATES)
def test_a_fault_in_any_state_leaves_the_file_image_byte_for_byte(tmp_path, state):
    """The atomicity check, per state: even a caller that catches the error cannot commit
    (the transaction is doomed)."""
    path = _fresh_file(tmp_path)
    from tests.cognition.conftest import script_file
    settings.configure_run("script:" + script_file(tmp_path, *first_thought()))
    with uvm.open(path) as im:
        pipeline.install(im)
        im.eval("lobby _AddSlots: (| marker <- 1 |)")      # a committed change before
        before = _bytes(path)
        if state == "FAILED":   # a fault while failing: the thought fails first (decomposing)
            cycle.inject_fault = "DECOMPOSING"
            import uvm.cognition.cycle as c
            original = c.doom

            def doom_then_fault(image, cyc):
                c.inject_fault = "FAILED"
                return original(image, cyc)
            c.doom = doom_then_fault
        else:
            cycle.inject_fault = state
        try:
            with pytest.raises(UvmError) as err:
                im.eval(f"marker: 2. [robin ask: '{QUERY}'] onError: [| :e | 'caught']. marker: 3")
        finally:
            if state == "FAILED":
                c.doom = original
        assert "doomed" in str(err.value)
        assert _bytes(path) == before
        assert im.eval("marker") == 1 and im.eval("mind thoughts size") == 0
        assert im.eval("3 + 4") == 7                       # the image goes on
    if state != "FAILED":
        (t,) = cycle.last_trace["personas"]
        assert t["failure"]["state"] == state and "fault injected" in t["failure"]["reason"]


def test_a_failed_facet_fails_delegating(scripted, image):
    scripted(image, SPLIT, FACETS["Sage"], "   ")
    with pytest.raises(cycle.ThoughtFailed, match=r"failed in DELEGATING: the Sage facet \(sage:\) answered nothing"):
        image.eval(f"robin ask: '{QUERY}'")


def test_no_model_fails_decomposing_with_the_models_reason(scripted, image):
    scripted(image)   # a script with no answers
    with pytest.raises(cycle.ThoughtFailed, match="failed in DECOMPOSING: the model could not answer"):
        image.eval(f"robin ask: '{QUERY}'")


def test_bad_questions_are_clear_errors(scripted, image):
    scripted(image)
    with pytest.raises(UvmError, match="needs a question"):
        image.eval("robin ask: ''")
    with pytest.raises(UvmError, match="needs a question"):
        image.eval("robin ask: 3")
    with pytest.raises(UvmError, match="has no cycle|needs a cycle|no persona"):
        image.eval("cognitiveCycle think: 'x'")


def test_a_thought_is_one_history_entry_that_undo_takes_back(tmp_path):
    path = _fresh_file(tmp_path)
    from tests.cognition.conftest import script_file
    glasses = ("Your glasses are probably near where you last read; breathe, look slowly, and "
               "you will find your glasses again.")
    settings.configure_run("script:" + script_file(tmp_path, *first_thought(),
                                                   *later_thought(weave=(glasses,))))
    with uvm.open(path) as im:
        pipeline.install(im)
        im.eval(f"robin ask: '{QUERY}'", origin="repl")
        im.eval("robin ask: 'And where are my glasses?'", origin="repl")
        second, first = im.history(2)
        assert first.origin == second.origin == "thought"
        assert first.source.splitlines()[0] == f"ROBIN: {QUERY}"
        assert im.db.undoLog(0, 1)[0]["uvm.via"] == "repl"
        assert im.eval("mind thoughts size") == 2
        newest = im.eval("mind thoughts first")
        assert newest._slots["query"] == "And where are my glasses?"
        assert thoughts.trace_of(newest)["personas"][0]["persona"] == "ROBIN"
        with im.at(first.id) as then:
            assert then.eval("mind thoughts size") == 1
        text = im.eval("(mind thoughts first) describe")
        assert "DELEGATING" in text and "gate, attempt 1" in text
        im.undo(second.id)
        assert im.eval("mind thoughts size") == 1
        assert im.eval("(mind thoughts first) query") == QUERY
        assert im.eval("robin facets size") == 3
        im.undo(first.id)
        assert im.eval("mind thoughts size") == 0
        assert im.eval("robin facets size") == 0       # the facets came with the first thought


def test_mind_ask_routes_and_keeps_the_scores(scripted, image, monkeypatch):
    from uvm.cognition import router
    robin, babs = image.eval("robin"), image.eval("babs")
    monkeypatch.setattr(router, "route", lambda im, text, save=True: router.Routing(
        [(robin, 0.61), (babs, 0.4)], [robin]))
    scripted(image, *first_thought())
    assert image.eval(f"mind ask: '{QUERY}'") == WOVEN
    assert cycle.last_trace["routing"] == {"scores": [["ROBIN", 0.61], ["BABS", 0.4]], "picked": ["ROBIN"]}


def test_two_picked_personas_think_and_their_answers_are_woven(scripted, image, monkeypatch):
    from uvm.cognition import router
    robin, alfred = image.eval("robin"), image.eval("alfred")
    monkeypatch.setattr(router, "route", lambda im, text, save=True: router.Routing(
        [(robin, 0.5), (alfred, 0.49)], [robin, alfred]))
    alfred_facets = {
        "Pragmatist": 'def pragmatist_(self, query):\n    return self.infer_Pillar_(query, "Pragmatist")\n',
        "Disruptor": 'def disruptor_(self, query):\n    return self.infer_Pillar_(query, "Disruptor")\n',
        "Butler": 'def butler_(self, query):\n    return self.infer_Pillar_(query, "Butler")\n'}
    alfreds = ["Keep a hook by the door for your keys.", "Why do you need keys at all?",
               "A spare key with a neighbour is prudent."]
    alfred_said = "Put a hook by the door and leave a spare key with a neighbour, so losing your keys is no crisis."
    final = "Breathe and look slowly for your keys; then put a hook by the door and keep a spare key with a neighbour."
    answers = first_thought() + [SPLIT]
    for code, part in zip(alfred_facets.values(), alfreds):
        answers += [code, part]
    scripted(image, *answers, alfred_said, final)
    assert image.eval(f"mind ask: '{QUERY}'") == final
    t = cycle.last_trace
    assert [c["persona"] for c in t["personas"]] == ["ROBIN", "ALFRED"]
    assert t["weave"]["persona"] == "ROBIN" and t["weave"]["answer"] == final
    assert image.eval("(mind thoughts first) personas printString") == "list('ROBIN', 'ALFRED')"


def test_the_status_line_names_persona_state_facet_and_seconds():
    trace = cycle.CycleTrace("ROBIN")
    trace.state, trace.detail = "DELEGATING", "sage 2/3"
    text = cycle.status_text(trace)
    assert text.startswith("ROBIN \u00b7 DELEGATING \u00b7 sage 2/3 \u00b7 ") and text.endswith(" s")


def test_a_thought_remembers_its_question_and_answer_and_the_next_recalls_them(scripted, image):
    """The memory issue's store: a completed thought leaves its question and answer as
    memories; the next thought is shown them in DECOMPOSING and SYNTHESIZING."""
    backend = scripted(image, *first_thought(), *later_thought())
    assert image.eval("memory size") == 0
    image.eval(f"robin ask: '{QUERY}'")
    assert image.eval("memory size") == 2
    texts = [r.text for r in __import__("uvm.cognition.memory.api", fromlist=["recall"]).recall(image, QUERY, k=2)]
    assert QUERY in texts and WOVEN in texts
    image.eval("robin ask: 'Where did I leave my keys?'")
    (c,) = cycle.last_trace["personas"]
    assert QUERY in c["memories"]
    decompose, *_, weave = backend.requests[-5:]
    assert QUERY in decompose.messages[-1][1] and "Things you remember" in weave.messages[0][1]


def test_a_failed_thought_remembers_nothing(scripted, image):
    scripted(image, *first_thought(weave=("", "")))
    with pytest.raises(cycle.ThoughtFailed):
        image.eval(f"robin ask: '{QUERY}'")
    assert image.eval("memory size") == 0
