"""Which backend a run uses. A setting of the run, never state of the image.

The order: ``--llm SPEC`` / ``--no-llm`` on the command line, then ``$UVM_LLM``, then the
user config file (``$XDG_CONFIG_HOME/uvm/config.toml``, default ``~/.config/uvm/config.toml``,
a line ``llm = "SPEC"``), else ``embedded``. ``$UVM_LLM_RECORD=FILE`` records every
generation of the run for ``replay:FILE``.

Specs: ``none``, ``embedded``, ``hf:DIR``, ``gguf:FILE``, ``openai:URL[#MODEL]``,
``script:FILE`` and ``replay:FILE`` (the last two are test doubles).
Nothing here imports torch: a backend that needs it imports it on its first request.
"""
from __future__ import annotations

import os
import threading

from uvm.llm.backend import Backend, NoModel
from uvm.llm.errors import BackendSpecError

KINDS = ("none", "embedded", "hf", "gguf", "openai", "script", "replay")
DEFAULT = "embedded"


def config_path() -> str:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "uvm", "config.toml")


def configured_spec() -> tuple[str, str]:
    """The default spec and where it came from (``$UVM_LLM``, the config file, built in)."""
    env = os.environ.get("UVM_LLM", "").strip()
    if env:
        return env, "$UVM_LLM"
    path = config_path()
    if os.path.exists(path):
        import tomllib
        try:
            with open(path, "rb") as f:
                value = tomllib.load(f).get("llm")
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise BackendSpecError(f"cannot read {path}: {e}") from None
        if value:
            return str(value), path
    return DEFAULT, "default"


def parse_spec(spec: str) -> tuple[str, str]:
    """``'gguf:/m/x.gguf'`` -> ``('gguf', '/m/x.gguf')``; checks the form, touches no file."""
    spec = spec.strip()
    kind, sep, arg = spec.partition(":")
    if kind not in KINDS:
        raise BackendSpecError(f"unknown language-model backend {spec!r}; use one of: none, "
                               "embedded, hf:DIR, gguf:FILE, openai:URL[#MODEL], script:FILE, "
                               "replay:FILE")
    if kind in ("none", "embedded"):
        if arg:
            raise BackendSpecError(f"{kind} takes no argument (got {spec!r})")
    elif not arg:
        raise BackendSpecError(f"{kind}: needs an argument, as in {kind}:"
                               f"{'URL' if kind == 'openai' else 'FILE' if kind != 'hf' else 'DIR'}")
    return kind, arg


def make_backend(spec: str, image=None, record: str | None = None) -> Backend:
    """A backend for ``spec``. ``image`` (an open image) is where ``embedded`` keeps and
    finds its model and the personas; without one it reads the package's file."""
    kind, arg = parse_spec(spec)
    if kind == "none":
        backend: Backend = NoModel("none")
    elif kind == "script":
        from uvm.llm.doubles import ScriptBackend
        backend = ScriptBackend(spec, arg)
    elif kind == "replay":
        from uvm.llm.doubles import ReplayBackend
        backend = ReplayBackend(spec, arg)
    elif kind == "openai":
        from uvm.llm.openai import OpenAIBackend
        url, _, model = arg.partition("#")
        backend = OpenAIBackend(spec, url, model or None)
    else:
        from uvm.llm.local import TransformersBackend
        backend = TransformersBackend.for_spec(spec, kind, arg, image)
    if record:
        from uvm.llm.doubles import RecordingBackend
        backend = RecordingBackend(backend, record)
    return backend


# --- the run's setting --------------------------------------------------------------------------
_lock = threading.Lock()
_run_spec: str | None = None
_run_record: str | None = None
_backends: dict[tuple[str, int], Backend] = {}


def configure_run(llm: str | None = None, no_llm: bool = False,
                  record: str | None = None) -> str:
    """Set this process's backend from the command line; returns the spec in force.
    Raises ``BackendSpecError`` for a malformed spec. Loads nothing."""
    global _run_spec, _run_record
    spec = "none" if no_llm else (llm or configured_spec()[0])
    parse_spec(spec)
    with _lock:
        _run_spec = spec
        _run_record = record if record is not None else os.environ.get("UVM_LLM_RECORD") or None
        _backends.clear()
    return spec


def run_spec() -> str:
    return _run_spec if _run_spec is not None else configured_spec()[0]


def backend_for(image=None) -> Backend:
    """The run's backend (made on first use, one per image): what code that needs a model
    (doesNotUnderstand synthesis, personas) asks for."""
    spec = run_spec()
    key = (spec, id(image) if image is not None else 0)
    with _lock:
        backend = _backends.get(key)
        if backend is None:
            backend = _backends[key] = make_backend(spec, image, _run_record)
        return backend


def use_backend(image, backend: Backend) -> None:
    """Make ``backend`` (one already built and loaded) the run's backend for ``image``, as
    if the run's setting had made it: for embedders and tests that hold one."""
    with _lock:
        _backends[(run_spec(), id(image) if image is not None else 0)] = backend


def evaluation_backend(image) -> Backend:
    """The run's backend for use inside an evaluation of ``image`` (synthesis, a persona's
    inference). Awakening an image commits, which must never happen inside the user's
    transaction: an image with no base model yet is served by the embedded package's model
    and the adapters shipped with UVM (the same files ``uvm awaken`` imports)."""
    if run_spec() == "embedded":
        try:
            from uvm.llm.pllm import get_pllm
            if get_pllm(image) is None:
                image = None
        except Exception:  # noqa: BLE001
            image = None
    return backend_for(image)


def live_backends() -> list[Backend]:
    return list(_backends.values())


def live_backend_for(image=None) -> Backend | None:
    """The run's backend for ``image`` if one was made already (never makes one)."""
    return _backends.get((run_spec(), id(image) if image is not None else 0))


# --- the method writer ----------------------------------------------------------------------------
WRITER_VARIABLE = "UVM_LLM_WRITER"
DEFAULT_WRITER = "METHODS"


def method_writer() -> str | None:
    """The adapter that writes methods for doesNotUnderstand: ``$UVM_LLM_WRITER`` (an
    adapter's name, or ``none`` for the plain base model), else ``writer = "..."`` in the
    user config file, else the bundled method writer, ``METHODS``."""
    raw = os.environ.get(WRITER_VARIABLE, "").strip()
    if not raw:
        path = config_path()
        if os.path.exists(path):
            import tomllib
            try:
                with open(path, "rb") as f:
                    raw = str(tomllib.load(f).get("writer") or "").strip()
            except (OSError, tomllib.TOMLDecodeError) as e:
                raise BackendSpecError(f"cannot read {path}: {e}") from None
    raw = raw or DEFAULT_WRITER
    return None if raw.lower() == "none" else raw.upper()
