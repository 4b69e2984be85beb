"""The cognitive architecture: the layer above the model substrate (``uvm.llm``).

It imports ``uvm.llm``, ``uvm.image`` and ``uvm.runtime``, never the REPL, and importing
the package imports nothing. ``memory`` is O-RAG: memories as objects in the image;
``tools`` is JIT for agency: capabilities the user grants and the tool proxies written
on their first send.
"""
