"""``uvm cem`` (the series: text, ``--json``, ``--plot FILE``, ``--audit``, ``--tune``) and
``uvm live`` (the autotelic loop)."""
from __future__ import annotations

import argparse
import json
import sys


def _open(path, memory: bool, read_only: bool = False):
    from uvm.image.image import open_image
    return open_image(path, memory=memory, read_only=read_only)


def cem_command(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="uvm cem", description="The Composite Entropy Metric of "
                                "the image's thoughts: the latest values, moving averages, "
                                "weights and missions.")
    p.add_argument("--plot", metavar="FILE", help="draw the series into FILE (.png or .svg; "
                   "needs the plot extra, matplotlib)")
    p.add_argument("--json", action="store_true", help="the numbers as JSON")
    p.add_argument("--window", type=int, default=None, metavar="N",
                   help="thoughts in the moving average (default 10)")
    p.add_argument("--audit", action="store_true", help="run ALFRED's audit now; a stagnation "
                   "starts its mission (one transaction, origin autotelic)")
    p.add_argument("--tune", action="store_true", help="fit the weights to the history "
                   "(one transaction, origin cem)")
    p.add_argument("--image", metavar="PATH", help="the image (default $UVM_IMAGE or ./live_image.fs)")
    opts = p.parse_args(argv)
    from uvm.cognition.cem import live, series, tuning, view
    from uvm.image.image import ImageError
    from uvm.llm.errors import LLMError
    from uvm.runtime.errors import UvmError
    window = opts.window or series.WINDOW
    if window < 1:
        p.error("--window must be 1 or more")
    writes = opts.audit or opts.tune
    try:
        image = _open(opts.image, False, read_only=not writes)
    except ImageError as e:
        print(f"uvm: {e}", file=sys.stderr)
        return 1
    try:
        if opts.tune:
            entry = image.run(lambda: tuning.tune(image), "uvm cem --tune", "cem")
            print("weights unchanged: the history does not move them" if entry is None
                  else f"weights: {entry['old']} -> {entry['new']} ({entry['reason']})")
        if opts.audit:
            found = live.audit(image, window)
            if found.signal is not None:
                found = image.run(lambda: live.start_mission(image, live.audit(image, window), window),
                                  "uvm cem --audit", "audit")
            print("\n".join(found.lines()))
        root = image.connection.root()
        if opts.json:
            print(json.dumps(view.summary(root, window), indent=2))
        elif not writes:
            print("\n".join(view.lines(root, window)))
        if opts.plot:
            print(f"drew {view.plot(root, opts.plot, window)}", file=sys.stderr)
    except (tuning.TuningError, view.PlotError) as e:
        print(f"uvm: {e}", file=sys.stderr)
        return 1
    except (UvmError, LLMError) as e:
        print(f"uvm: {getattr(e, 'message', e)}", file=sys.stderr)
        return 1
    finally:
        image.close()
    return 0


def live_command(argv: list[str]) -> int:
    """``uvm live``: the questions given (arguments, or ``--questions FILE``, one a line),
    then practice questions, each one thought; ALFRED's audit every N thoughts."""
    from uvm.cognition.cem import live
    p = argparse.ArgumentParser(prog="uvm live", description="The autotelic loop: each question "
                                "is one thought; every N thoughts ALFRED audits the CEM and a "
                                "stagnation starts a self-improvement mission. Between (and "
                                "after) your questions the mind sets itself practice questions. "
                                "Ctrl-C stops it.")
    p.add_argument("question", nargs="*", help="questions to think about first")
    p.add_argument("--questions", metavar="FILE", help="more questions, one a line")
    p.add_argument("--every", type=int, default=live.AUDIT_EVERY, metavar="N",
                   help=f"audit every N thoughts (default {live.AUDIT_EVERY}; 0: never)")
    p.add_argument("--practice", type=int, default=live.PRACTICE_LIMIT, metavar="K",
                   help=f"at most K practice questions (default {live.PRACTICE_LIMIT})")
    p.add_argument("--seconds", type=float, default=live.PRACTICE_SECONDS, metavar="S",
                   help=f"no practice question after S seconds (default {live.PRACTICE_SECONDS:.0f})")
    p.add_argument("--image", metavar="PATH", help="the image (default $UVM_IMAGE or ./live_image.fs)")
    p.add_argument("--memory", action="store_true", help="a throw-away image")
    p.add_argument("--llm", metavar="SPEC", help="the language model backend for this run")
    opts = p.parse_args(argv)
    if opts.every < 0 or opts.practice < 0 or opts.seconds < 0:
        p.error("--every, --practice and --seconds are 0 or more")
    questions = [q.strip() for q in opts.question if q.strip()]
    if opts.questions:
        try:
            with open(opts.questions, encoding="utf-8") as f:
                questions += [line.strip() for line in f if line.strip()]
        except OSError as e:
            print(f"uvm: cannot read {opts.questions}: {e.strerror}", file=sys.stderr)
            return 1
    from uvm.image.image import ImageError
    from uvm.llm.errors import LLMError
    from uvm.llm.settings import configure_run
    from uvm.llm.synthesis import install
    try:
        if opts.llm:
            configure_run(opts.llm)
    except LLMError as e:
        print(f"uvm: {e}", file=sys.stderr)
        return 2
    try:
        image = _open(opts.image, opts.memory)
    except ImageError as e:
        print(f"uvm: {e}", file=sys.stderr)
        return 1
    try:
        install(image)  # a facet not yet written is written on its first send
        state = live.run(image, questions, opts.every, opts.practice, opts.seconds,
                         say=lambda line: print(line, flush=True))
    finally:
        image.close()
    return 1 if state.thoughts == 0 and (questions or opts.practice) else 0
