"""The prompt_toolkit REPL driven headlessly: keys go in through a pipe, results and
errors come out of the REPL's streams."""
from __future__ import annotations

import _thread
import os

from prompt_toolkit.enums import EditingMode
from prompt_toolkit.history import FileHistory

import uvm
from tests.repl.conftest import Driver

UP, RIGHT, F4 = "\x1b[A", "\x1b[C", "\x1bOS"


def test_typing_a_line_shows_its_value(driver):
    driver.run("3 + 4\r'abc' , 'def'\r\x04")
    assert driver.results() == ["7", "'abcdef'"]
    assert "UVM" in driver.stdout.splitlines()[0] and "objects" in driver.stdout.splitlines()[0]


def test_banner_names_image_count_and_model(driver):
    driver.run("\x04")
    first = driver.stdout.split("\n")[:2]
    assert "in-memory image" in first[0]
    count = driver.session.image.object_count()
    assert f"{count:,} objects" in first[0] and count > 10
    assert first[1].startswith("Model: ")


def test_enter_adds_an_indented_line_while_brackets_are_open(driver):
    def script(d):
        d.type("(| x <- 3 |\r")
        d.wait(lambda: d.buffer.text == "(| x <- 3 |\n  ", "a new indented line")
        d.type("x * 2)\r")
        d.wait(lambda: "6" in d.stdout, "the value")
        d.type("'open\r")
        d.wait(lambda: d.buffer.text == "'open\n", "a line inside a string")
        d.type("string'\r\x04")
    driver.run(script=script)
    assert driver.results() == ["6", "'open\\nstring'"]


def test_a_closing_bracket_on_a_blank_line_dedents(driver):
    def script(d):
        d.type("[\r")
        d.wait(lambda: d.buffer.text == "[\n  ", "indentation")
        d.type("3\r")
        d.wait(lambda: d.buffer.text == "[\n  3\n  ", "indentation kept")
        d.type("]")
        d.wait(lambda: d.buffer.text == "[\n  3\n]", "the bracket back at the margin")
        d.type(" value\r\x04")
    driver.run(script=script)
    assert driver.results() == ["3"]


def test_alt_enter_runs_an_unfinished_input(driver):
    driver.run("(| x\x1b\r\x04")
    assert "SyntaxError" in driver.stderr and "^" in driver.stderr
    assert driver.results() == []


def test_errors_go_to_stderr_with_uvm_locations_and_the_repl_goes_on(driver):
    driver.run("nil zork\r3 + 4 * 7\r1 + 1\r\x04")
    err = driver.stderr
    assert "Error: doesNotUnderstand: #zork, sent to nil" in err and "<repl-1>:1:5" in err
    assert "SyntaxError" in err and "      ^" in err.split("3 + 4 * 7")[1]
    assert "Traceback" not in err
    assert driver.results() == ["2"]


def test_debug_on_shows_the_python_traceback(driver):
    driver.run(":debug on\rnil zork\r\x04")
    assert "Traceback (most recent call last)" in driver.stderr
    assert "Error: doesNotUnderstand" in driver.stderr


def test_tab_completes_a_selector_of_a_static_receiver(driver):
    def script(d):
        d.type("traits integer fact")
        d.wait(lambda: d.buffer.complete_state is not None
               and [c.text for c in d.buffer.complete_state.completions] == ["factorial"],
               "the completion menu")
        d.type("\t")
        d.wait(lambda: d.buffer.text == "traits integer factorial", "the completion")
        d.type("\r")     # closes the menu
        d.wait(lambda: d.buffer.complete_state is None, "the menu to close")
        d.buffer.text = "5 factorial"
        d.type("\r\x04")
    driver.run(script=script)
    assert driver.results() == ["120"]


def test_tab_completes_a_command_and_its_argument(driver):
    def script(d):
        d.type(":app")
        d.wait(lambda: d.buffer.complete_state is not None
               and [c.text for c in d.buffer.complete_state.completions] == [":approve"],
               "the command menu")
        d.type("\t")
        d.wait(lambda: d.buffer.text == ":approve", "the completed command")
        d.type(" of")
        d.wait(lambda: d.buffer.complete_state is not None
               and [c.text for c in d.buffer.complete_state.completions] == ["off"],
               "the argument menu")
        d.type("\t")
        d.wait(lambda: d.buffer.text == ":approve off", "the completed argument")
        d.type("\r\r\x04")
    driver.run(script=script)
    assert "approval of model-written methods is off" in driver.stdout
    assert driver.session.approve is False


def test_ctrl_c_while_typing_clears_the_input(driver):
    def script(d):
        d.type("3 + ")
        d.wait(lambda: d.buffer.text == "3 + ", "typing")
        d.type("\x03")
        d.wait(lambda: d.buffer.text == "", "a fresh input")
        d.type("5\r\x04")
    driver.run(script=script)
    assert driver.results() == ["5"]


def test_ctrl_c_interrupts_a_running_loop_and_rolls_it_back(driver):
    lobby = driver.session.image.lobby

    def script(d):
        d.type("lobby _AddSlots: (| mark = 1 |). [true] whileTrue: []\r")
        d.wait(lambda: "mark" in lobby._kinds, "the loop to start")
        _thread.interrupt_main()
        d.wait(lambda: "Interrupted" in d.stderr, "the interrupt to be reported")
        d.type("lobby _SlotNames includes: 'mark'\r")
        d.wait(lambda: "false" in d.stdout, "the next input")
        d.type("\x04")
    driver.run(script=script)
    assert "rolled back" in driver.stderr
    assert driver.results() == ["false"]


def test_ctrl_d_and_quit_end_the_repl(image):
    assert Driver(image).run(":quit\r3 + 4\r").results() == []
    d = Driver(image).run("\x04")
    assert d.results() == [] and d.stderr == ""


def test_history_persists_in_the_data_directory(image, data_home):
    Driver(image, history=None).run("6 * 7\r\x04")
    saved = data_home / "uvm" / "repl_history"
    assert "6 * 7" in saved.read_text()

    def script(d):
        d.wait(lambda: len(d.buffer._working_lines) > 1, "the history to load")
        d.type(UP)
        d.wait(lambda: d.buffer.text == "6 * 7", "the previous input")
        d.type("\r\x04")
    again = Driver(image, history=None).run(script=script)
    assert again.results() == ["42"]


def test_suggestions_come_from_history(image, tmp_path):
    path = tmp_path / "hist"
    path.write_text("\n# 2026\n+'hello' , ' world'\n")

    def script(d):
        d.wait(lambda: len(d.buffer._working_lines) > 1, "the history to load")
        d.type("'hel")
        d.wait(lambda: d.buffer.suggestion is not None
               and d.buffer.suggestion.text == "lo' , ' world'", "a suggestion")
        d.type(RIGHT)
        d.wait(lambda: d.buffer.text == "'hello' , ' world'", "the suggestion taken")
        d.type("\r\x04")
    d = Driver(image, history=FileHistory(str(path))).run(script=script)
    assert d.results() == ["'hello world'"]


def test_vi_mode_edits_with_vi_keys(image):
    def script(d):
        d.type("33 + 4")
        d.wait(lambda: d.buffer.text == "33 + 4", "typing")
        d.type("\x1b")
        d.wait(lambda: d.repl.prompt.app.vi_state.input_mode.value == "vi-navigation",
               "navigation mode")
        d.type("0x")
        d.wait(lambda: d.buffer.text == "3 + 4", "the deleted character")
        d.type("\r\x04")
    d = Driver(image, editing_mode="vi").run(script=script)
    assert d.results() == ["7"]


def test_f4_and_mode_switch_editing_modes(driver):
    def script(d):
        d.wait(lambda: d.repl.prompt.app.is_running, "the prompt")
        d.type(F4)
        d.wait(lambda: d.session.editing_mode == "vi", "vi mode")
        assert d.repl.prompt.app.editing_mode == EditingMode.VI
        d.type(":mode emacs\r")
        d.wait(lambda: "editing mode: emacs" in d.stdout, "the command")
        d.wait(lambda: d.repl.prompt.app.editing_mode == EditingMode.EMACS, "emacs again")
        d.type("\x04")
    driver.run(script=script)


def test_every_command_from_the_prompt(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.uvm").write_text("lobby _AddSlots: (| filed = 5 |).\n")
    with uvm.open(str(tmp_path / "i.fs")) as image:
        keys = "\r".join([
            ":help",
            "lobby _AddSlots: (| point = (| parent* = traits clonable. x <- 3 |) |)",
            ":inspect point",
            ":history 5",
            ":filein in.uvm",
            "filed",
            ":undo",
            "lobby _SlotNames includes: 'filed'",
            ":fileout point point.uvm",
            ":graph point point.dot",
            ":model",
            ":approve off",
            ":debug on",
            ":debug off",
            ":mode",
            ":nonsense",
            ":quit",
            "'not run' printLine",
        ]) + "\r"
        d = Driver(image).run(keys)
        out, err = d.stdout, d.stderr
    assert ":inspect [EXPR]" in out and ":graph [EXPR] [FILE]" in out           # :help
    assert "parent* = traits clonable" in out and "x <- 3" in out              # :inspect
    assert "repl" in out and "lobby _AddSlots: (| point" in out                # :history
    assert "filed in in.uvm" in out and "\n5\n" in out                          # :filein
    assert "undid" in out and "filein" in out and "\nfalse\n" in out           # :undo
    assert "point _AddSlots:" in (tmp_path / "point.uvm").read_text()          # :fileout
    assert (tmp_path / "point.dot").read_text().startswith("digraph")          # :graph
    assert "backend: " in out and "base model" in out                       # :model
    assert "approval of model-written methods is off" in out                   # :approve
    assert "debug (Python tracebacks) is on" in out and "is off" in out        # :debug
    assert "editing mode: emacs" in out                                        # :mode
    assert "unknown command :nonsense" in err
    assert "not run" not in out                                                # :quit
    assert not d.session.approve


def test_long_output_is_cut(driver):
    driver.run("(| l <- list copy | 1 to: 2000 Do: [| :i | l add: i]. l)\r\x04")
    (line, note) = driver.results()
    assert line.startswith("list(1, 2, 3") and len(line) < 4100
    assert "more characters" in note and "printLine" in note


def test_history_file_that_cannot_be_written_is_reported(image, data_home):
    data_home.mkdir(parents=True)
    (data_home / "uvm").write_text("a file where the folder should be")
    d = Driver(image, history=None).run("1\r\x04")
    assert d.results() == ["1"] and "history is not saved" in d.stderr
    assert os.path.isfile(data_home / "uvm")
