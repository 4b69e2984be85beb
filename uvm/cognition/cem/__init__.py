"""The Composite Entropy Metric and the autotelic loop (the seed, Part V.3 and Table 5).

Every completed thought is scored by four components, each a number in [0, 1]:

- ``H_rel`` relevance (ALFRED's audit of whether the answer addresses the query),
- ``H_cog`` cognitive diversity (which personas and facets the recent thoughts used),
- ``H_sol`` solution novelty (how far the answer is from earlier answers),
- ``H_struc`` structural complexity (the shape of the thought's trace graph),

and CEM = w_rel*H_rel + w_cog*H_cog + w_sol*H_sol + w_struc*H_struc with the weights kept
in the image. One module per concern:

- ``metrics``: the components' formulas (plain functions of vectors and traces);
- ``series``: the time series in the image (a BTree keyed by thought id), the weights,
  feedback, and the hook a completed thought calls;
- ``detector``: entropic decay (a rut, a flat low, a fall) over a window of thoughts;
- ``missions``: the self-improvement missions a signal starts, each one transaction;
- ``tuning``: the weights fitted from history against an outcome signal;
- ``live``: ALFRED's Cognitive Efficiency Audit and the autotelic loop with its practice
  questions (``uvm live``, ``mind live``);
- ``view``: ``mind cem`` / ``uvm cem`` as text, and the series as a picture (matplotlib);
- ``bridge`` (what ``cem.uvm`` calls) and ``commands`` (``uvm cem``, ``uvm live``).

Importing this package imports nothing (the bootstrap reads ``cem.uvm`` through it).
"""
