"""Making a new world: the primordial objects in Python, then the core world filed in from
the ``.uvm`` sources of ``WORLD_PACKAGES`` (each package's files in name order)."""
from __future__ import annotations

from uvm.runtime import intents, send
from uvm.runtime.compiler import check_inline_guards, compile_program
from uvm.runtime.objects import CONSTANT, PARENT, UvmObject
from uvm.syntax import parse

# Bump when the core world changes in a way old images need upgrading for, and say in
# UPGRADES which core-world files bring an image of the previous version up to it (those
# files must be safe to file into an image that may already have parts of them). A file
# of uvm/stdlib is named by its file name, one of another package by PACKAGE/FILE.
CORE_VERSION = 12
UPGRADES = {2: ["70-tree.uvm"], 3: ["80-intents.uvm"], 4: ["90-examples.uvm"],
            # Self fidelity (issue 17): UVM equality in collections, value on every object,
            # hash, sets, Self's % and block arity, printStrings for every object.
            5: ["10-defaultBehavior.uvm", "20-numbers.uvm", "30-booleans-nil.uvm",
                "40-blocks.uvm", "50-strings.uvm", "60-collections.uvm", "70-tree.uvm"],
            6: ["80-intents.uvm", "90-examples.uvm"],
            7: ["cognition/10-personas.uvm", "cognition/20-router.uvm",
                "cognition/30-facets.uvm"],
            8: ["memory/memory.uvm"],
            9: ["cognition/40-cycle.uvm"],
            11: ["tools/tools.uvm"],
            12: ["cem/cem.uvm"]}
# What a version changes in the user's own objects, run after its files: (lobby) -> None.
MIGRATIONS = {6: intents.move_aside}  # intents and examples: from slots to notes

# The packages whose .uvm files make the core world, filed in this order: the language's
# own world, then the mind's prototypes (the personas and their codex), then the memory's,
# then the tools', then the CEM's. They are read as files: the bootstrap imports none of
# their Python, so the image layer stays below them.
WORLD_PACKAGES = ("uvm.stdlib", "uvm.cognition", "uvm.cognition.memory", "uvm.cognition.tools",
                  "uvm.cognition.cem")


def world_sources(names: list[str] | None = None) -> list[tuple[str, str]]:
    """(file name, text) of each core-world source (or of those named), in filing-in order."""
    from importlib import resources  # only when the world is built: start-up stays cheap
    out = []
    for package in WORLD_PACKAGES:
        short = package.rpartition(".")[2]
        files = sorted(f for f in resources.files(package).iterdir() if f.name.endswith(".uvm")
                       and (names is None or f"{short}/{f.name}" in names
                            or (short == "stdlib" and f.name in names)))
        out += [(f"{short}/{f.name}", f.read_text(encoding="utf-8")) for f in files]
    return out


def upgrade_world(lobby: UvmObject, from_version: int) -> None:
    """Bring the core world of an older image up to CORE_VERSION (the caller commits)."""
    for version in range(from_version + 1, CORE_VERSION + 1):
        for name, text in world_sources(UPGRADES.get(version, [])):
            compile_program(parse(text, name), core=True)(lobby)
        if version in MIGRATIONS:
            MIGRATIONS[version](lobby)
    send.world.refresh()
    check_inline_guards()


def primordial_lobby() -> UvmObject:
    """The lobby and the few objects no UVM code can make without them."""
    lobby, globals_, default_behavior = UvmObject(), UvmObject(), UvmObject()
    traits, mixins = UvmObject(), UvmObject()
    for name, value, kind in (("lobby", lobby, CONSTANT), ("traits", traits, CONSTANT),
                              ("mixins", mixins, CONSTANT),
                              ("globals", globals_, CONSTANT | PARENT),
                              ("defaultBehavior", default_behavior, CONSTANT | PARENT)):
        lobby._slots[name] = value
        lobby._kinds[name] = kind
    for name, value in (("nil", None), ("true", True), ("false", False)):
        globals_._slots[name] = value
        globals_._kinds[name] = CONSTANT
    return lobby


def build_world() -> UvmObject:
    """A fresh lobby with the whole core world in it (the caller commits)."""
    lobby = primordial_lobby()
    send.activate(None)
    for i, (name, text) in enumerate(world_sources()):
        compile_program(parse(text, name), core=True)(lobby)
        if i == 0:  # the first file makes the traits the runtime needs
            send.activate(send.World(lobby))
    check_inline_guards()
    return lobby
