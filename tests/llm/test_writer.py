"""The method writer: its training data are the pipeline's own prompts for practice tasks
that copy no benchmark answer, and the adapter it ships is loaded from the image's BLOB
and made hot when the pipeline writes a method."""
from __future__ import annotations

import importlib
import json
import os
import sys

import pytest

import uvm
from uvm.llm.doubles import ScriptBackend
from uvm.llm.synthesis import pipeline
from uvm.llm.synthesis.nearcopy import NearCopyIndex, normalised_tokens
from uvm.llm.synthesis.practice import generate, judge, render
from uvm.runtime import send as send_mod

from .conftest import needs_ml

BENCHMARKS = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")


@pytest.fixture(scope="module")
def benchmark_answers():
    sys.path.insert(0, BENCHMARKS)
    try:
        refs = importlib.import_module("synthesis").references()
    finally:
        sys.path.remove(BENCHMARKS)
        for name in ("synthesis", "synthesis_dev", "synthesis_heldout", "synthesis_tasks"):
            sys.modules.pop(name, None)
    return refs


def test_practice_tasks_copy_no_benchmark_answer_and_their_references_pass(benchmark_answers):
    index = NearCopyIndex(benchmark_answers)
    made = generate(240, seed=7, avoid=index, avoid_selectors={r.selector for r in benchmark_answers})
    assert len(made.tasks) == 240 and made.dropped  # some were left out...
    assert {t.kind for t in made.tasks} == {"arithmetic", "string", "list", "dictionary", "state",
                                            "self-send"}
    for t in made.tasks:  # ...and none that is left copies a benchmark task
        assert index.find(t.selector, t.reference()) is None, t.selector
    with uvm.open(memory=True) as im:
        sample = made.tasks[::40]
        assert all(judge(im, t, [t.reference()]) == [True] for t in sample)
        wrong = sample[0].reference().replace("return ", "return 1 + ", 1)
        assert judge(im, sample[0], [wrong]) == [False]


def test_training_prompts_are_exactly_what_the_pipeline_asks(tmp_path):
    task = next(t for t in generate(60, seed=3).tasks if t.receiver is None and t.args)
    with uvm.open(memory=True) as im:
        rendered = render(im, task, "intent", pipeline.WRITER_SHOTS)
        assert rendered is not None and normalised_tokens(task.signature().source() + "\n    "
                                                          + rendered.answer)
        script = tmp_path / "answers.jsonl"
        script.write_text(json.dumps({"text": rendered.answer}) + "\n")
        backend = ScriptBackend(f"script:{script}", str(script))
        backend.adapter_names = lambda: ("METHODS",)  # as if the method writer were there
        send_mod.synthesizer = pipeline.Synthesizer(im, backend=backend)
        try:
            slots = ". ".join(f"{n} <- nil" for n, _ in task.slots)
            from uvm.llm.synthesis.receiver import source_of
            im.eval(f"lobby _AddSlots: (| {task.name} = (| parent* = traits clonable. {slots}"
                    f"{'. ' + task.methods if task.methods else ''} |) |)")
            for n, v in task.slots:
                im.eval(f"{task.name} {n}: {source_of(v)}")
            im.eval(f"{task.name} intend: '{task.selector}' As: '{task.intent}'")
            im.eval(task.send_source())
        finally:
            pipeline.uninstall()
        asked = [{"role": r, "content": c} for r, c in backend.requests[0].messages]
        assert asked == rendered.messages
        assert backend.requests[0].adapter == "METHODS"


@needs_ml
def test_a_trained_method_writer_is_loaded_from_the_images_blob_and_made_hot(
        tmp_path, llm_cache, benchmark_answers):
    """`uvm train methods` in miniature (a few practice tasks, one step, no rounds: the
    bundled adapter is never trained in a test), then imported like `uvm awaken` does."""
    from uvm.llm.local import TransformersBackend, image_adapters, image_loader
    from uvm.llm.pllm import METHOD_WRITER, awaken, get_pllm, import_adapter
    from uvm.llm.synthesis.writer import Settings, train, training_sources
    avoid = tmp_path / "avoid.jsonl"
    avoid.write_text("".join(json.dumps({"name": r.name, "selector": r.selector,
                                         "reference": r.source}) + "\n" for r in benchmark_answers))
    out = str(tmp_path / "methods.safetensors")
    image = uvm.open(str(tmp_path / "train.fs"))
    backend = None
    try:
        awaken(image, adapters={})
        report = train(image, out, [str(avoid)],
                       Settings(tasks=6, steps=1, batch=2, rounds=0), log=lambda line: None)
        assert [s["stage"] for s in report.stages] == ["references", "train"]
        sources = training_sources(out)  # every training answer, checked by its digest
        assert 0 < len(sources) <= report.stages[0]["rows"]
        index = NearCopyIndex(benchmark_answers)
        assert all(index.find(sel, src) is None for sel, src in sources)
        proxy = import_adapter(image, METHOD_WRITER, out)
        assert proxy.path() != out                                  # a BLOB of the image...
        backend = TransformersBackend("embedded", image_loader(image), lambda: image_adapters(image))
        backend.load()
        assert backend.memory.adapters[METHOD_WRITER].path == proxy.path()  # ...the backend reads
        assert get_pllm(image).adapters[METHOD_WRITER].config["r"] == Settings().rank
        with uvm.open(memory=True) as im:
            assert pipeline.Synthesizer(im, backend=backend).writer_for(backend) == METHOD_WRITER
        texts = backend.complete_batch([{"role": "user", "content": "Say hi."}], 2, max_tokens=3,
                                       temperature=0.7, adapter=METHOD_WRITER)
        assert len(texts) == 2
        assert backend.memory.tier(METHOD_WRITER) == "hot" and backend.memory.active == METHOD_WRITER
    finally:
        if backend is not None:
            backend.close()
        image.close()
