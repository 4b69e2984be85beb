"""The language-model substrate: backends behind one small interface, the base model and
the persona adapters inside the image, and the three-tier adapter memory manager.

    from uvm.llm import backend_for, make_backend
    backend = make_backend("embedded", image)          # or backend_for(image): the run's
    backend.complete([{"role": "user", "content": "Hi"}], max_tokens=20, adapter="ROBIN")

Importing this package imports neither torch nor transformers; a backend that needs them
imports them on its first request.
"""
from uvm.llm.backend import Backend, Request
from uvm.llm.errors import LLMError
from uvm.llm.settings import backend_for, configure_run, make_backend, parse_spec, run_spec

__all__ = ["Backend", "Request", "LLMError", "backend_for", "configure_run", "make_backend",
           "parse_spec", "run_spec"]
