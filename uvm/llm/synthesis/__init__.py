"""JIT for intent: methods written by the model when a send is not understood.

``install(image)`` sets ``uvm.runtime.send.synthesizer`` (the hook the default
``doesNotUnderstand:`` calls) to a ``Synthesizer`` when the run has a model. For a failed
send it:

1. treats a selector a small edit away from one the receiver understands as a typo
   ("did you mean ...?") and never asks the model (``receiver``);
2. writes a mission brief (selector, arguments and their types, the receiver's slots and
   parents, the sending line, the user's intent and examples) after worked examples from
   the method library, ending in the method's exact signature (``prompt``,
   ``library``);
3. takes the function from the answer (``answer``), audits it (``guardian``) and
   compiles it confined (``sandbox``, over ``uvm.runtime.confinement``: RestrictedPython,
   the membrane, the write policy, bounded builtins and per-call limits);
4. installs it inside a savepoint, runs the original send under a time and memory limit,
   then the user's examples; on any failure rolls the savepoint back and retries with the
   error fed back (retries sample); in approval mode asks the person, naming any object
   besides the receiver that the run changed;
5. on success keeps the method with its provenance, adds it to the method library and
   records the model and attempts in the transaction; when every attempt fails, raises a
   ``UvmError`` naming the selector, the last attempt's code and why it failed.

``uvm.open`` never installs it by itself; the CLI does, embedders call ``install``.

The modules, one concern each: ``receiver`` (what a receiver understands, where a method
goes), ``prompt`` and ``library`` (the brief and its worked examples), ``answer`` (from the
model's text to a function), ``guardian`` (the audit), ``sandbox`` (compiling it confined and
running it under limits), ``pipeline`` (the driver), ``approval`` (asking the person at a terminal) and
``methods`` (listing, removing and regenerating what the model wrote).
"""
from uvm.llm.synthesis.pipeline import (SynthesisFailed, Synthesizer, install, set_approver,
                                        set_typo_question, typo_question, uninstall)

__all__ = ["SynthesisFailed", "Synthesizer", "install", "set_approver", "set_typo_question",
           "typo_question", "uninstall"]
