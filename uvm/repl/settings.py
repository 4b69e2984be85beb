"""Where the REPL keeps its own files, and the user's editing preferences.

REPL input history is the user's, not the image's (the image records evaluations itself,
see ``:history``), so it lives in the user's data directory: ``$XDG_DATA_HOME/uvm`` or
``~/.local/share/uvm`` (``%LOCALAPPDATA%\\uvm`` on Windows).
"""
from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The user's UVM data directory (not created here)."""
    base = os.environ.get("XDG_DATA_HOME")
    if not base and os.name == "nt":
        base = os.environ.get("LOCALAPPDATA")
    return Path(base or Path.home() / ".local" / "share") / "uvm"


def history_path() -> Path:
    """The file holding the REPL's input history (one file for all images)."""
    return data_dir() / "repl_history"


def default_editing_mode() -> str:
    """'vi' or 'emacs': ``$UVM_EDITING_MODE``, else readline's ``set editing-mode`` in
    ``~/.inputrc`` (what bash and Python's REPL follow), else emacs."""
    mode = os.environ.get("UVM_EDITING_MODE", "").strip().lower()
    if mode in ("vi", "emacs"):
        return mode
    inputrc = Path(os.environ.get("INPUTRC") or Path.home() / ".inputrc")
    try:
        for line in inputrc.read_text(encoding="utf-8", errors="replace").splitlines():
            words = line.split()
            if words[:2] == ["set", "editing-mode"] and len(words) > 2 and words[2] in ("vi", "emacs"):
                mode = words[2]
    except OSError:
        pass
    return mode or "emacs"
