"""The embedded model for real: loaded by transformers from the image's BLOB (the file it
was imported from is gone), generating tokens; the derived-form cache; awakening as a
transaction of its own."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.llm.conftest import needs_ml
from uvm.llm.errors import ModelFileError
from uvm.llm.pllm import METHOD_WRITER, PERSONAS, bundled_adapters, get_pllm
from uvm.llm.settings import make_backend

pytestmark = needs_ml

PROMPT = [{"role": "user", "content": "What is the capital of France?"}]


def test_the_image_holds_the_model_and_the_personas_as_blobs(awake):
    image, backend = awake
    pllm = get_pllm(image)
    assert pllm.blob is not None and pllm.link is None and pllm.size > 50_000_000
    assert os.path.exists(pllm.blob_path()) and not os.path.exists(pllm.source)
    assert sorted(pllm.adapters.keys()) == sorted(bundled_adapters())
    for proxy in pllm.adapters.values():
        assert proxy.size == os.path.getsize(proxy.path()) and proxy.config["r"] > 0


def test_bundled_adapters_are_the_four_personas_and_the_method_writer_once_trained():
    # no trained method writer ships yet (README: "The method writer"); `uvm awaken`
    # imports it with the personas when uvm/llm/adapters/methods.safetensors exists
    found = set(bundled_adapters())
    assert set(PERSONAS) <= found <= set(PERSONAS + (METHOD_WRITER,))


def test_generates_from_the_blob_after_the_package_file_is_gone(awake):
    image, backend = awake
    assert backend.loaded.source == "derived cache"   # written from the BLOB's GGUF just now
    text = backend.complete(PROMPT, max_tokens=12)
    assert "Paris" in text
    assert "".join(backend.stream(PROMPT, max_tokens=12)) == text


def test_stop_sequences_and_max_tokens(awake):
    _, backend = awake
    full = backend.complete(PROMPT, max_tokens=12)
    word = full.split()[2]
    cut = backend.complete(PROMPT, max_tokens=12, stop=[word])
    assert cut == full[:full.index(word)]
    one = backend.complete(PROMPT, max_tokens=1)
    assert 0 < len(one) < len(full)


def test_sampling_with_a_seed_repeats(awake):
    _, backend = awake
    a = backend.complete(PROMPT, max_tokens=10, temperature=1.0, seed=7)
    b = backend.complete(PROMPT, max_tokens=10, temperature=1.0, seed=7)
    assert a == b


def test_a_second_backend_loads_from_the_cache_with_the_same_output(awake):
    image, backend = awake
    other = make_backend("embedded", image)
    other.load()
    assert other.loaded.source == "derived cache"
    assert other.complete(PROMPT, max_tokens=12) == backend.complete(PROMPT, max_tokens=12)


def test_a_fresh_process_answers_from_the_image_with_clean_piped_output(awake, llm_cache,
                                                                        tmp_path):
    import shutil
    image, backend = awake
    expected = backend.complete("Say hello.", max_tokens=8)
    # FileStorage admits one process at a time: the other process gets a copy of the image.
    copy = str(tmp_path / "copy.fs")
    shutil.copyfile(image.path, copy)
    shutil.copytree(image.path[:-3] + ".blobs", copy[:-3] + ".blobs")
    result = subprocess.run(
        [sys.executable, "-m", "uvm.cli", "model", "ask", "--image", copy, "--max-tokens",
         "8", "Say hello."], capture_output=True, text=True, timeout=300,
        env={**os.environ, "UVM_CACHE_DIR": llm_cache, "UVM_LLM": "embedded"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected + "\n"
    assert "%|" not in result.stderr and "Converting" not in result.stderr


def test_awakening_survives_a_failing_evaluation(awake):
    image, _ = awake
    from uvm.runtime.errors import UvmError
    with pytest.raises(UvmError):
        image.eval("lobby _AddSlots: (| x <- 1 |). nil frobnicate")
    assert get_pllm(image) is not None and len(get_pllm(image).adapters) == len(bundled_adapters())
    kinds = [e.origin for e in image.history(50)]
    assert "awaken" in kinds and "persona" in kinds


def test_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelFileError, match="no model file"):
        make_backend(f"gguf:{tmp_path / 'nope.gguf'}").complete("hi")
    with pytest.raises(ModelFileError, match="no model directory"):
        make_backend(f"hf:{tmp_path / 'nope'}").complete("hi")


def test_gguf_backend_reads_a_file(llm_cache):
    from uvm.llm.pllm import embedded_model_file
    backend = make_backend(f"gguf:{embedded_model_file()}")
    assert "Paris" in backend.complete(PROMPT, max_tokens=12)


def test_hf_backend_reads_a_model_directory(llm_cache, awake):
    # The derived cache entry is an ordinary Hugging Face model directory.
    from uvm.llm import cache
    image, backend = awake
    folder = cache.derived_dir(get_pllm(image).digest)
    hf = make_backend(f"hf:{folder}")
    assert hf.complete(PROMPT, max_tokens=12) == backend.complete(PROMPT, max_tokens=12)
