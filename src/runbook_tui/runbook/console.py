"""Console-style blocks: `$ ` prompts mark commands, other lines are sample output."""

from __future__ import annotations

import re
from typing import NamedTuple

_PROMPT = re.compile(r"[ \t]*\$(?: |$)")
# `<<EOF`, `<<-'EOF'`, `<< "EOF"`; not the here-string `<<<`.
_HEREDOC = re.compile(r"(?<!<)<<-?[ \t]*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")


class SplitBlock(NamedTuple):
    """What a shell block will run, and what is only shown."""

    command: str
    sample_output: str
    # (index of the line in the block, the command text taken from it), for locating
    # things found in the command back in the file.
    command_lines: tuple[tuple[int, str], ...]
    prompted: bool
    # Lines starting `$ ` in a block run as a script: they would fail as commands.
    stray_prompt_lines: tuple[int, ...] = ()


def is_prompted(lines: list[str]) -> bool:
    """A block is written console-style when its first line that is neither blank nor
    a `#` comment starts with `$ `."""
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        return _PROMPT.match(line) is not None
    return False


def split_block(content: str, console: bool) -> SplitBlock:
    """Split a shell block's content. A `console` block, or a block written with
    prompts, runs only its `$ ` lines (prompt stripped) and the lines that continue
    them: after a trailing backslash, and here-document bodies up to their
    terminator. Every other line is sample output. Other blocks run as written."""
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if console or is_prompted(lines):
        return _split_prompted(lines)
    stray = tuple(i for i, line in enumerate(lines) if _PROMPT.match(line))
    command = "\n".join(lines).strip("\n")
    return SplitBlock(
        command=command if command.strip() else "",
        sample_output="",
        command_lines=tuple(enumerate(lines)),
        prompted=False,
        stray_prompt_lines=stray,
    )


def _split_prompted(lines: list[str]) -> SplitBlock:
    commands: list[str] = []
    located: list[tuple[int, str]] = []
    output: list[str] = []
    continuing = False
    heredoc: str | None = None
    for index, line in enumerate(lines):
        if heredoc is not None:
            commands.append(line)
            located.append((index, line))
            if line.strip() == heredoc:
                heredoc = None
            continue
        if continuing:
            text = line
        else:
            match = _PROMPT.match(line)
            if match is None:
                output.append(line)
                continue
            text = line[match.end() :]
        commands.append(text)
        located.append((index, text))
        continuing = text.endswith("\\")
        if "<<" in text:
            found = _HEREDOC.search(text)
            if found:
                heredoc = found.group(2)
    command = "\n".join(commands).strip("\n")
    return SplitBlock(
        command=command if command.strip() else "",
        sample_output="\n".join(output).strip("\n"),
        command_lines=tuple(located),
        prompted=True,
    )


def reference_commands(text: str) -> str:
    """The lines of a reference block that an operator would run: its `$ ` commands
    when it is written with prompts (the rest is sample output), else all of it."""
    lines = text.split("\n")
    return split_block(text, console=True).command if is_prompted(lines) else text


# Commands common enough in runbooks that a block starting with one is almost surely
# meant to be run. A short list on purpose: the hint must not fire on sample output.
# fmt: off
_COMMON_COMMANDS = frozenset((
    "ansible", "ansible-playbook", "aws", "az", "cat", "cd", "consul", "curl", "dig",
    "docker", "export", "gcloud", "git", "gitlab-ctl", "gitlab-rake", "gsutil", "helm",
    "journalctl", "kill", "knife", "kubectl", "ls", "mkdir", "mysql", "nomad", "openssl",
    "pg_dump", "pg_restore", "podman", "psql", "redis-cli", "restic", "rm", "rsync", "scp",
    "service", "ssh", "systemctl", "tail", "terraform", "vault", "wget",
))
# fmt: on
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=\S*$")


def command_look(content: str) -> str | None:
    """For a fence without a language: its first line when it reads as a shell command
    (a `$ ` prompt, or a common command, perhaps after `sudo` and VAR=value), else
    None."""
    first = next((line.strip() for line in content.splitlines() if line.strip()), "")
    if _PROMPT.match(first) and first.strip() != "$":
        return first
    words = first.split()
    while words and (words[0] == "sudo" or _ASSIGNMENT.match(words[0])):
        words = words[1:]
    return first if words and words[0] in _COMMON_COMMANDS else None
