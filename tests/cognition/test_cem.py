"""The Composite Entropy Metric (issue 15): each component on constructed cases whose value
is known, the series a thought records, the detector, one mission of each kind, weight
tuning, the autotelic loop, and ``uvm cem``.

Whole runs of thoughts use ``ThoughtDouble`` (tests/cognition/thought_double.py), a test
double that answers each request by its shape; a single thought or a mission's one model
request uses the ``script:`` double. The embeddings are the real embedding model's."""
from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

import uvm
from tests.cognition.test_cycle import QUERY, first_thought
from tests.cognition.thought_double import ThoughtDouble
from uvm.cognition import gate, router
from uvm.cognition.cem import detector, live, metrics, missions, series, tuning, view
from uvm.llm import settings
from uvm.llm.synthesis import pipeline
from uvm.runtime.errors import UvmError
from uvm.runtime.printing import string_literal

SAD = ["I feel lonely tonight.", "My friend forgot my birthday and I am sad.",
       "I failed my exam and feel awful.", "I miss my grandmother.", "I am anxious about tomorrow.",
       "Nobody listens to me at home.", "I lost my keys again and I want to cry.",
       "My cat is sick and I am scared.", "I feel overwhelmed by everything.",
       "I broke up with my partner.", "I feel invisible at work.", "I cannot sleep because I worry."]


def unit(*xs):
    n = math.sqrt(sum(x * x for x in xs))
    return [x / n for x in xs]


# --- the components on constructed cases -----------------------------------------------------------

def test_relevance_rescales_the_cosine_between_the_calibrated_ends():
    q = unit(1, 0, 0)
    assert metrics.relevance(q, q) == 1.0                       # cos 1 >= REL_HIGH
    assert metrics.relevance(q, unit(0, 1, 0)) == 0.0           # cos 0 <= REL_LOW
    mid = (metrics.REL_LOW + metrics.REL_HIGH) / 2
    a = [mid, math.sqrt(1 - mid * mid), 0]
    assert metrics.relevance(q, a) == pytest.approx(0.5, abs=1e-6)


def test_relevance_of_real_embeddings_scores_an_answer_to_another_question_low():
    from uvm.llm.embedding import embedder
    q, good, other = embedder().embed(["How do I water a cactus?",
                                       "Water a cactus deeply but rarely, once the soil is dry.",
                                       "The train to Paris leaves at nine from platform two."])
    assert metrics.relevance(q, good) > 0.6
    assert metrics.relevance(q, other) < 0.15


def test_cognitive_diversity_is_zero_to_one_by_entropy_of_use():
    # one persona every time, its three facets evenly: (0 + log 3 / log 12) / 2
    rut = [(["ROBIN"], ["ROBIN/a", "ROBIN/b", "ROBIN/c"])] * 10
    assert metrics.cognitive_diversity(rut, 4, 12) == pytest.approx(math.log(3) / math.log(12) / 2)
    # every persona and every facet equally often: both terms at their maximum
    even = [([p], [f"{p}/{f}" for f in "abc"]) for p in "WXYZ"]
    assert metrics.cognitive_diversity(even, 4, 12) == pytest.approx(1.0)
    assert metrics.cognitive_diversity([(["ROBIN"], ["ROBIN/a"])], 4, 12) == 0.0
    assert metrics.cognitive_diversity(rut, 1, 1) == 0.0        # nothing to choose between


def test_solution_novelty_is_one_minus_the_nearest_earlier_answer():
    a = unit(1, 0, 0)
    assert metrics.solution_novelty(a, []) == 1.0
    assert metrics.solution_novelty(a, [a]) == pytest.approx(0.0, abs=1e-6)
    assert metrics.solution_novelty(a, [unit(0, 1, 0)]) == pytest.approx(1.0)
    assert metrics.solution_novelty(a, [unit(0, 1, 0), [0.6, 0.8, 0]]) == pytest.approx(0.4)


def test_vendi_counts_distinct_answers_from_zero_to_one():
    same = [unit(1, 0, 0)] * 4
    assert metrics.vendi(same) == pytest.approx(0.0, abs=1e-6)
    apart = [unit(1, 0, 0, 0), unit(0, 1, 0, 0), unit(0, 0, 1, 0), unit(0, 0, 0, 1)]
    assert metrics.vendi(apart) == pytest.approx(1.0)
    two_pairs = [unit(1, 0), unit(1, 0), unit(0, 1), unit(0, 1)]   # two distinct: (2 - 1) / 3
    assert metrics.vendi(two_pairs) == pytest.approx(1 / 3)


def _cycle(name, selectors, from_model=True):
    return {"persona": name, "subqueries": [{"from_model": from_model} for _ in selectors],
            "facets": [{"selector": s} for s in selectors]}


def test_structural_complexity_of_constructed_traces():
    one = {"personas": [_cycle("ROBIN", ["sage:", "simpleHeart:", "joyfulSpark:"])]}
    # graph: query(1) - persona(4) - three facets(2 each) - answer(3); 6 nodes
    degrees = [1, 4, 2, 2, 2, 3]
    h = -sum(d / 14 * math.log(d / 14) for d in degrees) / math.log(6)
    assert metrics.structure_shares(one) == pytest.approx(
        {"personas": 0.5, "facets": 0.5, "decomposed": 1.0, "graph": h})
    assert metrics.structural_complexity(one) == pytest.approx((0.5 + 0.5 + 1.0 + h) / 4)
    two = {"personas": [_cycle("ROBIN", ["a:", "b:", "c:"]), _cycle("BABS", ["d:", "e:", "f:"])]}
    assert metrics.structure_shares(two)["personas"] == metrics.structure_shares(two)["facets"] == 1.0
    flat = {"personas": [_cycle("ROBIN", ["a:"], from_model=False)]}
    assert metrics.structure_shares(flat)["decomposed"] == 0.0
    assert metrics.structural_complexity(two) > metrics.structural_complexity(one) \
        > metrics.structural_complexity(flat)


def test_cem_is_the_weighted_mean():
    comps = {"rel": 0.8, "cog": 0.2, "sol": 0.6, "struc": 0.4}
    assert metrics.cem(comps, metrics.DEFAULT_WEIGHTS) == pytest.approx(0.5)
    assert metrics.cem(comps, {"rel": 1, "cog": 0, "sol": 0, "struc": 0}) == pytest.approx(0.8)
    assert metrics.cem(comps, {"rel": 2, "cog": 0, "sol": 2, "struc": 0}) == pytest.approx(0.7)


# --- the series a thought records ----------------------------------------------------------------

def _fresh_file(tmp_path, name="cem.fs") -> str:
    path = str(tmp_path / name)
    with uvm.open(path):
        pass
    return path


def test_a_thought_records_its_cem_and_undo_takes_the_record_back(tmp_path):
    from tests.cognition.conftest import script_file
    path = _fresh_file(tmp_path)
    settings.configure_run("script:" + script_file(tmp_path, *first_thought()))
    with uvm.open(path) as im:
        pipeline.install(im)
        im.eval(f"robin ask: '{QUERY}'", origin="repl")
        (record,) = series.records(im.connection.root())
        assert set(record["components"]) == set(metrics.COMPONENTS)
        assert all(0.0 <= v <= 1.0 for v in record["components"].values())
        assert record["cem"] == pytest.approx(metrics.cem(record["components"], record["weights"]), abs=1e-3)
        assert record["personas"] == ["ROBIN"] and len(record["facets"]) == 3
        assert record["components"]["sol"] == 1.0           # nothing earlier to be near
        assert record["origin"] == "user" and record["gate_first_pass"]
        trace = im.eval("mind thoughts first")._slots["trace"]
        assert trace["cem"]["cem"] == record["cem"]
        assert "CEM over 1 thought" in im.eval("mind cem")
        (entry,) = im.history(1)
        im.undo(entry.id)
        assert series.records(im.connection.root()) == []


# --- the detector -------------------------------------------------------------------------------------

def _rec(i, rel, cog, sol, struc, **extra):
    comps = {"rel": rel, "cog": cog, "sol": sol, "struc": struc}
    return {"id": f"20260101T0000{i:02d}.000000Z", "time": 1.0 + i, "origin": "user",
            "query": f"q{i}", "components": comps, "cem": metrics.cem(comps, metrics.DEFAULT_WEIGHTS),
            "weights": dict(metrics.DEFAULT_WEIGHTS), "personas": ["ROBIN"], "facets": ["ROBIN/sage:"],
            "gate_first_pass": True, "written": [], "cosine": 0.5, "ranking": [], **extra}


def test_the_detector_finds_a_rut():
    rut = [_rec(i, 0.9, 0.22, 0.5 + (i % 3) / 10, 0.7) for i in range(10)]
    signal = detector.detect(rut, 10)
    assert signal.kind == "rut" and signal.component == "cog"
    assert "lowest in 10 of the last 10" in signal.detail
    assert detector.detect(rut[:9], 10) is None             # the window is not full yet


def test_a_healthy_run_is_not_flagged():
    values = [0.55, 0.7, 0.85, 0.6]
    healthy = [_rec(i, *[values[(i + k) % 4] for k in range(4)]) for i in range(30)]
    for end in range(10, 31):
        assert detector.detect(healthy[:end], 10) is None


def test_the_detector_finds_a_flat_low_and_a_fall():
    flat = [_rec(i, 0.45, 0.4 + (i % 2) / 50, 0.42, 0.41 + (i % 4) / 100) for i in range(10)]
    signal = detector.detect(flat, 10)
    assert signal.kind in ("flat", "rut")
    flat_only = [_rec(i, 0.42, 0.43, 0.41, 0.44) if i % 2 else _rec(i, 0.43, 0.41, 0.44, 0.42)
                 for i in range(10)]
    assert detector.detect(flat_only, 10).kind == "flat"
    good = [_rec(i, 0.9, 0.8, 0.85, 0.75) for i in range(10)]
    worse = [_rec(10 + i, 0.9, 0.8, 0.41 + (i % 2) / 20, 0.7) for i in range(10)]
    fall = detector.detect(worse, 10, before=good)
    assert fall.kind == "falling" and fall.component == "sol"


# --- the missions ------------------------------------------------------------------------------------

def _store(im, records):
    def put():
        tree = series.root_tree(im.connection.root(), series.SERIES_KEY, create=True)
        for r in records:
            tree[r["id"]] = r
    im.run(put, "constructed records", "test")


def _ranking(best="ROBIN", runner="BABS", gap=0.06):
    return [[best, 0.5], [runner, 0.5 - gap], ["ALFRED", 0.3], ["BRICK", 0.2]]


def test_a_rut_in_h_cog_widens_the_router_and_undo_takes_the_mission_back(tmp_path):
    path = _fresh_file(tmp_path)
    with uvm.open(path) as im:
        _store(im, [_rec(i, 0.9, 0.22, 0.6, 0.7, ranking=_ranking(gap=0.05 + i / 1000))
                    for i in range(10)])
        before = router.settings_for(im)
        text = im.eval("mind audit", origin="repl")
        assert "rut: H_cog" in text and "ROBIN's widen router" in text
        after = router.settings_for(im)
        assert after.margin > before.margin and after.margin >= 0.06
        assert router.Router({"ROBIN": None}, after).pick([("ROBIN", 0.5), ("BABS", 0.445)]) == ["ROBIN", "BABS"]
        (mission,) = missions.missions(im.connection.root())
        assert mission["signal"]["component"] == "cog" and mission["changed"]["persona"] == "BABS"
        entry = im.history(1)[0]
        assert entry.origin == "autotelic" and entry.source.startswith("widen router (rut, H_cog)")
        assert len(im.eval("mind missions")) == 1
        assert "no thoughts recorded since the last mission" in im.eval("mind audit")
        im.undo(entry.id)
        assert router.settings_for(im).margin == before.margin
        assert missions.missions(im.connection.root()) == []


def test_a_rut_in_h_sol_starts_bricks_absurd_synthesis_which_is_remembered(image, scripted):
    from uvm.cognition import thoughts
    answers = [f"Answer {i}: rest now and begin again tomorrow." for i in range(10)]
    records = [_rec(i, 0.9, 0.7, 0.05, 0.75) for i in range(10)]

    def keep():
        for r, a in zip(records, answers):
            thoughts.keep(image, {"id": r["id"], "query": r["query"], "answer": a, "seconds": 1.0,
                                  "personas": [{"persona": "ROBIN"}]})
    image.run(keep, "constructed thoughts", "test")
    _store(image, records)
    idea = "What if a lighthouse kept bees: each beam a flight path, each storm a honey harvest?"
    backend = scripted(image, idea)
    text = image.eval("mind audit")
    assert "BRICK's absurd synthesis" in text and "remembered" in text
    (request,) = backend.requests
    assert request.adapter == "BRICK" and "Answer 9" in request.messages[-1][1]
    (mission,) = missions.missions(image.connection.root())
    assert mission["changed"]["insight"] == idea and mission["changed"]["memory"] is not None
    assert image.eval("(memory recall: 'lighthouse bees honey') first text") == idea


def test_a_rut_in_h_rel_raises_the_gates_relevance_threshold(image):
    _store(image, [_rec(i, 0.2, 0.7, 0.6, 0.75, cosine=0.3 + i / 100) for i in range(10)])
    assert gate.threshold_for(image) == gate.RELEVANCE_THRESHOLD
    text = image.eval("mind audit")
    assert "ALFRED's recalibrate gate" in text
    new = gate.threshold_for(image)
    assert new == pytest.approx(0.35)                       # the window's median cosine
    refused = gate.run_gate("q", "words enough here", [], [], similarity=lambda a, b: 0.32,
                            threshold=new)
    assert not refused[-1].passed                           # 0.32 passed before, not now


def test_a_mission_that_cannot_help_says_why_and_changes_nothing(image):
    _store(image, [_rec(i, 0.9, 0.22, 0.6, 0.7) for i in range(10)])   # asked directly: no routing
    text = image.eval("mind audit")
    assert "no mission: the window's thoughts were not routed" in text
    assert missions.missions(image.connection.root()) == []


# --- the scripted rut, end to end -------------------------------------------------------------------

def _think_all(im, questions):
    for q in questions:
        im.eval(f"mind ask: {string_literal(q)}", "<test>", "thought")


def test_a_scripted_rut_is_found_and_its_mission_raises_h_cog_in_the_next_window(image):
    settings.configure_run("script:" + os.devnull)
    pipeline.install(image)
    settings.use_backend(image, ThoughtDouble())
    _think_all(image, SAD[:10])
    first = series.records(image.connection.root())
    assert {p for r in first for p in r["personas"]} == {"ROBIN"}   # the same persona every time
    found = live.audit(image)
    assert found.signal is not None and found.signal.component == "cog"
    image.run(lambda: live.start_mission(image, live.audit(image)), "mind audit", "audit")
    _think_all(image, SAD[:10])
    second = series.records(image.connection.root())[10:]
    assert len({p for r in second for p in r["personas"]}) > 1
    mean = lambda rs: sum(r["components"]["cog"] for r in rs) / len(rs)  # noqa: E731
    assert mean(second) > mean(first) + 0.1


# --- tuning the weights -------------------------------------------------------------------------------

def test_tuning_moves_weight_to_the_component_that_predicts_good_feedback(tmp_path):
    path = _fresh_file(tmp_path)
    with uvm.open(path) as im:
        records = [_rec(i, 0.3 + 0.6 * (i % 2), 0.5 + (i % 3) / 10, 0.6 - (i % 4) / 10, 0.7)
                   for i in range(12)]
        _store(im, records)

        def rate():
            for r in records:   # good exactly when the answer was relevant
                series.give_feedback(im.connection.root(), r["id"], r["components"]["rel"] > 0.5)
        im.run(rate, "feedback", "test")
        out = im.eval("mind tuneCem", origin="repl")
        w = series.weights(im.connection.root())
        assert w["rel"] > 0.4 and w["rel"] == max(w.values())
        assert sum(w.values()) == pytest.approx(1.0, abs=1e-3)
        (change,) = series.weight_log(im.connection.root())
        assert "12 thoughts (12 with feedback)" in change["reason"] and "H_rel +1.00" in change["reason"]
        assert "weights now" in out
        im.undo(im.history(1)[0].id)
        assert series.weights(im.connection.root()) == metrics.DEFAULT_WEIGHTS
        assert series.weight_log(im.connection.root()) == []


def test_tuning_needs_history_and_outcomes_use_gate_and_surviving_facets(image):
    with pytest.raises(UvmError, match="at least 8 recorded thoughts"):
        image.eval("mind tuneCem")
    r = _rec(1, 0.5, 0.5, 0.5, 0.5, gate_first_pass=False, written=[["ROBIN", "sage:"]])
    assert tuning.outcome(r, {}, lambda written: 1.0) == 0.5
    assert tuning.outcome(r, {r["id"]: 1}, lambda written: 0.0) == 1.0
    assert tuning.surviving_in(image)([["ROBIN", "sage:"]]) == 0.0      # not written in this image


def test_feedback_on_the_last_thought_and_its_errors(image, scripted):
    with pytest.raises(UvmError, match="no thought yet"):
        image.eval("mind feedback: 'good'")
    scripted(image, *first_thought())
    image.eval(f"robin ask: '{QUERY}'")
    ident = image.eval("mind thoughts first id")
    assert image.eval("mind feedback: 'good'") == f"feedback good on thought {ident}"
    assert series.feedback(image.connection.root()) == {ident: 1}
    image.eval("mind thoughts first feedback: 'bad'")
    assert series.feedback(image.connection.root()) == {ident: 0}
    with pytest.raises(UvmError, match="'good' or 'bad'"):
        image.eval("mind feedback: 'meh'")


def test_weights_set_by_hand_are_checked_and_logged(image):
    image.eval("[| d | d: dictionary copy. d at: 'rel' Put: 0.5. mind cemWeights: d] value")
    assert series.weights(image.connection.root())["rel"] == 0.5
    assert series.weight_log(image.connection.root())[-1]["method"] == "hand"
    with pytest.raises(UvmError, match="not a component"):
        image.eval("[| d | d: dictionary copy. d at: 'joy' Put: 1. mind cemWeights: d] value")


# --- the autotelic loop ------------------------------------------------------------------------------

def test_the_live_loop_thinks_practises_audits_and_stops_on_ctrl_c(image):
    settings.configure_run("script:" + os.devnull)
    pipeline.install(image)
    double = ThoughtDouble()
    settings.use_backend(image, double)
    said = []
    state = live.run(image, ["I feel lonely tonight.", "I miss my grandmother."], every=2,
                     practice=2, seconds=600, say=said.append)
    assert state.thoughts == 4 and state.practice == 2 and len(state.audits) == 2
    origins = [r["origin"] for r in series.records(image.connection.root())]
    assert origins == ["user", "user", "practice", "practice"]
    assert any(line.startswith("practice (") for line in said)
    assert said[-1] == state.summary()

    def stop(line):
        said.append(line)
        if line.startswith("  ") and "CEM" in line:
            raise KeyboardInterrupt
    state = live.run(image, ["I feel overwhelmed.", "I broke up."], every=0, practice=0, say=stop)
    assert state.interrupted and state.thoughts == 1
    assert image.eval("3 + 4") == 7


def test_mind_live_in_the_repl_runs_the_loop_after_the_evaluation(image):
    from uvm.repl.session import Session
    settings.configure_run("script:" + os.devnull)
    pipeline.install(image)
    settings.use_backend(image, ThoughtDouble())
    session = Session(image, approve=False)
    outcome = session.run("mind live: 1")
    assert outcome.kind == "empty"
    (record,) = series.records(image.connection.root())
    assert record["origin"] == "practice"
    assert live.take_request() is None
    good = session.run(":good")
    assert good.output.startswith("feedback good on thought")


# --- uvm cem --------------------------------------------------------------------------------------------

def _uvm(*args, **kw):
    return subprocess.run([sys.executable, "-m", "uvm.cli", *args], capture_output=True, text=True,
                          timeout=120, **kw)


def test_uvm_cem_prints_the_series_as_text_json_and_a_png(tmp_path):
    path = _fresh_file(tmp_path)
    with uvm.open(path) as im:
        _store(im, [_rec(i, 0.9, 0.22 + i / 50, 0.6, 0.7) for i in range(12)])
    text = _uvm("cem", "--image", path)
    assert text.returncode == 0, text.stderr
    assert "CEM over 12 thoughts" in text.stdout and "moving average (10)" in text.stdout
    as_json = _uvm("cem", "--image", path, "--json")
    import json
    data = json.loads(as_json.stdout)
    assert data["thoughts"] == 12 and data["latest"]["cog"] == pytest.approx(0.44)
    png = tmp_path / "cem.png"
    drawn = _uvm("cem", "--image", path, "--plot", str(png))
    assert drawn.returncode == 0, drawn.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    svg = tmp_path / "cem.svg"
    assert _uvm("cem", "--image", path, "--plot", str(svg)).returncode == 0
    assert "<svg" in svg.read_text()[:500]
    bad = _uvm("cem", "--image", path, "--plot", str(tmp_path / "cem.gif"))
    assert bad.returncode == 1 and "a .png or an .svg" in bad.stderr
    audited = _uvm("cem", "--image", path, "--audit")
    assert audited.returncode == 0 and "ALFRED's audit of 12 thoughts" in audited.stdout


def test_uvm_cem_on_an_image_without_thoughts(tmp_path):
    path = _fresh_file(tmp_path)
    out = _uvm("cem", "--image", path)
    assert out.returncode == 0 and "no thoughts recorded yet" in out.stdout
    none = _uvm("cem", "--image", path, "--plot", str(tmp_path / "x.png"))
    assert none.returncode == 1 and "nothing to draw" in none.stderr
    assert view.lines({})[0].startswith("CEM: no thoughts")


def test_a_practice_question_is_the_first_real_question_in_the_answer():
    prompt = "Write one short question...\n- I miss my grandmother.\nAnswer with the question only."
    assert live._first_question('Sure: "How do I rest when my mind races?" Try this.', prompt) \
        == "How do I rest when my mind races?"
    assert live._first_question("1. What can I cook for a sad friend?", prompt) \
        == "What can I cook for a sad friend?"
    assert live._first_question("Answer with the question only. No more.", prompt) is None
    assert live._first_question("Why? What for?", prompt) is None          # too short to be one


def test_a_router_already_at_its_widest_is_not_widened_again(image):
    settings = router.settings_for(image)
    settings.margin, settings.thresholds = missions.MAX_MARGIN, {"BABS": 0.0}
    image.run(lambda: router.save_settings(image, settings), "wide", "test")
    _store(image, [_rec(i, 0.9, 0.22, 0.6, 0.7, ranking=_ranking()) for i in range(10)])
    text = image.eval("mind audit")
    assert "no mission: the router is already as wide as a mission makes it" in text
    assert missions.missions(image.connection.root()) == []
