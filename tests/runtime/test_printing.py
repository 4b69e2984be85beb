"""Every object prints in UVM's form (issue 18, defect 1; issue 17, item 8): results, error
messages and the core world's own objects -- never a host description."""
from __future__ import annotations

import subprocess
import sys

import pytest

from uvm.runtime.errors import UvmError
from uvm.runtime.objects import Keyed, UvmList, UvmObject

HOST_LEAKS = ("object at 0x", "<UvmObject", "<uvm.", "Traceback", "TypeError", "AttributeError")


def reachable(lobby):
    """Every value reachable from the lobby through slots and container elements."""
    seen, order, stack = set(), [], [lobby]
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        order.append(value)
        if isinstance(value, UvmObject):
            stack.extend(v for v in value._slots.values() if type(v).__name__ != "Method")
        elif isinstance(value, UvmList):
            stack.extend(value.data)
        elif isinstance(value, Keyed):
            for k, v in value.entries():
                stack.extend((k, v))
    return order


def test_every_object_reachable_from_the_lobby_prints(image):
    values = reachable(image.lobby)
    assert len(values) >= 25  # the core world: traits, prototypes, nil, true, false...
    for value in values:
        text = image.print_string(value)
        assert isinstance(text, str) and text, value
        assert not any(leak in text for leak in HOST_LEAKS), text


def test_objects_with_no_parents_print_as_their_slots(image, run):
    assert image.print_string(run("(| x = 1. y <- 2 |)")) == "(| x. y |)"
    assert image.print_string(run("(| |)")) == "()"
    assert image.print_string(run("traits")).startswith("(| clonable. oddball. ")
    assert image.print_string(run("globals")).startswith("(| nil. true. false. ")


def test_error_messages_name_objects_in_uvm_form(run):
    with pytest.raises(UvmError) as e:
        run("(| x = 1 |) frobnicate")
    assert e.value.message == "doesNotUnderstand: #frobnicate, sent to (| x |)"
    with pytest.raises(UvmError) as e:
        run("lobby _AddSlots: (| bad = (| parent* = traits clonable. printString = (error: 'no') |) |). "
            "bad frobnicate")
    assert e.value.message == "doesNotUnderstand: #frobnicate, sent to (| parent*. printString |)"


@pytest.mark.parametrize("expression, start", [
    ("traits", "(| clonable."), ("globals", "(| nil. true."), ("traits string", "(| parent*."),
    ("traits list", "(| parent*."), ("traits integer", "(| parent*."),
    ("(| x = 1 |)", "(| x |)"), ("defaultBehavior", "(| ==."), ("lobby", "(| lobby."),
])
def test_the_command_line_prints_core_objects(expression, start):
    p = subprocess.run([sys.executable, "-m", "uvm.cli", "--memory", "--no-llm", "-p", expression],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(start), p.stdout
    assert not any(leak in p.stdout + p.stderr for leak in HOST_LEAKS)
