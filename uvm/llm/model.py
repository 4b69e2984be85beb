"""Loading a model with transformers (imported here, on first need, never before).

A GGUF file is read once with ``gguf_file=`` (slow: it is de-quantized tensor by tensor),
then saved de-quantized in the derived cache keyed by the file's sha256 (see cache.py);
later loads read that instead. A Hugging Face directory is loaded as it is stored, or in
4-bit NF4 through bitsandbytes when CUDA is there.

The reading runs in a thread of its own while the caller waits (``_off_this_thread``):
torch and transformers spend seconds in calls that do not return to Python, and Ctrl-C
would wait for them; this way it stops the caller at once.
"""
from __future__ import annotations

import concurrent.futures
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field

from uvm.llm import cache
from uvm.llm.errors import LLMError, ModelFileError, require_ml
from uvm.llm.progress import quiet_transformers


@dataclass
class LoadedModel:
    model: object
    tokenizer: object
    name: str
    source: str                 # "derived cache", "GGUF", "HF directory (NF4)", ...
    seconds: float
    digest: str | None = None
    device: str = "cpu"
    notes: list[str] = field(default_factory=list)


_loading: dict[tuple, concurrent.futures.Future] = {}
_loading_lock = threading.Lock()


def _off_this_thread(key: tuple, read):
    """``read()`` in a worker thread, waited for here in short steps so that Ctrl-C takes
    effect at once. A read cut short that way goes on in the background, and the next
    call with the same ``key`` waits for it instead of reading again."""
    with _loading_lock:
        future = _loading.get(key)
        if future is None:
            future = _loading[key] = concurrent.futures.Future()

            def run():
                try:
                    future.set_result(read())
                except BaseException as e:  # noqa: BLE001 -- handed to whoever waits
                    future.set_exception(e)
            threading.Thread(target=run, name="uvm-load", daemon=True).start()
    while True:
        try:
            result = future.result(timeout=0.1)
        except concurrent.futures.TimeoutError:
            continue
        except BaseException:
            if future.done():  # the read failed (not Ctrl-C here): the next call reads again
                _forget(key, future)
            raise
        _forget(key, future)
        return result


def _forget(key: tuple, future) -> None:
    with _loading_lock:
        if _loading.get(key) is future:
            del _loading[key]


def _read_derived(path: str, digest: str, name: str, t0: float) -> LoadedModel:
    from transformers import AutoModelForCausalLM, AutoTokenizer
    with quiet_transformers():
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path)
    model.eval()
    return LoadedModel(model, tok, name, "derived cache", time.perf_counter() - t0, digest)


def load_gguf(path: str, digest: str | None = None, name: str | None = None,
              use_cache: bool = True) -> LoadedModel:
    """Load a GGUF file (a BLOB's committed file or a file on disk)."""
    require_ml()
    return _off_this_thread(("gguf", path, digest, name, use_cache),
                            lambda: _read_gguf(path, digest, name, use_cache))


def _read_gguf(path: str, digest: str | None, name: str | None, use_cache: bool) -> LoadedModel:
    t0 = time.perf_counter()
    name = name or os.path.basename(path)
    if not os.path.exists(path):
        raise ModelFileError(f"no model file at {path}")
    if use_cache:
        digest = digest or cache.file_digest(path)
        if cache.has_derived(digest):
            return _read_derived(cache.derived_dir(digest), digest, name, t0)
    from transformers import AutoModelForCausalLM, AutoTokenizer
    # transformers wants a folder and a file name in it; a BLOB's file has neither a
    # stable name nor a .gguf suffix, so give it one through a symbolic link.
    with tempfile.TemporaryDirectory(prefix="uvm-gguf-") as tmp:
        os.symlink(os.path.abspath(path), os.path.join(tmp, "model.gguf"))
        try:
            with quiet_transformers():
                tok = AutoTokenizer.from_pretrained(tmp, gguf_file="model.gguf")
                model = AutoModelForCausalLM.from_pretrained(tmp, gguf_file="model.gguf")
        except (OSError, ValueError, RuntimeError) as e:
            raise ModelFileError(f"cannot load the GGUF model {path}: {e}") from None
    model.eval()
    loaded = LoadedModel(model, tok, name, "GGUF", time.perf_counter() - t0, digest)
    if use_cache and digest:
        where = cache.write_derived(digest, model, tok, path)
        if where is None:
            loaded.notes.append("the derived-form cache is not writable")
        else:
            # Load the derived form back, so that this process computes exactly what every
            # later process (which reads only the cache) computes.
            return _read_derived(where, digest, name, t0)
    return loaded


def load_hf(path: str, name: str | None = None) -> LoadedModel:
    """A local Hugging Face model directory: NF4 through bitsandbytes on CUDA (the seed's
    configuration), else its stored precision on the CPU."""
    require_ml()
    return _off_this_thread(("hf", path, name), lambda: _read_hf(path, name))


def _read_hf(path: str, name: str | None) -> LoadedModel:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    if not os.path.isdir(path):
        raise ModelFileError(f"no model directory at {path}")
    t0 = time.perf_counter()
    kwargs: dict = {"local_files_only": True}
    source, device = "HF directory", "cpu"
    if torch.cuda.is_available():
        try:
            from transformers import BitsAndBytesConfig
            import bitsandbytes  # noqa: F401
        except ImportError:
            raise LLMError("CUDA is here but bitsandbytes is not: `pip install bitsandbytes` "
                           "to load hf: models in 4-bit NF4") from None
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16)
        kwargs["device_map"] = {"": 0}
        source, device = "HF directory, 4-bit NF4 on CUDA", "cuda"
    else:
        kwargs["dtype"] = "auto"
    try:
        with quiet_transformers():
            tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except (OSError, ValueError) as e:
        raise ModelFileError(f"cannot load the model directory {path}: {e}") from None
    model.eval()
    return LoadedModel(model, tok, name or os.path.basename(path.rstrip("/")), source,
                       time.perf_counter() - t0, None, device)
