"""The Jupyter kernel, installed with ``uvm kernel install`` into a private prefix and
driven by jupyter_client's blocking client, as a notebook would drive it."""
from __future__ import annotations

import json
import os
import queue
import sys
import time

from xml.etree import ElementTree

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

import uvm
from tests.conftest import REPO, require_program
from uvm.cli import main as uvm_main

TIMEOUT = 60


def install(tmp_path, *options) -> str:
    """``uvm kernel install`` into a private prefix; the folder of its kernel specs."""
    prefix = tmp_path / "prefix"
    assert uvm_main(["kernel", "install", "--prefix", str(prefix), *options]) == 0
    kernels = prefix / "share" / "jupyter" / "kernels"
    spec = json.loads((kernels / "uvm" / "kernel.json").read_text())
    # -P: the notebook's folder is not put first on the import path
    assert spec["argv"][:4] == [sys.executable, "-P", "-m", "uvm.repl.kernel"]
    assert spec["language"] == "uvm" and spec["interrupt_mode"] == "signal"
    return str(kernels)


def start(kernels: str, tmp_path, **env):
    """A kernel from that spec, started in ``tmp_path`` as a notebook's folder, and its
    ready client."""
    km = KernelManager(kernel_name="uvm",
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[kernels]))
    env = dict(os.environ, UVM_IMAGE=str(tmp_path / "notebook.fs"), PYTHONPATH=REPO, **env)
    km.start_kernel(env=env, cwd=str(tmp_path))
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT)
    except BaseException:
        client.stop_channels()
        km.shutdown_kernel(now=True)
        raise
    return km, client


@pytest.fixture
def kernel(tmp_path):
    km, client = start(install(tmp_path), tmp_path)
    try:
        yield km, client, tmp_path
    finally:
        client.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=False)


def shell_reply(client, msg_id: str) -> dict:
    """The reply to request ``msg_id`` (others, such as a second kernel_info_reply from
    wait_for_ready, are passed over); fails if none came within TIMEOUT seconds."""
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        try:
            msg = client.get_shell_msg(timeout=max(0.1, end - time.monotonic()))
        except queue.Empty:
            break
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]
    raise AssertionError(f"the kernel sent no reply within {TIMEOUT} s")


def wait_for_output(client, text: str) -> None:
    """Until the kernel printed ``text``; fails after TIMEOUT seconds in all."""
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        try:
            msg = client.get_iopub_msg(timeout=max(0.1, end - time.monotonic()))
        except queue.Empty:
            break
        if msg["msg_type"] == "stream" and text in msg["content"]["text"]:
            return
    raise AssertionError(f"the kernel did not print {text!r} within {TIMEOUT} s")


def execute(client, code):
    """(reply content, [(iopub message type, content)]) for one cell."""
    seen = []
    reply = client.execute_interactive(code, output_hook=seen.append, timeout=TIMEOUT)
    return reply["content"], [(m["msg_type"], m["content"]) for m in seen
                              if m["msg_type"] not in ("status", "execute_input")]


def test_cells_results_output_errors_and_completion(kernel):
    km, client, tmp_path = kernel
    reply, out = execute(client, "lobby _AddSlots: (| answer = 42 |). 'hi' printLine. answer + 1")
    assert reply["status"] == "ok"
    assert ("stream", {"name": "stdout", "text": "hi\n"}) in out
    results = [c for t, c in out if t == "execute_result"]
    assert results[0]["data"]["text/plain"] == "43"

    reply, out = execute(client, "nil zork")
    assert reply["status"] == "error" and reply["ename"] == "Error"
    assert reply["evalue"] == "doesNotUnderstand: #zork, sent to nil"
    assert reply["traceback"][:2] == ["Error: doesNotUnderstand: #zork, sent to nil",
                                      "  at <cell-2>:1:5"]  # cell 2's selector
    assert [t for t, _ in out] == ["error"]

    reply, _ = execute(client, "3 + 4 * 7")
    assert reply["ename"] == "SyntaxError" and reply["traceback"][-1].strip() == "^"

    reply, out = execute(client, ":inspect answer")
    assert reply["status"] == "ok" and "42" in out[0][1]["text"]

    msg = client.complete("traits integer fact", 19, reply=True, timeout=TIMEOUT)["content"]
    assert msg["status"] == "ok" and msg["matches"] == ["factorial"]
    assert (msg["cursor_start"], msg["cursor_end"]) == (15, 19)
    msg = client.complete("answ", 4, reply=True, timeout=TIMEOUT)["content"]
    assert msg["matches"] == ["answer"]

    asked = client.is_complete("(| x <- 3")
    assert shell_reply(client, asked) == {"status": "incomplete", "indent": "  "}
    asked = client.inspect("traits integer", 14)
    found = shell_reply(client, asked)
    assert found["found"] and "traits integer" in found["data"]["text/plain"]


def test_did_you_mean_in_the_kernel_without_a_model(kernel):
    km, client, tmp_path = kernel
    reply, _ = execute(client, "3 factorail")
    assert reply["evalue"] == "doesNotUnderstand: #factorail, sent to 3 (did you mean #factorial?)"


def test_global_options_before_kernel_install(tmp_path):
    prefix = tmp_path / "prefix"
    assert uvm_main(["--image", str(tmp_path / "x.fs"), "kernel", "install", "--prefix",
                     str(prefix)]) == 0
    spec = json.loads((prefix / "share" / "jupyter" / "kernels" / "uvm" / "kernel.json")
                      .read_text())
    assert spec["argv"][-2:] == ["--image", str(tmp_path / "x.fs")]
    assert uvm_main(["--memory", "kernel", "install", "--prefix", str(prefix)]) == 0
    spec = json.loads((prefix / "share" / "jupyter" / "kernels" / "uvm" / "kernel.json")
                      .read_text())
    assert spec["argv"][-1] == "--memory"


def test_graph_shows_graphviz_svg_in_the_notebook(kernel):
    require_program("dot", "graphviz")
    km, client, tmp_path = kernel
    execute(client, "lobby _AddSlots: (| point = (| parent* = traits clonable. x <- 3 |) |)")
    reply, out = execute(client, ":graph point")
    shown = [c for t, c in out if t == "display_data"]
    assert reply["status"] == "ok" and shown, out
    svg = ElementTree.fromstring(shown[0]["data"]["image/svg+xml"])
    assert svg.tag.endswith("svg")
    assert "x <-" in [t.text for t in svg.iter() if t.tag.endswith("text")]


def test_interrupt_rolls_the_cell_back_and_the_kernel_goes_on(kernel):
    km, client, tmp_path = kernel
    # (stop_on_error=False: else the kernel aborts what is sent right after the interrupt)
    asked = client.execute("lobby _AddSlots: (| mark = 1 |). 'started' printLine. "
                           "[true] whileTrue: []", stop_on_error=False)
    wait_for_output(client, "started")   # the loop is running
    km.interrupt_kernel()
    reply = shell_reply(client, asked)
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    reply, out = execute(client, "lobby _SlotNames includes: 'mark'")
    assert reply["status"] == "ok", reply
    assert [c["data"]["text/plain"] for t, c in out if t == "execute_result"] == ["false"]


def test_cells_are_committed_to_the_image(kernel):
    km, client, tmp_path = kernel
    execute(client, "lobby _AddSlots: (| saved <- 'yes' |)")
    client.stop_channels()
    km.shutdown_kernel(now=False)
    with uvm.open(str(tmp_path / "notebook.fs")) as image:    # the kernel let it go
        assert image.eval("saved") == "yes"
        assert image.history(1)[0].origin == "jupyter"


def test_a_locked_image_is_reported_in_the_cell(kernel):
    km, client, tmp_path = kernel
    execute(client, "1")                          # the kernel now holds notebook.fs
    with pytest.raises(Exception):
        uvm.open(str(tmp_path / "notebook.fs"))
    km2 = KernelManager(kernel_name="uvm", kernel_spec_manager=km.kernel_spec_manager)
    km2.start_kernel(env=dict(os.environ, UVM_IMAGE=str(tmp_path / "notebook.fs"),
                              PYTHONPATH=REPO), cwd=str(tmp_path))
    c2 = km2.client()
    c2.start_channels()
    try:
        c2.wait_for_ready(timeout=TIMEOUT)
        reply, _ = execute(c2, "1 + 1")
        assert reply["status"] == "error" and reply["ename"] == "ImageError"
        assert "another process" in reply["evalue"]
    finally:
        c2.stop_channels()
        km2.shutdown_kernel(now=True)


def test_install_reports_a_place_it_cannot_write(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert uvm_main(["kernel", "install", "--prefix", str(blocker / "sub")]) == 1
    assert "cannot install the kernel" in capsys.readouterr().err


def test_a_uvm_folder_where_the_notebook_is_does_not_shadow_the_package(tmp_path):
    """Jupyter starts the kernel in the notebook's folder; a checkout there (a ``uvm/``
    directory) must not be imported instead of the installed package."""
    kernels = install(tmp_path)
    notebooks = tmp_path / "notebooks"
    (notebooks / "uvm").mkdir(parents=True)
    (notebooks / "uvm" / "__init__.py").write_text("raise ImportError('the checkout')\n")
    km, client = start(kernels, notebooks)
    try:
        reply, out = execute(client, "3 + 4")
        assert reply["status"] == "ok"
        assert [c["data"]["text/plain"] for t, c in out if t == "execute_result"] == ["7"]
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)


def test_without_a_model_the_banner_and_the_error_say_so(kernel):
    km, client, tmp_path = kernel
    info = client.kernel_info(reply=True, timeout=TIMEOUT)["content"]
    assert "Model: none" in info["banner"] and "uvm kernel install --llm" in info["banner"]
    reply, _ = execute(client, "3 frobnicate")
    assert reply["status"] == "error"
    assert "runs without a language model" in reply["traceback"][-1]
    assert "uvm kernel install --llm embedded" in reply["traceback"][-1]
    reply, _ = execute(client, "3 + nil")                  # other errors are left as they are
    assert not any("language model" in line for line in reply["traceback"])


def test_a_kernel_installed_with_a_model_writes_methods(tmp_path):
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"text": "def triple_(self, n):\n    return n * 3\n"}) + "\n")
    kernels = install(tmp_path, "--llm", f"script:{answers}")
    km, client = start(kernels, tmp_path)
    try:
        info = client.kernel_info(reply=True, timeout=TIMEOUT)["content"]
        assert f"Model: script:{answers}" in info["banner"]
        reply, out = execute(client, "lobby _AddSlots: (| calc = (| parent* = traits "
                                     "clonable |) |). calc triple: 3")
        assert reply["status"] == "ok", reply
        assert [c["data"]["text/plain"] for t, c in out if t == "execute_result"] == ["9"]
        reply, out = execute(client, "out1 + 1")             # Out[1] of the notebook
        assert [c["data"]["text/plain"] for t, c in out if t == "execute_result"] == ["10"]
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)
    assert uvm_main(["kernel", "install", "--prefix", str(tmp_path / "p2"), "--llm",
                     "nosuch"]) == 2
