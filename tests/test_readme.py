"""The README's steps work as written: each ``$ command`` in its code blocks runs (in a
fresh folder, with a fresh image) and prints what the README shows after it. A command
that starts the REPL runs in a real pseudo-terminal: the inputs after its prompts are
typed, the answers after ``[y/N]`` given, and the screen must read as the transcript.

What varies from run to run is normalised on both sides: evaluation ids (16 hex digits)
and the object count in the banner. Paths under ``/tmp/`` go to the test's own folder.
Commands that need the real language model (``--llm embedded``) are not run here: the
model's own tests (tests/llm) run it, a few times, as the suite's time allows."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pexpect
import pyte
import pytest

from tests.conftest import REPO

README = os.path.join(REPO, "README.md")
WAIT = 60.0                 # seconds any one step may take
ROWS, COLS = 80, 160
PROMPT = re.compile(r"^\[\d+\] uvm> ")
CONTINUATION = re.compile(r"^ *\.\.\.> ")
QUESTION = re.compile(r"\[y/N\] (?P<answer>\S*)$")


def transcripts() -> list[tuple[str, list[str]]]:
    """(command, the lines the README shows after it) for each ``$ `` line."""
    found, current, inside = [], None, False
    with open(README, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("```"):
                inside = not inside
                current = None
                continue
            if not inside:
                continue
            if current is not None and current[0].endswith("\\") and not current[1]:
                current = (current[0][:-1] + line.strip(), [])    # a continued command
                found[-1] = current
            elif line.startswith("$ "):
                current = (line[2:], [])
                found.append(current)
            elif current is not None:
                current[1].append(line)
    return found


def normalised(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        line = re.sub(r"\b[0-9a-f]{16}\b", "ID", line.rstrip())
        line = re.sub(r", [\d,]+ objects\.", ", N objects.", line)
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


@pytest.fixture
def folder(tmp_path):
    """A fresh folder with the repository's examples and this Python's .venv."""
    work = tmp_path / "work"
    work.mkdir()
    os.symlink(os.path.join(REPO, "examples"), work / "examples")
    (work / ".venv").mkdir()
    os.symlink(os.path.dirname(sys.executable), work / ".venv" / "bin")
    return work


def environment(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UVM_")}
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[name] = str(tmp_path / name.lower())
    env.update(UVM_CACHE_DIR=str(tmp_path / "uvm-cache"), TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1",
               INPUTRC=str(tmp_path / "no-inputrc"), PYTHONPATH=REPO, PAGER="cat")
    return env


def local(command: str, tmp_path) -> str:
    return command.replace("/tmp/", f"{tmp_path}/")


CASES = transcripts()


def test_the_readme_has_transcripts():
    assert len(CASES) >= 6 and any(PROMPT.match(l) for _, lines in CASES for l in lines)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0][:60] for c in CASES])
def test_a_readme_command_prints_what_the_readme_shows(index, folder, tmp_path):
    command, shown = CASES[index]
    if "--llm embedded" in command:
        pytest.skip("needs the real language model (run by tests/llm)")
    before = [c for c, _ in CASES[:index] if _same_image(c, command)]
    for earlier in before:            # the README runs it again on the same image
        subprocess.run(["bash", "-c", local(earlier, tmp_path)], cwd=folder,
                       env=environment(tmp_path), capture_output=True, timeout=WAIT)
    if any(PROMPT.match(line) for line in shown):
        got = run_repl(local(command, tmp_path), shown, folder, tmp_path)
    else:
        done = subprocess.run(["bash", "-c", local(command, tmp_path)], cwd=folder,
                              env=environment(tmp_path), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=WAIT)
        got = done.stdout.splitlines()
    got = [line.replace(f"{tmp_path}/", "/tmp/") for line in got]
    assert normalised(got) == normalised(shown)


def _same_image(earlier: str, command: str) -> bool:
    """Whether an earlier command wrote the image a later one reads (``--image /tmp/X``)."""
    image = re.search(r"--image (/tmp/\S+)", command)
    return bool(image) and image.group(0) in earlier


def run_repl(command: str, shown: list[str], folder, tmp_path) -> list[str]:
    """Type the transcript's inputs into the REPL in a pseudo-terminal; the screen after."""
    screen = pyte.Screen(COLS, ROWS)
    stream = pyte.ByteStream(screen)
    child = pexpect.spawn("bash", ["-c", command], cwd=str(folder), env=environment(tmp_path),
                          dimensions=(ROWS, COLS))
    ended = False

    def text() -> str:
        return "\n".join(line.rstrip() for line in screen.display)

    def pump() -> None:
        nonlocal ended
        try:
            stream.feed(child.read_nonblocking(65536, timeout=0.05))
        except pexpect.TIMEOUT:
            pass
        except pexpect.EOF:
            ended = True

    def wait(condition, what: str) -> None:
        end = time.monotonic() + WAIT
        while not condition():
            if ended or time.monotonic() > end:
                raise AssertionError(f"waited for {what}; the screen:\n{text()}")
            pump()

    try:
        prompts = 0
        for line in shown:
            prompt = PROMPT.match(line)
            continued = CONTINUATION.match(line)
            asked = QUESTION.search(line)
            if prompt:
                prompts += 1
                wait(lambda: text().count("uvm>") >= prompts, f"prompt {prompts}")
                child.send(line[prompt.end():].strip() + "\r")
            elif continued:
                child.send(line[continued.end():].strip() + "\r")
            elif asked:
                question = line[:asked.start()].rstrip()[-40:]
                wait(lambda: question in text(), f"the question {question!r}")
                child.send(asked["answer"] + "\r")
        wait(lambda: text().count("uvm>") > prompts, "the last prompt")
        child.send("\x04")
        end = time.monotonic() + WAIT
        while not ended and time.monotonic() < end:
            pump()
    finally:
        if child.isalive():
            child.terminate(force=True)
    lines = text().split("\n")
    while lines and (not lines[-1].strip() or PROMPT.fullmatch(lines[-1].strip() + " ")):
        lines.pop()
    return lines


def test_the_pygments_command_works_as_written(folder, tmp_path):
    text = open(README, encoding="utf-8").read()
    command = re.search(r"`(\.venv/bin/pygmentize -l uvm [^`]+)`", text).group(1)
    done = subprocess.run(["bash", "-c", command], cwd=folder, env=environment(tmp_path),
                          capture_output=True, text=True, timeout=WAIT)
    assert done.returncode == 0 and "deposit" in done.stdout, done.stderr


def test_the_readme_links_only_to_files_in_the_repository():
    text = open(README, encoding="utf-8").read()
    assert "../" not in text
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        if not target.startswith(("http://", "https://")):
            assert os.path.exists(os.path.join(REPO, target)), target
    assert "docs/language.md" in text


def test_the_language_in_one_screen_runs(tmp_path):
    text = open(README, encoding="utf-8").read()
    start = text.index("```\n", text.index("## The language in one screen")) + 4
    program = tmp_path / "one-screen.uvm"
    program.write_text(text[start:text.index("```", start)])
    done = subprocess.run([sys.executable, "-m", "uvm.cli", "--memory", "--no-llm", str(program)],
                          capture_output=True, text=True, timeout=WAIT,
                          env=environment(tmp_path))
    assert done.returncode == 0 and done.stderr == "", done.stderr
