"""The REPL's ``:commands``: what the REPL does besides evaluating UVM.

An input starting with ``:`` is a command (no UVM expression starts with a colon). Each
command is a function ``(session, argument text) -> output text``; it raises
``CommandError`` for a message the user should read on standard error. ``COMMANDS`` is
the table ``:help`` prints and completion reads. UVM comments ("...") in a command line
are ignored, as in code.
"""
from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass, field
from typing import Callable

from uvm.runtime.errors import UvmError
from uvm.syntax import UvmSyntaxError
from uvm.syntax.source import read_source
from uvm.repl.session import Outcome, Session, model_status


class CommandError(Exception):
    """A command could not do what was asked; the message says why."""


@dataclass
class Command:
    name: str
    usage: str
    summary: str
    run: Callable[[Session, str], "str | Outcome"]
    complete: str = ""                 # what its argument completes as: code, file, ...
    choices: tuple = ()
    aliases: tuple = ()
    details: str = field(default="")


COMMANDS: dict[str, Command] = {}


def command(name: str, usage: str, summary: str, complete: str = "", choices: tuple = (),
            aliases: tuple = (), details: str = ""):
    def register(fn):
        COMMANDS[name] = Command(name, usage, summary, fn, complete, choices, aliases, details)
        return fn
    return register


def find_command(name: str) -> Command | None:
    for cmd in COMMANDS.values():
        if name == cmd.name or name in cmd.aliases:
            return cmd
    return None


def without_comments(text: str) -> str:
    """``text`` without its UVM comments (double-quoted), leaving strings ('...') alone;
    an unclosed comment is left for the code's parser to report."""
    out, i, quoted = [], 0, False
    while i < len(text):
        ch = text[i]
        if quoted:
            out.append(text[i:i + 2] if ch == "\\" else ch)
            i += 2 if ch == "\\" else 1
            quoted = ch != "'"
            continue
        if ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                out.append(text[i:])
                break
            out.append(" ")
            i = end + 1
            continue
        quoted = ch == "'"
        out.append(ch)
        i += 1
    return "".join(out).strip()


def run_command(session: Session, text: str) -> Outcome:
    """Run ``:name argument...``; a failure is an Outcome of kind error."""
    name, _, arg = without_comments(text)[1:].partition(" ")
    cmd = find_command(name.strip())
    if cmd is None:
        near = [c.name for c in COMMANDS.values() if c.name.startswith(name[:2])] if name else []
        hint = f" (did you mean :{near[0]}?)" if near else ""
        return _error(f"unknown command :{name}{hint}; :help lists the commands")
    try:
        result = cmd.run(session, arg.strip())
    except CommandError as e:
        return _error(str(e))
    except KeyboardInterrupt:
        return Outcome("interrupted", error=f":{cmd.name} interrupted", ename="KeyboardInterrupt",
                       evalue="interrupted")
    except Exception as e:  # noqa: BLE001 -- a broken command must not end the REPL
        import traceback
        detail = traceback.format_exc() if session.debug else ""
        return _error(f"{detail}:{cmd.name} failed: {type(e).__name__}: {e}")
    return result if isinstance(result, Outcome) else Outcome("command", output=result)


def _error(message: str) -> Outcome:
    return Outcome("error", error=message, ename="CommandError", evalue=message)


def _switch(session: Session, attr: str, arg: str, what: str) -> str:
    if arg:
        word = arg.lower()
        if word in ("on", "yes", "true", "1"):
            setattr(session, attr, True)
        elif word in ("off", "no", "false", "0"):
            setattr(session, attr, False)
        else:
            raise CommandError(f"say on or off, not {arg!r}")
    return f"{what} is {'on' if getattr(session, attr) else 'off'}"


# --- the commands ------------------------------------------------------------------------------

@command("help", ":help [COMMAND]", "list the commands, or explain one", complete="command")
def _help(session: Session, arg: str) -> str:
    if arg:
        cmd = find_command(arg.lstrip(":"))
        if cmd is None:
            raise CommandError(f"no command :{arg.lstrip(':')}")
        text = f"{cmd.usage}\n  {cmd.summary}"
        if cmd.aliases:
            text += "\n  also: " + ", ".join(":" + a for a in cmd.aliases)
        return text + (f"\n{cmd.details}" if cmd.details else "")
    width = max(len(c.usage) for c in COMMANDS.values())
    rows = [f"  {c.usage:<{width}}  {c.summary}" for c in COMMANDS.values()]
    return ("Type UVM expressions; each input is one transaction (an error rolls it back).\n"
            "`it` is the last value and `out7` the value input 7 gave (the prompt shows the\n"
            "number). Comments (\"...\") are ignored in command lines too.\n"
            "Enter runs a complete input and adds a line while brackets or strings are open;\n"
            "Alt-Enter (Esc Enter) runs it as it is. Tab completes. Ctrl-C clears the input or\n"
            "stops a running evaluation. Ctrl-D exits. F4 switches Emacs/vi keys.\n"
            "Commands:\n" + "\n".join(rows))


def _value_of(session: Session, expr: str, what: str):
    """The value an expression names: read statically when it is a plain path, otherwise
    evaluated (one transaction, as if typed); no expression means the last value."""
    from uvm.repl.static import NotStatic, resolve_text
    if not expr:
        if not session.has_last:
            raise CommandError(f"{what} what? Give an expression, e.g. {what} lobby")
        return session.last
    try:
        return resolve_text(expr, session.image.lobby)
    except NotStatic:
        pass
    try:
        return session.image.eval(expr, "<" + what.lstrip(":") + ">", session.origin)
    except UvmSyntaxError as e:
        raise CommandError(e.pretty()) from None
    except UvmError as e:
        raise CommandError(session.error_outcome(e).error) from None
    finally:
        session.forget()


@command("inspect", ":inspect [EXPR]", "show an object's slots, parents and methods",
         complete="code", details="  Without EXPR it inspects the last value. A plain path "
         "(point, traits integer) is read\n  without running any code; other expressions "
         "are evaluated first.")
def _inspect(session: Session, arg: str) -> str:
    from uvm.repl.inspector import inspect_value
    return inspect_value(_value_of(session, arg, ":inspect"), session.names)


@command("history", ":history [N]", "list the last N evaluations of the image (default 20)")
def _history(session: Session, arg: str) -> str:
    image = session.image
    if not hasattr(image, "history"):
        raise CommandError("this image has no history API yet")
    try:
        n = int(arg) if arg else 20
    except ValueError:
        raise CommandError(f":history takes a number, not {arg!r}") from None
    entries = [e for e in image.history(n)]
    if not entries:
        return "no evaluations recorded" + ("" if image.path else
                                            " (an in-memory image keeps no history)")
    today = datetime.date.today()
    rows = []
    for e in entries:
        stamp = datetime.datetime.fromtimestamp(e.time)
        when = stamp.strftime("%H:%M:%S" if stamp.date() == today else "%Y-%m-%d %H:%M")
        source = e.source.strip().splitlines()
        first = (source[0][:60] + (" ..." if len(source) > 1 or len(source[0]) > 60 else "")) \
            if source else ""
        model = f"  [model {e.model}]" if getattr(e, "model", None) else ""
        rows.append(f"  {e.id}  {when}  {e.origin:<9} {first}{model}")
    return "newest first (:undo ID takes one back):\n" + "\n".join(rows)


def _feedback(session: Session, verdict: str) -> str:
    try:
        return session.image.eval(f"mind feedback: '{verdict}'", "<repl>", "feedback")
    except UvmError as e:
        raise CommandError(e.message) from None
    finally:
        session.forget()


@command("good", ":good", "the last thought was good (feedback the CEM's weights are tuned from)")
def _good(session: Session, arg: str) -> str:
    return _feedback(session, "good")


@command("bad", ":bad", "the last thought was bad (feedback the CEM's weights are tuned from)")
def _bad(session: Session, arg: str) -> str:
    return _feedback(session, "bad")


@command("thoughts", ":thoughts [N]", "list the last N completed thoughts (default 10)",
         details="  Each line: the thought's id, when, the persona(s), seconds, the question.\n"
                 "  (mind thoughts first) describe, or :inspect mind thoughts first, shows a trace.")
def _thoughts(session: Session, arg: str) -> str:
    from uvm.cognition import thoughts
    try:
        n = int(arg) if arg.strip() else 10
    except ValueError:
        raise CommandError(f":thoughts takes a number, not {arg!r}") from None
    found = thoughts.recent(session.image.connection.root(), max(n, 0))
    if not found:
        return "no thoughts yet (ask one: robin ask: 'a question', or mind ask: ...)"
    return "newest first:\n" + "\n".join("  " + thoughts.summary_line(thoughts.trace_of(t))
                                          for t in found)


@command("undo", ":undo [ID]", "undo one evaluation (default: the latest not yet undone)",
         complete="history")
def _undo(session: Session, arg: str) -> str:
    from uvm.image.image import ImageError
    image = session.image
    if not hasattr(image, "undo"):
        raise CommandError("this image has no undo API yet")
    target = arg or _latest_undoable(image)
    try:
        done = image.undo(target)
    except ImageError as e:
        raise CommandError(str(e)) from None
    finally:
        session.forget()
    session.redo.extend(e.id for e in image.history(1))  # the undo, which :redo takes back
    source = done.source.strip().splitlines()
    return f"undid {done.id} ({done.origin}: {source[0][:60] if source else ''})"


@command("redo", ":redo", "take back the last :undo of this session (while nothing else ran)")
def _redo(session: Session, arg: str) -> str:
    from uvm.image.image import ImageError
    if not session.redo:
        raise CommandError("nothing to redo: :redo takes back an :undo of this session, until "
                           "the next evaluation")
    undo_id = session.redo[-1]
    try:
        image_undo = session.image.undo(undo_id, origin="redo")
    except ImageError as e:
        raise CommandError(str(e)) from None
    finally:
        session.forget()
    session.redo.pop()
    redone = image_undo.source.split()[-1]
    return f"redid {redone} (took back {image_undo.id}, the undo)"


def _latest_undoable(image) -> str:
    undone = set()
    for e in image.history(200):
        if e.origin == "undo":
            undone.add(e.source.split()[-1] if e.source.split() else "")
        elif e.origin != "bootstrap" and e.id not in undone:
            return e.id
        elif e.origin == "bootstrap":
            break
    raise CommandError("nothing to undo" + ("" if image.path else
                                            " (an in-memory image keeps no history)"))


@command("filein", ":filein FILE", "read a .uvm file into the image (one transaction)",
         complete="file")
def _filein(session: Session, arg: str) -> Outcome | str:
    if not arg:
        raise CommandError("usage: :filein FILE")
    path = os.path.expanduser(arg)
    try:
        source = read_source(path)           # UTF-8, read as `uvm FILE` reads it
    except OSError as e:
        raise CommandError(f"cannot read {arg}: {e.strerror}") from None
    except UvmSyntaxError as e:              # not UTF-8
        return Outcome("syntax", error=e.pretty() + "\n(nothing was filed in)",
                       ename="SyntaxError", evalue=e.message)
    try:
        session.image.eval(source, path, "filein")
    except UvmSyntaxError as e:
        return Outcome("syntax", error=e.pretty() + "\n(nothing was filed in)",
                       ename="SyntaxError", evalue=e.message)
    except UvmError as e:
        out = session.error_outcome(e)
        out.error += "\n(nothing was filed in)"
        return out
    finally:
        session.forget()
    return f"filed in {arg}"


@command("fileout", ":fileout PATH [FILE]",
         "write the object at PATH (e.g. bank, traits integer) as .uvm source",
         complete="code+file",
         details="  FILE is the last word when it has a '.' or '/'; without it the source is "
                 "shown.\n  File it back in with :filein FILE or `uvm filein FILE`.")
def _fileout(session: Session, arg: str) -> str:
    words = arg.split()
    if not words:
        raise CommandError("usage: :fileout PATH [FILE], e.g. :fileout bank bank.uvm")
    target = None
    if len(words) > 1 and ("." in words[-1] or "/" in words[-1]):
        target = words.pop()
    if not all(w.isidentifier() for w in words):
        raise CommandError("fileout writes an object reached by slot names from the lobby, "
                           "e.g. :fileout traits integer integer.uvm")
    try:
        from uvm.image.fileout import FileOutError, file_out
    except ImportError:
        raise CommandError("this version of the image cannot file out yet") from None
    try:
        text = file_out(session.image.lobby, ".".join(words), session.image.path or "")
    except FileOutError as e:
        raise CommandError(str(e)) from None
    if target is None:
        return text.rstrip("\n")
    try:
        with open(os.path.expanduser(target), "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise CommandError(f"cannot write {target}: {e.strerror}") from None
    return f"wrote {' '.join(words)} to {target} ({len(text.splitlines())} lines)"


@command("graph", ":graph [EXPR] [FILE]",
         "draw an object's parents and slots (SVG/PNG with Graphviz, else DOT text)",
         complete="code+file",
         details="  Without EXPR it draws the last value. FILE's extension picks the format: "
                 ".svg .png .pdf .dot.\n  Without FILE the picture goes to a temporary SVG "
                 "file (its name is shown) when\n  Graphviz's dot is installed, else the DOT "
                 "text is shown.")
def _graph(session: Session, arg: str) -> Outcome:
    from uvm.repl.graph import FORMATS, GraphError, dot_source, write_graph
    words = arg.split()
    path = None
    if words and os.path.splitext(words[-1])[1].lstrip(".").lower() in FORMATS:
        path = words.pop()
    value = _value_of(session, " ".join(words), ":graph")
    dot = dot_source(value, session.names)
    try:
        message, written = write_graph(dot, path and os.path.expanduser(path),
                                       name="_".join(words) or "last-value")
    except GraphError as e:
        raise CommandError(str(e)) from None
    return Outcome("command", output=message, files=[written] if written else [])


@command("model", ":model", "which language model is in use, its adapters and their tiers")
def _model(session: Session, arg: str) -> str:
    try:
        from uvm.llm.commands import status_lines
        lines = status_lines(session.image)
    except ImportError:
        lines = [f"model: {model_status(session.image)}"]
    except Exception as e:  # noqa: BLE001 -- a bad model setting is reported, not raised
        raise CommandError(f"cannot tell the model's state: {e}") from None
    approve = "on" if session.approve else "off"
    return "\n".join(lines + [f"approval of model-written methods: {approve} (:approve on|off)"])


@command("approve", ":approve [on|off]",
         "show model-written code and ask before installing it", complete="choices",
         choices=("on", "off"))
def _approve(session: Session, arg: str) -> str:
    return _switch(session, "approve", arg, "approval of model-written methods")


@command("methods", ":methods [PATH]", "list the methods the model wrote; show, remove or "
         "regenerate one", complete="choices", choices=("show", "remove", "regenerate"),
         details="  :methods [PATH]                  every model-written method, or PATH's "
                 "(calc, traits integer)\n"
                 "  :methods show PATH SELECTOR      its source and provenance\n"
                 "  :methods remove PATH SELECTOR    take it out (:undo puts it back)\n"
                 "  :methods regenerate PATH SELECTOR [--send EXPR] [--hint TEXT]\n"
                 "                                   the model writes it again for EXPR (default: "
                 "the send\n                                   it was written for), told what "
                 "was wrong (TEXT);\n                                   if that fails the old "
                 "one stays")
def _methods(session: Session, arg: str) -> str:
    from uvm.llm.synthesis import methods as M
    parts = re.split(r"(?:^|\s)--(send|hint)(?:\s|$)", arg)
    text, options = parts[0], dict(zip(parts[1::2], (p.strip() for p in parts[2::2])))
    send, hint = options.get("send", ""), options.get("hint", "")
    words = text.split()
    action = words.pop(0) if words and words[0] in M.ACTIONS else "list"
    if action != "list" and len(words) < 2:
        raise CommandError(f"usage: :methods {action} PATH SELECTOR, e.g. :methods {action} "
                           "calc triple:")
    if (send or hint) and action != "regenerate":
        raise CommandError("--send and --hint go with :methods regenerate")
    image = session.image
    try:
        if action == "list":
            obj = M.object_at(image, " ".join(words)) if words else None
            entries = M.synthesized_methods(image, obj)
            return M.table(entries) if entries else "no model-written methods"
        obj, selector = M.object_at(image, " ".join(words[:-1])), words[-1]
        if action == "show":
            return M.details(M.synthesized_method(image, obj, selector))
        if action == "remove":
            entry = M.remove_method(image, obj, selector)
            return f"removed {entry.where} {selector} (:undo puts it back)"
        entry = M.regenerate(image, obj, selector, send or None, hint)
        return f"the model wrote {entry.where} {selector} again:\n{entry.source.rstrip()}"
    except M.MethodsError as e:
        raise CommandError(str(e)) from None
    except UvmSyntaxError as e:
        raise CommandError(e.pretty()) from None
    except UvmError as e:
        kept = "\n(the old method is still there)" if action == "regenerate" else ""
        raise CommandError(session.error_outcome(e).error + kept) from None
    finally:
        session.forget()


@command("implementors", ":implementors SELECTOR",
         "the objects holding a method for SELECTOR (model-written ones marked)",
         complete="selector")
def _implementors(session: Session, arg: str) -> str:
    from uvm.repl.browse import implementors, report
    selector = _selector(arg, ":implementors")
    return report(implementors(session.image.lobby, selector), "implementors", selector)


@command("senders", ":senders SELECTOR", "the methods that send SELECTOR, with the line",
         complete="selector")
def _senders(session: Session, arg: str) -> str:
    from uvm.repl.browse import report, senders
    selector = _selector(arg, ":senders")
    return report(senders(session.image.lobby, selector), "senders", selector)


def _selector(arg: str, command_name: str) -> str:
    words = arg.split()
    if len(words) != 1:
        raise CommandError(f"usage: {command_name} SELECTOR, e.g. {command_name} printString")
    return words[0].lstrip("#")


@command("edit", ":edit PATH SELECTOR", "edit a method in $EDITOR; what you save is checked "
         "and installed (one evaluation)", complete="code",
         details="  The method's source opens in $VISUAL or $EDITOR. Saving it unchanged or "
                 "empty changes\n  nothing; otherwise it is parsed (and a model-written "
                 "Python method audited by the\n  guardian) and installed as one evaluation, "
                 "which :undo takes back.")
def _edit(session: Session, arg: str) -> str:
    from uvm.repl.edit import EditError, edit_method
    words = arg.split()
    if len(words) < 2:
        raise CommandError("usage: :edit PATH SELECTOR, e.g. :edit point +")
    try:
        return edit_method(session, " ".join(words[:-1]), words[-1])
    except EditError as e:
        raise CommandError(str(e)) from None
    finally:
        session.forget()


@command("debug", ":debug [on|off]", "show Python tracebacks with errors", complete="choices",
         choices=("on", "off"))
def _debug(session: Session, arg: str) -> str:
    return _switch(session, "debug", arg, "debug (Python tracebacks)")


@command("mode", ":mode [emacs|vi]", "switch the editing keys (F4 toggles)", complete="choices",
         choices=("emacs", "vi"))
def _mode(session: Session, arg: str) -> str:
    if arg:
        if arg.lower() not in ("emacs", "vi"):
            raise CommandError(f"the editing modes are emacs and vi, not {arg!r}")
        session.editing_mode = arg.lower()
    return f"editing mode: {session.editing_mode}"


@command("quit", ":quit", "leave the REPL (Ctrl-D does too)", aliases=("q", "exit"))
def _quit(session: Session, arg: str) -> str:
    session.done = True
    return ""

