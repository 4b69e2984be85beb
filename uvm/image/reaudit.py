"""Auditing an image's model-written methods again when the confinement policy changed.

Methods the model wrote under an older, weaker policy may do what the current one
refuses. When an image is opened whose methods were last audited under an older policy
(``POLICY_KEY`` in the root), every model-written method reachable from the lobby is
checked against ``uvm.runtime.confinement``'s compiler; one that fails is disabled: kept
in its slot with ``disabled`` (the reason) in its provenance, listed by ``uvm methods
--disabled``, and never run (sending it is an error that says so). One recorded
transaction (or part of the core world's upgrade, when the image needs one too); later
opens skip it. A method that fails is refused at run time anyway:
this makes the refusal visible and lasting.
"""
from __future__ import annotations

from uvm.image import history as hist
from uvm.image.fileout import walk_paths
from uvm.runtime import confinement
from uvm.runtime.objects import Method

POLICY_KEY = "uvm.confinement_policy"
ORIGIN = "reaudit"


def needs_reaudit(root) -> bool:
    return root.get(POLICY_KEY, 0) < confinement.POLICY


def reaudit(image, root) -> list[tuple[str, str, str]]:
    """Audit every model-written method in its own recorded transaction (see
    ``audit_methods``); returns (path, selector, why) for each method disabled."""
    tm = image.tm
    tm.begin()
    try:
        disabled = audit_methods(image.lobby, root)
        hist.record(tm.get(), f"audit model-written methods under confinement policy "
                              f"{confinement.POLICY}: {len(disabled)} disabled", ORIGIN)
        tm.commit()
    except BaseException:
        tm.abort()
        raise
    return disabled


def audit_methods(lobby, root) -> list[tuple[str, str, str]]:
    """In the current transaction: disable every model-written method that fails the
    policy, and note the policy in ``root``."""
    disabled = []
    for obj, path in walk_paths(lobby, limit=None):
        for selector, value in list(obj._slots.items()):
            if not (isinstance(value, Method) and confinement.is_model_written(value)) \
                    or (value.provenance or {}).get("disabled"):
                continue
            try:
                confinement.check_source(value.source)
            except confinement.PolicyError as e:
                why = f"it breaks the confinement policy {confinement.POLICY}: {e}"
                value.provenance = {**value.provenance, "disabled": why}
                value._fn = None
                obj._p_changed = True
                disabled.append((path, selector, why))
    root[POLICY_KEY] = confinement.POLICY
    return disabled
