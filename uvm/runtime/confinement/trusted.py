"""Trusted work that model-written code asks for runs outside the call's confinement.

A model-written method may send a message whose implementation is Python the project
wrote and trusts, and whose cost is not the method's own: a persona's inference (a facet
method is one line that calls it) generates for tens of seconds, loads the model, and
records itself in the image (the evaluation's metadata, the persona's use counter).
Inside ``trusted()`` the watchdog's time and memory limits of the call in progress are
suspended (``watchdog.suspended``: they resume with what was left) and its write policy
does not apply; the membrane still stands between the model code and whatever the
trusted work answers. Only Python code enters it: model code cannot name it.
"""
from __future__ import annotations

import contextlib

from uvm.runtime import objects
from uvm.runtime.confinement import watchdog


@contextlib.contextmanager
def trusted():
    saved, objects.confined.call = objects.confined.call, None
    try:
        with watchdog.suspended():
            yield
    finally:
        objects.confined.call = saved
