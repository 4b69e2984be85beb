"""The cognitive architecture: the layer above the model substrate (``uvm.llm``).

The objects people meet are UVM prototypes, filed into every image with the core world
from the ``.uvm`` files here (core versions 7 and 9): ``mind`` and the personas ``robin``,
``brick``, ``babs`` and ``alfred`` with their codex, and the Synaptic Cycle's states.
One module per seed system, each with its prototypes in the ``.uvm`` file beside it:

- ``personas`` (``10-personas.uvm``): the codex read from a persona, and its inference
  (``robin infer: 'text' System: 'intent'``): the base model with the persona's adapter
  hot, recorded in the evaluation's transaction;
- ``router`` (``20-router.uvm``): ``mind route:`` / ``mind pick:`` and ``uvm route``:
  sentence embeddings against each persona's codex, semantic-router style, with settings
  fitted on labelled data;
- ``facets`` (``30-facets.uvm``): a pillar's facet written on its first send by the
  synthesis pipeline from a facet brief, and the facet audit;
- ``cycle`` (``40-cycle.uvm``): the Synaptic Cycle -- the states ``idle`` ... ``failed``
  and ``cognitiveCycle`` as prototypes, a thought as one transaction, ``robin ask:`` and
  ``mind ask:``; with ``weaving`` (its prompts and the sub-question parser), ``gate``
  (the quality gate), ``thoughts`` (completed thoughts and the trace's shape) and
  ``recollection`` (where a thought meets memory);
- ``bridge``: the functions the prototypes call (through ``python import:``);
- ``commands``: ``uvm route`` and ``uvm ask``;
- ``memory``: O-RAG, memories as objects in the image (its own package);
- ``tools``: JIT for agency, capabilities the user grants and the tool proxies written
  on their first send (its own package).

This package imports ``uvm.llm``, ``uvm.image`` and ``uvm.runtime``, never the REPL.
Importing it (which the bootstrap does to find its ``.uvm`` files) imports nothing.
"""
