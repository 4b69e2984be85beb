"""The quality gate, each check failing (and passing) on a constructed answer; and the
decomposition parser on the shapes a small model answers in."""
from __future__ import annotations

import pytest

from tests.llm.conftest import needs_ml
from uvm.cognition import gate, weaving
from uvm.cognition.personas import Pillar

QUERY = "How do I stay calm before an exam?"
PARTIALS = [("Sage", "Breathe and notice that the exam is one moment among many."),
            ("Simple Heart", "Have some tea, take a short walk, and be kind to yourself.")]
INSTRUCTIONS = [weaving.WEAVE_INSTRUCTION, "You are ROBIN. Listen, accept and keep company."]
GOOD = ("Before the exam, breathe slowly, take a short walk and remember it is one moment "
        "among many; being calm comes from being kind to yourself.")


def never_relevant(a, b):
    return 0.0


def test_a_good_answer_passes_every_check():
    checks = gate.run_gate(QUERY, GOOD, PARTIALS, INSTRUCTIONS, similarity=lambda a, b: 0.9)
    assert [c.name for c in checks] == ["not empty", "length", "not a copy", "no leaked prompt", "relevance"]
    assert all(c.passed for c in checks) and gate.first_failure(checks) is None


@pytest.mark.parametrize("answer", ["", "   ", "...", "\n\n"])
def test_not_empty_fails_on_no_words(answer):
    assert not gate.not_empty(answer).passed
    checks = gate.run_gate(QUERY, answer, PARTIALS, INSTRUCTIONS, similarity=never_relevant)
    assert gate.first_failure(checks).name == "not empty"
    assert "relevance" not in [c.name for c in checks]   # nothing to embed


def test_length_fails_below_and_above_its_bounds():
    short = gate.length_bounds("Just breathe.")
    assert not short.passed and "2 words" in short.detail
    long = gate.length_bounds("calm " * 500)
    assert not long.passed and "at most" in long.detail
    assert gate.length_bounds(GOOD).passed


def test_a_verbatim_or_near_copy_of_one_facet_fails():
    exact = gate.not_a_copy(PARTIALS[1][1], PARTIALS)
    assert not exact.passed and "Simple Heart" in exact.detail
    near = gate.not_a_copy("Have some tea, take a short walk, and be kind to yourself!!", PARTIALS)
    assert not near.passed
    assert gate.not_a_copy(GOOD, PARTIALS).passed


def test_leaked_prompt_text_fails():
    leaked = GOOD + " " + weaving.WEAVE_INSTRUCTION.split(".")[0]
    check = gate.no_leaked_prompt(leaked, INSTRUCTIONS)
    assert not check.passed and "repeats the prompt" in check.detail
    marker = gate.no_leaked_prompt(GOOD + "<|im_start|>user", INSTRUCTIONS)
    assert not marker.passed and "chat template" in marker.detail
    # quoting a facet's answer is not a leak: the answers are not our instructions
    assert gate.no_leaked_prompt(GOOD + " " + PARTIALS[0][1], INSTRUCTIONS).passed


@needs_ml
def test_relevance_fails_below_the_threshold_on_the_real_embedding_model():
    off_topic = "The recipe needs two cups of flour, a pinch of salt and an hour in the oven."
    bad = gate.relevance(QUERY, off_topic)
    good = gate.relevance(QUERY, GOOD)
    assert not bad.passed and good.passed
    assert f"< {gate.RELEVANCE_THRESHOLD:.2f}" in bad.detail


def test_the_first_failure_is_the_reason():
    checks = gate.run_gate(QUERY, PARTIALS[0][1], PARTIALS, INSTRUCTIONS, similarity=never_relevant)
    failed = [c.name for c in checks if not c.passed]
    assert failed == ["not a copy", "relevance"]
    assert gate.first_failure(checks).name == "not a copy"


PILLARS = (Pillar("Sage", "a"), Pillar("Simple Heart", "b"), Pillar("Joyful Spark", "c"))


@pytest.mark.parametrize("text", [
    "1. What is calm?\n2. What small thing helps today?\n3. What is the hopeful part?",
    "Here are the sub-questions:\n- What is calm?\n- What small thing helps today?\n- What is the hopeful part?",
    "1) What is calm?\n2) What small thing helps today?\n3) What is the hopeful part?",
    "Sage: What is calm?\nSimple Heart: What small thing helps today?\nJoyful Spark: What is the hopeful part?",
    "2. Simple Heart: What small thing helps today?\n1. **Sage**: What is calm?\n3. What is the hopeful part?",
])
def test_sub_questions_are_read_from_the_shapes_a_small_model_answers_in(text):
    subs = weaving.parse_subqueries(text, PILLARS, QUERY)
    assert [(p.name, t) for p, t, _ in subs] == [
        ("Sage", "What is calm?"), ("Simple Heart", "What small thing helps today?"),
        ("Joyful Spark", "What is the hopeful part?")]
    assert all(m for _, _, m in subs)


def test_pillars_left_without_a_sub_question_get_the_query():
    subs = weaving.parse_subqueries("1. What is calm, really?\nok", PILLARS, QUERY)
    assert [t for _, t, _ in subs] == ["What is calm, really?", QUERY, QUERY]
    assert [m for _, _, m in subs] == [True, False, False]
    assert [t for _, t, _ in weaving.parse_subqueries("", PILLARS, QUERY)] == [QUERY] * 3
