"""The derived-form cache, outside the image: ``$UVM_CACHE_DIR``, else
``$XDG_CACHE_HOME/uvm``, else ``~/.cache/uvm``.

``models/<sha256 of the GGUF>/`` holds the de-quantized weights as safetensors with the
config and tokenizer: loading that takes about a second, reading the GGUF about thirteen
(more on a slow machine). It is a pure function of the file's digest, so it can be deleted
at any time; it is written to a temporary folder and renamed into place, so a crash leaves
no half-written entry behind.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile


def cache_root() -> str:
    root = os.environ.get("UVM_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "uvm")
    return root


def derived_dir(digest: str) -> str:
    return os.path.join(cache_root(), "models", digest)


def has_derived(digest: str) -> bool:
    return os.path.exists(os.path.join(derived_dir(digest), "uvm-derived.json"))


def file_digest(path: str) -> str:
    """sha256 of a file, remembered in the cache by (path, size, mtime) so that a large
    ``gguf:FILE`` is hashed once, not by every process."""
    st = os.stat(path)
    memo_key = hashlib.sha256(f"{os.path.realpath(path)}|{st.st_size}|{st.st_mtime_ns}"
                              .encode()).hexdigest()
    memo = os.path.join(cache_root(), "digests", memo_key)
    try:
        with open(memo) as f:
            return f.read().strip()
    except OSError:
        pass
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    digest = h.hexdigest()
    try:
        os.makedirs(os.path.dirname(memo), exist_ok=True)
        with open(memo, "w") as f:
            f.write(digest)
    except OSError:
        pass
    return digest


def write_derived(digest: str, model, tokenizer, source: str) -> str | None:
    """Save a loaded GGUF model de-quantized; returns the folder, or None if the cache is
    not writable (then every process reads the GGUF, slowly, but correctly)."""
    import safetensors.torch
    final = derived_dir(digest)
    try:
        os.makedirs(os.path.dirname(final), exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".tmp-", dir=os.path.dirname(final))
    except OSError:
        return None
    try:
        config = model.config.to_dict()
        config.pop("quantization_config", None)
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(config, f, indent=1)
        tied = getattr(model.config, "tie_word_embeddings", False)
        state = {k: v.detach().contiguous() for k, v in model.state_dict().items()
                 if not (tied and k == "lm_head.weight")}
        safetensors.torch.save_file(state, os.path.join(tmp, "model.safetensors"),
                                    metadata={"format": "pt"})
        tokenizer.save_pretrained(tmp)
        if getattr(model, "generation_config", None) is not None:
            model.generation_config.save_pretrained(tmp)
        with open(os.path.join(tmp, "uvm-derived.json"), "w") as f:
            json.dump({"sha256": digest, "from": source, "form": "de-quantized float32"}, f)
        try:
            os.rename(tmp, final)
        except OSError:  # another process got there first
            shutil.rmtree(tmp, ignore_errors=True)
        return final
    except Exception:  # noqa: BLE001 -- a cache that cannot be written is only slower
        shutil.rmtree(tmp, ignore_errors=True)
        return None
