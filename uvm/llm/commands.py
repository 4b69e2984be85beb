"""``uvm awaken``, ``uvm model ...``, ``uvm persona ...`` and ``uvm methods ...``."""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

from uvm.llm.errors import LLMError


def _image_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--image", metavar="PATH", help="the image (default $UVM_IMAGE or "
                                                   "./live_image.fs)")
    p.add_argument("--memory", action="store_true", help="a throw-away in-memory image")


def _open(opts):
    from uvm.image.image import open_image
    return open_image(opts.image, memory=opts.memory)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return str(n)


def _fail(e: Exception) -> int:
    print(f"uvm: {e}", file=sys.stderr)
    return 1


def awaken_command(argv: list[str]) -> int:
    """uvm awaken [--image P] [--llm SPEC] [--link]: put the base model and the four
    personas into the image as BLOBs."""
    p = argparse.ArgumentParser(prog="uvm awaken", description=awaken_command.__doc__)
    _image_args(p)
    p.add_argument("--llm", metavar="SPEC", default="embedded",
                   help="embedded (default), gguf:FILE, or hf:DIR (hf: needs --link)")
    p.add_argument("--link", action="store_true",
                   help="keep a reference to the model file or directory instead of a copy")
    p.add_argument("--replace", action="store_true", help="replace the image's base model")
    p.add_argument("--no-personas", action="store_true", help="do not import the four personas")
    opts = p.parse_args(argv)
    from uvm.image.image import ImageError
    from uvm.llm.pllm import awaken, get_pllm
    from uvm.llm.settings import parse_spec
    try:
        kind, arg = parse_spec(opts.llm)
        if kind not in ("embedded", "gguf", "hf"):
            raise LLMError(f"awaken takes a local model (embedded, gguf:FILE, hf:DIR), not "
                           f"{opts.llm!r}: a server's model is not put into an image")
        if kind == "hf" and not opts.link:
            raise LLMError("an hf: model directory is kept outside the image: add --link")
        with _open(opts) as image:
            before = get_pllm(image)
            pllm = awaken(image, None if kind == "embedded" else arg,
                          kind="hf" if kind == "hf" else "gguf", link=opts.link,
                          adapters={} if opts.no_personas else None, replace=opts.replace)
            d = pllm.describe()
            verb = "already awake with" if before is not None and not opts.replace else "awakened:"
            print(f"{verb} {d['name']} ({d['where']}, {_size(d['size'])})")
            for name, proxy in pllm.adapters.items():
                print(f"  persona {name}: adapter {_size(proxy.size)}")
    except (LLMError, ImageError) as e:
        return _fail(e)
    return 0


def status_lines(image=None, backend=None) -> list[str]:
    """What ``uvm model status`` and the REPL's ``:model`` print."""
    from uvm.llm.pllm import get_pllm
    from uvm.llm.settings import configured_spec, live_backend_for, run_spec
    spec, origin = run_spec(), configured_spec()[1]
    if backend is None:  # the run's live backend, if a model was used already
        backend = live_backend_for(image)
    lines = [f"backend: {spec}" + (f" (from {origin})" if origin != "default" else "")]
    if backend is not None:
        d = backend.describe()
        extra = ", ".join(f"{k} {v}" for k, v in d.items() if k != "backend")
        if extra:
            lines.append(f"  {extra}")
    pllm = get_pllm(image) if image is not None else None
    if pllm is None:
        lines.append("base model: none in this image (`uvm awaken` imports one)")
        return lines
    d = pllm.describe()
    lines.append(f"base model: {d['name']} ({d['kind']}, {d['where']}, {_size(d['size'])}, "
                 f"sha256 {str(d['sha256'])[:12]})")
    memory = getattr(backend, "memory", None)
    tiers = {s["name"]: s for s in memory.status()} if memory is not None else {}
    if not len(pllm.adapters):
        lines.append("personas: none")
    for name, proxy in pllm.adapters.items():
        t = tiers.get(name, {"tier": "cold", "active": False})
        mark = " (active)" if t["active"] else ""
        lines.append(f"  {name:<8} {t['tier']:<5} {_size(proxy.size):>9}  rank {proxy.config.get('r')}"
                     f"{mark}")
    if memory is not None:
        lines.append(f"tiers: hot {_size(memory.bytes_in('hot'))} of {_size(memory.hot_limit)}, "
                     f"warm {_size(memory.bytes_in('warm'))} of {_size(memory.warm_limit)}")
    return lines


def model_command(argv: list[str]) -> int:
    """uvm model status | uvm model ask PROMPT [--persona NAME]"""
    p = argparse.ArgumentParser(prog="uvm model", description=model_command.__doc__)
    sub = p.add_subparsers(dest="what", required=True)
    st = sub.add_parser("status", help="backend, base model, each persona's tier and size")
    _image_args(st)
    st.add_argument("--llm", metavar="SPEC")
    ask = sub.add_parser("ask", help="generate an answer (one transaction-free request)")
    _image_args(ask)
    ask.add_argument("--llm", metavar="SPEC")
    ask.add_argument("prompt")
    ask.add_argument("--persona", metavar="NAME")
    ask.add_argument("--max-tokens", type=int, default=64)
    ask.add_argument("--temperature", type=float, default=0.0)
    ask.add_argument("--seed", type=int)
    opts = p.parse_args(argv)
    from uvm.image.image import ImageError
    from uvm.llm.settings import backend_for, configure_run
    try:
        if opts.llm:  # else the run's model: a global --llm, $UVM_LLM or the config file
            configure_run(opts.llm)
        with _open(opts) as image:
            if opts.what == "status":
                print("\n".join(status_lines(image)))
                return 0
            backend = backend_for(image)
            for piece in backend.stream(opts.prompt, max_tokens=opts.max_tokens,
                                        temperature=opts.temperature, seed=opts.seed,
                                        adapter=opts.persona.upper() if opts.persona else None):
                sys.stdout.write(piece)
                sys.stdout.flush()
            sys.stdout.write("\n")
            backend.close()
    except (LLMError, ImageError) as e:
        return _fail(e)
    return 0


def persona_command(argv: list[str]) -> int:
    """uvm persona list | import NAME FILE.safetensors | train NAME --data FILE.jsonl"""
    p = argparse.ArgumentParser(prog="uvm persona", description=persona_command.__doc__)
    sub = p.add_subparsers(dest="what", required=True)
    ls = sub.add_parser("list", help="the personas in the image")
    _image_args(ls)
    imp = sub.add_parser("import", help="store an adapter file as a persona's BLOB")
    _image_args(imp)
    imp.add_argument("name")
    imp.add_argument("file")
    tr = sub.add_parser("train", help="fine-tune a persona's LoRA on the CPU and store it")
    _image_args(tr)
    tr.add_argument("name")
    tr.add_argument("--data", required=True, metavar="FILE.jsonl")
    tr.add_argument("--out", metavar="FILE.safetensors", help="also keep the adapter here")
    from uvm.llm.train import DEFAULTS
    tr.add_argument("--steps", type=int, default=DEFAULTS["steps"])
    tr.add_argument("--rank", type=int, default=DEFAULTS["rank"])
    tr.add_argument("--alpha", type=int, default=DEFAULTS["alpha"])
    tr.add_argument("--lr", type=float, default=DEFAULTS["lr"])
    tr.add_argument("--batch", type=int, default=DEFAULTS["batch"])
    tr.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    opts = p.parse_args(argv)
    from uvm.image.image import ImageError
    from uvm.llm import pllm as P
    try:
        with _open(opts) as image:
            if opts.what == "list":
                pl = P.get_pllm(image)
                for name, proxy in (pl.adapters.items() if pl is not None else []):
                    print(f"{name:<8} {_size(proxy.size):>9}  rank {proxy.config.get('r')}  "
                          f"from {os.path.basename(proxy.source)}")
                return 0
            if opts.what == "import":
                if P.get_pllm(image) is None:
                    P.awaken(image, adapters={})
                proxy = P.import_adapter(image, opts.name, opts.file)
                print(f"persona {proxy.name}: adapter {_size(proxy.size)} stored in the image")
                return 0
            return _train(image, opts)
    except (LLMError, ImageError) as e:
        return _fail(e)


def _train(image, opts) -> int:
    from uvm.llm import pllm as P
    from uvm.llm.local import image_loader
    from uvm.llm.progress import on_terminal
    from uvm.llm.train import read_dataset, save_adapter, train_lora
    rows, data_digest = read_dataset(opts.data)
    if P.get_pllm(image) is None:
        P.awaken(image, adapters={})
    loaded = image_loader(image)()   # a fresh model of its own: training changes it

    def log(step, steps, loss):
        if on_terminal() or step == steps or step % 10 == 0:
            print(f"\rstep {step}/{steps}  loss {loss:.3f}", end="" if on_terminal() else "\n",
                  file=sys.stderr, flush=True)

    tensors, config, stats = train_lora(loaded.model, loaded.tokenizer, rows, rank=opts.rank,
                                        alpha=opts.alpha, steps=opts.steps, lr=opts.lr,
                                        batch=opts.batch, seed=opts.seed, log=log)
    if on_terminal():
        print(file=sys.stderr)
    stats.update(data=os.path.basename(opts.data), data_sha256=data_digest,
                 base_sha256=P.get_pllm(image).digest)
    name = opts.name.upper()
    out = opts.out
    tmp = None
    if out is None:
        tmp = tempfile.NamedTemporaryFile(suffix=".safetensors", delete=False)
        tmp.close()
        out = tmp.name
    try:
        save_adapter(out, tensors, config, name, stats)
        proxy = P.import_adapter(image, name, out)
    finally:
        if tmp is not None:
            os.unlink(tmp.name)
    print(f"persona {name}: trained {stats['steps']} steps on {stats['examples']} examples in "
          f"{stats['seconds']} s (loss {stats['first_loss']} -> {stats['last_loss']}), "
          f"adapter {_size(proxy.size)} stored in the image" + (f" and {out}" if opts.out else ""))
    return 0


def methods_command(argv: list[str]) -> int:
    """The methods the language model wrote: list them (in the image or in one object),
    show one with its provenance, remove one, or have the model write one again. PATH is
    an object's path of slots from the lobby (calc, traits integer). Every call of a
    model-written method is confined and limited; trust lifts its time and memory limits
    and size bounds (untrust puts them back); --disabled lists the methods that a newer
    confinement policy disabled when the image was opened."""
    from uvm.llm.synthesis import methods as M
    p = argparse.ArgumentParser(
        prog="uvm methods", description=methods_command.__doc__,
        usage="uvm methods [--synthesized|--disabled] [PATH] [--json]\n"
              "       uvm methods show|remove|trust|untrust PATH SELECTOR\n"
              "       uvm methods regenerate PATH SELECTOR [--send EXPR] [--hint TEXT] "
              "[--llm SPEC]")
    p.add_argument("words", nargs="*", metavar="[show|remove|regenerate|trust|untrust] PATH [SELECTOR]")
    p.add_argument("--synthesized", action="store_true",
                   help="list the model-written methods (the default)")
    p.add_argument("--disabled", action="store_true",
                   help="list the model-written methods the confinement policy disabled")
    p.add_argument("--image", metavar="PATH", help="the image (default $UVM_IMAGE or "
                                                   "./live_image.fs)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--send", metavar="EXPR", help="regenerate: the UVM send that makes the "
                   "model write it (default: the first send, kept in its provenance)")
    p.add_argument("--hint", metavar="TEXT", default="",
                   help="regenerate: what was wrong with the old method, for the model")
    p.add_argument("--llm", metavar="SPEC", help="regenerate: the language model backend")
    opts = p.parse_intermixed_args(argv)
    words = list(opts.words)
    action = words.pop(0) if words and words[0] in M.ACTIONS else "list"
    if action != "list" and len(words) < 2:
        p.error(f"{action} needs PATH and SELECTOR")
    if action != "regenerate" and (opts.send or opts.llm or opts.hint):
        p.error("--send, --hint and --llm go with regenerate")
    selector = words.pop() if action != "list" else None
    from uvm.image.image import ImageError, open_image
    from uvm.llm.settings import configure_run
    from uvm.runtime.errors import UvmError, format_error
    from uvm.syntax import UvmSyntaxError
    try:
        if action == "regenerate" and opts.llm:
            configure_run(opts.llm)
    except LLMError as e:
        print(f"uvm: {e}", file=sys.stderr)
        return 2
    try:  # listing and showing open the image read-only: they work while a REPL has it
        with open_image(opts.image, read_only=action in ("list", "show")) as image:
            obj = M.object_at(image, " ".join(words)) if words else None
            if action == "list":
                entries = M.synthesized_methods(image, obj, disabled=opts.disabled)
                text = M.table(entries) if entries else \
                    "no disabled model-written methods" if opts.disabled else "no model-written methods"
            elif action == "show":
                entries = [M.synthesized_method(image, obj, selector)]
                text = M.details(entries[0])
            elif action in ("trust", "untrust"):
                entries = [M.set_trusted(image, obj, selector, action == "trust")]
                text = (f"{action}ed {entries[0].where} {selector}: "
                        + ("its calls are no longer limited in time, memory or size (still "
                           "confined)" if action == "trust" else "its calls are limited again")
                        + f" (`uvm undo {image.history(1)[0].id}` takes it back)")
            elif action == "remove":
                entries = [M.remove_method(image, obj, selector)]
                text = (f"removed {entries[0].where} {selector} "
                        f"(`uvm undo {image.history(1)[0].id}` puts it back)")
            else:
                entries = [_regenerate(image, obj, selector, opts.send, opts.hint)]
                text = f"the model wrote {entries[0].where} {selector} again:\n" \
                       + entries[0].source.rstrip()
    except (ImageError, LLMError, M.MethodsError) as e:
        return _fail(e)
    except UvmSyntaxError as e:
        print(e.pretty(), file=sys.stderr)
        return 1
    except UvmError as e:
        kept = "\n(the old method is still there)" if action == "regenerate" else ""
        print(format_error(e) + kept, file=sys.stderr)
        return 1
    if opts.json:
        rows = [{"path": e.path, "selector": e.selector, "source": e.source,
                 "provenance": e.provenance} for e in entries]
        text = json.dumps(rows if action == "list" else rows[0], indent=2, default=str)
    print(text)
    return 0


def _regenerate(image, obj, selector: str, send: str | None, hint: str = ""):
    from uvm.llm import synthesis
    from uvm.llm.synthesis.methods import regenerate
    synthesis.install(image)
    try:
        return regenerate(image, obj, selector, send, hint)
    finally:
        synthesis.uninstall()
