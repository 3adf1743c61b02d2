"""Provenance reads the runbook's git commit without running any of the repository's
code: no `core.fsmonitor`, no hook (issue 9: `git status` ran the fsmonitor hook of the
repository holding the runbook before the first prompt)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runbook_tui.session.provenance import head_commit

pytestmark = pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True).returncode != 0,
    reason="git is not installed",
)


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null"}
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with two commits, then armed: an fsmonitor hook and every hook
    touch `tmp_path/marker` when git runs them."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    book = repo / "book.md"
    book.write_text("# Book\n\n```sh\ntrue\n```\n")
    git(repo, "add", "book.md")
    git(repo, "commit", "-q", "-m", "one")
    book.write_text("# Book\n\n```sh\ntrue\n```\n\nmore\n")
    git(repo, "commit", "-q", "-am", "two")
    marker = tmp_path / "marker"
    hook = tmp_path / "touch-marker"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    hooks = repo / ".git" / "hooks"
    for name in ("post-checkout", "post-index-change", "pre-commit", "reference-transaction"):
        (hooks / name).symlink_to(hook)
    git(repo, "config", "core.fsmonitor", str(hook))
    book.write_text("# Book, changed\n\n```sh\ntrue\n```\n")  # dirty: status would look
    marker.unlink(missing_ok=True)
    return repo


def assert_no_repository_code_ran(repo: Path) -> None:
    assert not (repo.parent / "marker").exists(), "a repository hook or fsmonitor ran"


def test_the_armed_hooks_do_run_under_git_status(repo: Path) -> None:
    """The fixture's trap works: what provenance used to run sets it off."""
    git(repo, "status", "--porcelain")
    assert (repo.parent / "marker").exists()


def test_commit_of_a_loose_ref_without_running_git_hooks(repo: Path) -> None:
    assert head_commit(repo / "book.md") == git(repo, "rev-parse", "HEAD")
    assert_no_repository_code_ran(repo)


def test_commit_of_a_packed_ref(repo: Path) -> None:
    expected = git(repo, "rev-parse", "HEAD")
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    (repo.parent / "marker").unlink(missing_ok=True)
    assert head_commit(repo / "book.md") == expected
    assert_no_repository_code_ran(repo)


def test_commit_of_a_detached_head(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD~1")
    git(repo, "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=", "checkout", "-q",
        "-f", "--detach", first)  # fmt: skip
    (repo.parent / "marker").unlink(missing_ok=True)
    assert (repo / ".git" / "HEAD").read_text().strip() == first
    assert head_commit(repo / "book.md") == first
    assert_no_repository_code_ran(repo)


def test_commit_in_a_linked_worktree_and_a_subfolder(repo: Path, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    git(repo, "-c", "core.hooksPath=/dev/null", "worktree", "add", "-q", "-b", "side",
        str(tree), "HEAD~1")  # fmt: skip
    (tree / "sub").mkdir()
    (tree / "sub" / "x.md").write_text("# X\n")
    (repo.parent / "marker").unlink(missing_ok=True)
    assert (tree / ".git").is_file()
    assert head_commit(tree / "sub" / "x.md") == git(repo, "rev-parse", "HEAD~1")
    assert head_commit(repo / "book.md") == git(repo, "rev-parse", "HEAD")
    assert_no_repository_code_ran(repo)


def test_outside_a_repository_and_on_an_unborn_branch(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n")
    assert head_commit(tmp_path / "a.md") is None
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    git(fresh, "init", "-q")
    assert head_commit(fresh / "a.md") is None


def test_running_a_runbook_from_an_armed_repository_runs_none_of_its_code(repo: Path) -> None:
    home = repo.parent / "home"
    done = subprocess.run(
        [sys.executable, "-m", "runbook_tui", "run", str(repo / "book.md"), "--yes",
         "--home", str(home)],
        capture_output=True, text=True, timeout=60, cwd=repo.parent,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_no_repository_code_ran(repo)
    (journal,) = home.glob("sessions/*/journal.jsonl")
    first = json.loads(journal.read_text().splitlines()[0])
    assert first["runbook"]["git_commit"] == git(repo, "rev-parse", "HEAD")
    assert first["runbook"]["git_dirty"] is None  # it would need `git status`
