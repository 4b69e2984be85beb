"""Cognitive facets: a pillar's facet is written by the synthesis pipeline on its first send,
audited to call nothing but the persona's inference, kept by the commit, taken back by undo.

The flow runs on the ``script:`` test double (its answers: first the facet's code, then
what the persona's inference says); one test runs the real embedded model end to end."""
from __future__ import annotations

import time

import pytest

import uvm
from tests.llm.conftest import needs_ml
from uvm.cognition.facets import facet_brief, facet_status
from uvm.cognition.personas import INFERENCES
from uvm.llm import settings
from uvm.llm.synthesis import pipeline
from uvm.runtime.confinement.trusted import trusted
from uvm.runtime.confinement.watchdog import SandboxTimeout, limits
from uvm.repl.session import Session
from uvm.runtime.errors import UvmError

SAGE = 'def sage_(self, query):\n    return self.infer_Pillar_(query, "Sage")\n'


def sage_intent(image) -> str:
    return image.eval("(robin pillarNamed: 'Sage') intent")


def test_the_first_send_writes_the_facet_and_the_second_only_asks_the_persona(scripted, image):
    backend = scripted(image, SAGE, "Rest here.", "Still here.")
    assert image.eval("robin unwrittenFacets printString") == "list('sage:', 'simpleHeart:', 'joyfulSpark:')"
    assert image.eval("robin sage: 'I feel lost'") == "Rest here."
    assert backend.calls == 2                              # the facet's code, then ROBIN
    write, answer = backend.requests
    assert "Write the facet `sage:` of the persona ROBIN" in write.messages[-2][1]
    assert write.messages[-1] == ("assistant", "def sage_(self, query):\n    ")
    assert write.adapter is None                          # the base model writes code
    assert answer.adapter == "ROBIN"                       # no new adapter: ROBIN's own
    assert answer.messages == (("system", sage_intent(image)), ("user", "I feel lost"))
    assert image.eval("robin sage: 'And now?'") == "Still here."
    assert backend.calls == 3                              # nothing written the second time
    method = image.eval("robin")._slots["sage:"]
    assert method.source == SAGE and method.language == "python"
    assert method.provenance["facet_of"] == "ROBIN" and method.provenance["pillar"] == "Sage"
    assert method.provenance["attempts"] == 1
    assert image.eval("robin facets printString") == "list('sage:')"


def test_a_facet_is_written_by_the_base_model_even_when_a_method_writer_is_there(scripted, image):
    """The method writer learnt the method brief's prompt, not the facet's: with it in the
    backend, ordinary methods get it and facets still get the base model."""
    backend = scripted(image, SAGE, "Rest here.", "def twice_(self, n):\n    return n * 2\n")
    backend.adapter_names = lambda: ("METHODS", "ROBIN")   # as if the method writer were there
    assert image.eval("robin sage: 'I feel lost'") == "Rest here."
    assert image.eval("robin twice: 4") == 8
    write_facet, _, write_method = backend.requests
    assert write_facet.adapter is None and write_method.adapter == "METHODS"


def test_the_facet_is_kept_by_the_commit_and_taken_back_by_undo(tmp_path, scripted):
    path = str(tmp_path / "f.fs")
    with uvm.open(path) as im:
        scripted(im, SAGE, "Rest here.")
        im.eval("robin sage: 'I feel lost'")
        written = im.history(1)[0]
        assert written.model and written.attempts == 1
        assert im.db.undoLog(0, 1)[0][INFERENCES][0]["pillar"] == "Sage"
    pipeline.uninstall()
    settings.configure_run(no_llm=True)
    with uvm.open(path) as im:                    # reopened: the facet is in the image
        assert im.eval("robin facets printString") == "list('sage:')"
        im.undo(written.id)
        assert "sage:" not in im.eval("robin")._slots
        assert im.eval("robin unwrittenFacets size") == 3
        with pytest.raises(UvmError, match=r"doesNotUnderstand: #sage:"):
            im.eval("robin sage: 'hello'")        # no model in this run: nothing writes it


HOSTILE = [
    ('def sage_(self, query):\n    return print(query)\n', "may call nothing but the persona's inference"),
    ('def sage_(self, query):\n    return self.name\n', "may read no attribute but"),
    ('def sage_(self, query):\n    return self.infer_(query)\n', "may call nothing but"),
    ('def sage_(self, query):\n    return self.infer_Pillar_(query, "Guide")\n', "must name its own pillar, 'Sage'"),
    ('def sage_(self, query):\n    return self.infer_System_(query, "Be nice.")\n',
     "must use its pillar's intent, exactly"),
    ('def sage_(self, query):\n    return self.infer_Pillar_("hi", "Sage")\n', "must pass the query on"),
    ('def sage_(self, query):\n    n = len(query)\n    return self.infer_Pillar_(query, "Sage")\n',
     "may call nothing but"),
    ('def sage_(self, query):\n    for w in query:\n        pass\n    return self.infer_Pillar_(query, "Sage")\n',
     "may hold only assignments and a return"),
    ('def sage_(self, query):\n    return self.infer_Pillar_(query, "Sage") + str(1)\n', "may call nothing but"),
    ('def sage_(self, query):\n    return self.infer_Pillar_(query, x)\n', "may use no names but"),
    ('def sage_(self, query):\n    self.infer_Pillar_(query, "Sage")\n', "may hold only assignments and a return"),
    ('def sage_(self, query):\n    a = self.infer_Pillar_(query, "Sage")\n', "must return what the inference answers"),
    ('def sage_(self, query):\n    import os\n    return os.getcwd()\n', "imports are not allowed"),
]


@pytest.mark.parametrize("code,reason", HOSTILE, ids=[r for _, r in HOSTILE])
def test_a_facet_that_calls_anything_but_the_inference_is_refused(scripted, image, code, reason):
    backend = scripted(image, code, code, code)
    with pytest.raises(UvmError, match="could not write it in 3 attempts") as e:
        image.eval("robin sage: 'I feel lost'")
    assert reason in str(e.value)
    assert "sage:" not in image.eval("robin")._slots
    assert all(r.adapter is None for r in backend.requests)   # no inference ever ran


def test_the_reason_is_fed_back_and_a_retry_can_succeed(scripted, image):
    backend = scripted(image, 'def sage_(self, query):\n    return print(query)\n', SAGE, "Calm.")
    assert image.eval("robin sage: 'Hi'") == "Calm."
    assert "may call nothing but the persona's inference" in backend.requests[1].messages[-2][1]


def test_a_pillar_name_copied_with_a_slip_is_put_right(scripted, image):
    code = 'def capedCrusader_(self, query):\n    return self.infer_Pillar_(query, "Capped Crusader")\n'
    backend = scripted(image, code, "To the shed!")
    assert image.eval("brick capedCrusader: 'The shed is full of junk'") == "To the shed!"
    method = image.eval("brick")._slots["capedCrusader:"]
    assert 'self.infer_Pillar_(query, "Caped Crusader")' in method.source
    assert backend.requests[1].messages[0][1].startswith("Treat the problem as a villain")
    far = 'def guide_(self, query):\n    return self.infer_Pillar_(query, "Tamland Engine")\n'
    scripted(image, far, far, far)                     # another pillar's name is no slip
    with pytest.raises(UvmError, match="must name its own pillar, 'Guide'"):
        image.eval("brick guide: 'Hello'")


def test_the_intent_itself_as_system_prompt_is_the_same_facet(scripted, image):
    code = f'def sage_(self, query):\n    return self.infer_System_(query, "{sage_intent(image)}")\n'
    backend = scripted(image, code, "Present.")
    assert image.eval("robin sage: 'Hi'") == "Present."
    assert backend.requests[1].messages[0] == ("system", sage_intent(image))


def test_a_new_pillar_gets_its_facet_even_if_its_selector_looks_like_a_typo(scripted, image):
    code = 'def namer_(self, query):\n    return self.infer_Pillar_(query, "Namer")\n'
    backend = scripted(image, code, "Call it Willow.")
    image.eval("robin addPillar: 'Namer' Intent: 'Find a gentle name for what is described.'")
    assert image.eval("robin namer: 'a small boat'") == "Call it Willow."   # one edit from name:
    assert backend.requests[1].messages[0][1] == "Find a gentle name for what is described."
    with pytest.raises(UvmError, match=r"did you mean #name\?"):
        image.eval("robin nme")                          # an ordinary typo is still one


def test_other_messages_to_a_persona_get_the_ordinary_brief(scripted, image):
    backend = scripted(image, "def shout_(self, text):\n    return text.upper()\n")
    assert image.eval("robin shout: 'hi'") == "HI"
    assert "Write the method `shout:`" in backend.requests[0].messages[-2][1]
    assert facet_brief(image.eval("robin"), "shout:", ("hi",), image) is None
    assert facet_brief(image.eval("robin"), "sage:", (), image) is None      # wrong arity
    assert facet_brief(3, "sage:", ("x",), image) is None                   # not a persona


def test_the_first_run_of_a_facet_is_not_held_to_the_method_time_limit(image, tmp_path):
    """The inference's CPU seconds are the model's: a slow answer must not stop the facet
    the way a slow method would be stopped."""
    from uvm.llm.backend import Backend

    class SlowAnswers(Backend):
        def __init__(self):
            super().__init__("slow")
            self.answers = [SAGE, "Slowly."]

        def _stream(self, request):
            text = self.answers.pop(0)
            if request.adapter:
                _burn(0.6)
            yield text

    settings.configure_run("script:" + str(tmp_path / "unused.jsonl"))
    slow = SlowAnswers()
    settings.use_backend(image, slow)
    pipeline.install(image, backend=slow).seconds = 0.3
    assert image.eval("robin sage: 'Hi'") == "Slowly."


def _burn(seconds: float) -> None:
    """Use ``seconds`` of process CPU time (what the watchdog counts)."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_trusted_work_runs_outside_the_limits_and_they_resume_after():
    with pytest.raises(SandboxTimeout):
        with limits(0.3, None):
            with trusted():
                _burn(0.6)  # not counted (it would be past the limit)
            _burn(5)        # counted again: stopped at about 0.3 s
    with trusted():         # outside any limits it does nothing
        _burn(0.01)


def test_inspect_shows_written_facets_and_those_still_only_intents(scripted, image):
    scripted(image, SAGE, "Rest here.")
    image.eval("robin sage: 'I feel lost'")
    text = Session(image).run(":inspect robin").output
    assert "facets (1 of 3 written):" in text
    assert "  sage:            Sage: written" in text
    assert "  simpleHeart:     Simple Heart: only an intent: 'Speak with the unhurried" in text
    assert [s.written for s in facet_status(image.eval("robin"))] == [True, False, False]


@needs_ml
def test_a_facet_end_to_end_with_the_embedded_model(awake):
    """The real model writes ROBIN's Sage facet, the guardian and the facet audit pass it,
    it answers with ROBIN's adapter hot; the second send writes nothing."""
    image, backend = awake
    settings.configure_run("embedded")
    settings.use_backend(image, backend)
    pipeline.install(image)
    try:
        calls = backend.calls
        answer = image.eval("robin sage: 'I feel lonely and just need someone to listen'")
        assert isinstance(answer, str) and answer.strip()
        written = image.history(1)[0]
        method = image.eval("robin")._slots["sage:"]
        assert method.provenance["facet_of"] == "ROBIN" and written.model
        assert "infer_" in method.source
        [record] = image.db.undoLog(0, 1)[0][INFERENCES]
        assert record["persona"] == "ROBIN" and record["pillar"] == "Sage"
        assert record["tokens"] > 0 and record["adapter"] == "ROBIN"
        assert backend.memory.active == "ROBIN"
        used = backend.calls - calls              # the facet's code (1+ attempts), ROBIN's answer
        assert used == method.provenance["attempts"] + 1
        again = image.eval("robin sage: 'Are you still there?'")
        assert isinstance(again, str) and backend.calls == calls + used + 1
    finally:
        pipeline.uninstall()
        for entry in image.history(5):            # leave the session's image as it was
            if entry.origin == "api" and "robin sage:" in entry.source:
                image.undo(entry.id)
    assert "sage:" not in image.eval("robin")._slots
