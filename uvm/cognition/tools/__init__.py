"""JIT for agency (the seed, Part V.1): tools the user grants become proxy prototypes
written on their first send, with I/O only through revocable capabilities, and external
writes released only when the thought commits.

- ``capability``: what the user granted, kept in the image (``root['uvm.tools']``): base
  URL, allowed methods and paths, rate, time and size limits, secret headers, the
  revocation flag; the audit log and the outbox beside it;
- ``spec``: an OpenAPI 3 document read into the capability's operations;
- ``client``: the one place that touches the network (the standard library's
  ``http.client``: one host, no redirects it did not check, no proxies, bounded time and
  size);
- ``door``: a call through a capability: checks, reads at once, writes queued;
- ``outbox``: the transaction data manager that sends queued writes only after the
  image has committed, and records every call in a follow-up transaction;
- ``mapping``: selectors that spell an operationId become generated methods, and the
  tool audit every proxy method passes;
- ``brief``: any other selector goes to the model with the operations as the brief;
- ``bridge``: what the prototypes in ``tools.uvm`` call; ``commands``: ``uvm tools``.

Importing the package imports nothing (the bootstrap reads ``tools.uvm`` as a file).
"""
