"""The wheel a release ships: built from the project's files by `python -m build` as a
release is (an sdist, then the wheel from the sdist), installed into a fresh venv as a
user would, it holds the bundled runbooks and the demo, and the demo works from any
folder.

The build fetches setuptools and the install fetches the dependencies through pip as
configured here (its index and its cache), as CI installs the project's own: without
them the test fails, saying what pip said; it never skips."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from runbook_tui import __version__

REPO = Path(__file__).resolve().parents[1]
# What a source checkout (or a release tag) holds that the build reads.
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "src", "runbooks")

pytestmark = pytest.mark.slow


def run(argv: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNBOOK_TUI_", "DEMO_"))}
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{argv}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def checkout(where: Path) -> Path:
    """A copy of the build inputs, as a clean checkout holds them, so the build writes
    nothing into this one."""
    where.mkdir()
    junk = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for name in BUILD_INPUTS:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, where / name, symlinks=True, ignore=junk)
        else:
            shutil.copy2(source, where / name)
    return where


def build(tree: Path, dist: Path) -> Path:
    """`python -m build`, as a release is made; the wheel."""
    run([sys.executable, "-m", "build", "--outdir", str(dist), str(tree)], tree.parent)
    [sdist] = dist.glob("runbook_tui-*.tar.gz")
    assert sdist.name == f"runbook_tui-{__version__}.tar.gz"
    [wheel] = dist.glob("runbook_tui-*.whl")
    return wheel


def test_the_wheel_holds_the_runbooks_and_the_demo_and_runs_it_anywhere(tmp_path: Path) -> None:
    wheel = build(checkout(tmp_path / "tree"), tmp_path / "dist")
    assert wheel.name.startswith(f"runbook_tui-{__version__}-")
    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = {p.name for p in (REPO / "runbooks").glob("*.md")}
    assert {n.rsplit("/", 1)[1] for n in names if n.startswith("runbook_tui/runbooks/")} == bundled
    for name in ("demo/shop.py", "demo/servicectl.py", "demo/sql.py", "tui/app.tcss", "py.typed"):
        assert f"runbook_tui/{name}" in names
    # Rebuilt from another clean checkout of the same tree: the same version and the
    # same files (not the same bytes: archives carry timestamps).
    again = build(checkout(tmp_path / "tree-again"), tmp_path / "dist-again")
    assert again.name == wheel.name and set(zipfile.ZipFile(again).namelist()) == names

    # A fresh venv, filled by this interpreter's pip (`--python`): the same install as
    # the venv's own pip would make, without its 15 s of ensurepip.
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    run([*pip, "install", "-q", str(wheel)], tmp_path)
    command = str(venv / "bin" / "runbook-tui")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shown = run([command, "--version"], elsewhere).stdout
    assert shown == f"runbook-tui {__version__}\n" and version("runbook-tui") == __version__

    home = tmp_path / "home"
    done = run([command, "demo", "--headless", "--home", str(home)], elsewhere)
    assert "4 of 4 walks passed." in done.stdout, done.stdout
    # The installed copy of the runbooks, not the checkout's.
    site = run(
        [str(venv / "bin" / "python"), "-c", "import runbook_tui; print(runbook_tui.__file__)"],
        elsewhere,
    )
    installed = Path(site.stdout.strip()).parent / "runbooks"
    assert f"the runbooks from {installed}" in done.stdout
    assert not installed.is_symlink()
