"""The sentence-embedding model (all-MiniLM-L6-v2 from its PyPI package), for real."""
from __future__ import annotations

import subprocess
import sys

import numpy as np

from uvm.llm.embedding import DIMENSIONS, embedder


def test_unit_vectors_that_put_like_with_like():
    v = embedder().embed(["I feel lonely and need someone to listen",
                          "I am sad and alone tonight",
                          "List the HTTP endpoints of this API and their error codes"])
    assert v.shape == (3, DIMENSIONS) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    sims = v @ v.T
    assert sims[0, 1] > sims[0, 2] + 0.3


def test_batches_agree_with_single_texts():
    texts = [f"sentence number {i} about the weather" for i in range(40)]
    batched = embedder().embed(texts, batch=16)
    assert np.allclose(batched[33], embedder().embed_one(texts[33]), atol=1e-4)
    assert embedder().embed([]).shape == (0, DIMENSIONS)


def test_importing_it_loads_no_torch():
    code = "import sys, uvm.llm.embedding; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
