"""``uvm memory ...``: the image's memory from the shell.

    uvm memory ingest FILE.jsonl        one JSON object a line: id, text, and optional time
                                        (ISO 8601), session, speaker, subject, importance
    uvm memory recall TEXT [-k K] [--json]
    uvm memory curate [--to N] [--model]
    uvm memory stats [--json]

Each command is one recorded transaction (``uvm history`` lists it, ``uvm undo`` takes it
back); a bad file is an error naming its line, and nothing of it is remembered.
"""
from __future__ import annotations

import argparse
import json
import sys

USAGE = "uvm memory {ingest,recall,curate,stats} ... (uvm memory COMMAND --help)"


def memory_command(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="uvm memory", description="The image's memory: ingest, "
                                "recall, curate, stats.")
    p.add_argument("--image", metavar="PATH", help="the image (default $UVM_IMAGE or ./live_image.fs)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    ing = sub.add_parser("ingest", help="remember the records of a JSON-lines file")
    ing.add_argument("file", metavar="FILE.jsonl")
    rec = sub.add_parser("recall", help="the memories that answer TEXT best")
    rec.add_argument("text", metavar="TEXT")
    rec.add_argument("-k", type=int, default=5, help="how many (default 5)")
    rec.add_argument("--json", action="store_true",
                     help="a JSON list of objects with id, text and score, best first")
    cur = sub.add_parser("curate", help="summarise and archive rarely used memories")
    cur.add_argument("--to", type=int, metavar="N", help="bring the live count down to N "
                     "(default: the curateTo share of the live bound)")
    cur.add_argument("--model", action="store_true",
                     help="let the run's language model write the summaries (default: extractive)")
    st = sub.add_parser("stats", help="live and archived counts, sizes, the index kind")
    st.add_argument("--json", action="store_true")
    for q in (ing, rec, cur, st):
        q.add_argument("--image", metavar="PATH", default=argparse.SUPPRESS,
                       help="the image (default $UVM_IMAGE or ./live_image.fs)")
    opts = p.parse_args(argv)
    if opts.command is None:
        print(f"usage: {USAGE}", file=sys.stderr)
        return 2
    if opts.command == "recall" and opts.k < 1:
        print("uvm memory recall: -k must be at least 1", file=sys.stderr)
        return 2
    from uvm.image.image import ImageError, open_image
    from uvm.runtime.errors import UvmError
    try:
        image = open_image(opts.image)
    except ImageError as e:
        print(f"uvm: {e}", file=sys.stderr)
        return 1
    try:
        return _COMMANDS[opts.command](image, opts)
    except UvmError as e:
        print(f"uvm memory {opts.command}: {e.message if hasattr(e, 'message') else e}", file=sys.stderr)
        return 1
    finally:
        image.close()


def _ingest(image, opts) -> int:
    from uvm.cognition.memory import api
    records = api.read_jsonl(opts.file)
    tty = sys.stderr.isatty()

    def progress(done, total):
        if tty:
            print(f"\rremembering: {done} of {total}", end="", file=sys.stderr, flush=True)
    n, store = image.run(lambda: (api.ingest(image, records, progress=progress), api.stats(image)),
                         f"uvm memory ingest {opts.file}", "memory")
    if tty:
        print(file=sys.stderr)
    print(f"remembered {n} memories from {opts.file} ({store['live']} live, "
          f"{store['archived']} archived)")
    return 0


def _recall(image, opts) -> int:
    from uvm.cognition.memory import api
    hits = image.run(lambda: [(r.id, r.text, r.score) for r in api.recall(image, opts.text, opts.k)],
                     f"uvm memory recall {opts.text}", "memory")
    if opts.json:
        print(json.dumps([{"id": i, "text": t, "score": s} for i, t, s in hits], ensure_ascii=False))
        return 0
    if not hits:
        print("no memories")
    for i, t, s in hits:
        print(f"{s:7.3f}  {i}  {t}")
    return 0


def _curate(image, opts) -> int:
    from uvm.cognition.memory import api
    from uvm.cognition.memory.curator import model_summarizer
    summarize = None
    if opts.model:
        from uvm.llm.settings import backend_for
        summarize = model_summarizer(backend_for(image))
    report = image.run(lambda: api.curate(image, opts.to, summarize), "uvm memory curate", "memory")
    print(report.describe())
    return 0


def _stats(image, opts) -> int:
    from uvm.cognition.memory import api
    image.tm.begin()
    try:  # read only: nothing to commit
        s = api.stats(image)
    finally:
        image.tm.abort()
    if opts.json:
        print(json.dumps(s))
        return 0
    print(f"live memories   {s['live']} ({s['summaries']} summaries)\n"
          f"archived        {s['archived']} in {s['archive_runs']} archive BLOBs, "
          f"{s['archive_bytes']} bytes compressed\n"
          f"vectors         {s['vector_bytes']} bytes (int8, {s['live']} live)\n"
          f"index           {s['index']}\n"
          f"live bound      {s['live_bound'] or 'none'}")
    return 0


_COMMANDS = {"ingest": _ingest, "recall": _recall, "curate": _curate, "stats": _stats}
