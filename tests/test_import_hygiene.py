"""Everything but the UI runs without Textual: import it all in a fresh interpreter,
run `check`, and look for `textual` in sys.modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).parent / "runbook" / "fixtures" / "deploy.md"

SCRIPT = """
import pkgutil, sys
import runbook_tui
from runbook_tui import cli

UI = ("runbook_tui.tui", "runbook_tui.cli.open_ui")
imported = []
for info in pkgutil.walk_packages(runbook_tui.__path__, "runbook_tui."):
    # __main__ modules run the program when imported; they only call cli.main.
    if info.name.startswith(UI) or info.name.endswith("__main__"):
        continue
    __import__(info.name)
    imported.append(info.name)
code = cli.main(["check", sys.argv[1]])
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(len(imported), code, loaded)
assert "runbook_tui.runbook.parser" in imported, imported
assert "runbook_tui.export.markdown" in imported, imported
assert not loaded, loaded
"""


def test_non_ui_modules_and_check_do_not_import_textual() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(FIXTURE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    count, code, loaded = done.stdout.split(maxsplit=2)
    assert int(count) >= 10
    assert code == "0"
    assert loaded.strip() == "[]"


SRC = Path(__file__).parent.parent / "src" / "runbook_tui"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every runbook_tui module `path` imports, lazily or not (absolute imports only:
    the project uses no relative ones)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("runbook_tui")}
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}: relative import"
            if node.module.startswith("runbook_tui"):
                out.add(node.module)
                out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in SRC.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules} for name, path in modules.items()}


def test_the_runbook_package_never_imports_the_session_package() -> None:
    graph = _graph()
    bad = {
        name: sorted(m for m in deps if m.startswith("runbook_tui.session"))
        for name, deps in graph.items()
        if name.startswith("runbook_tui.runbook")
    }
    assert not {k: v for k, v in bad.items() if v}


def test_the_core_never_imports_the_ui_or_the_command_line() -> None:
    graph = _graph()
    core = (
        "runbook_tui.runbook",
        "runbook_tui.session",
        "runbook_tui.sources",
        "runbook_tui.export",
    )
    bad = {
        name: sorted(m for m in deps if m.startswith(("runbook_tui.tui", "runbook_tui.cli")))
        for name, deps in graph.items()
        if name.startswith(core)
    }
    assert not {k: v for k, v in bad.items() if v}


def test_the_runbook_and_session_packages_never_import_the_sources() -> None:
    """Sources sit above the session: they use its masking and store, not the reverse."""
    graph = _graph()
    bad = {
        name: sorted(m for m in deps if m.startswith("runbook_tui.sources"))
        for name, deps in graph.items()
        if name.startswith(("runbook_tui.runbook", "runbook_tui.session"))
    }
    assert not {k: v for k, v in bad.items() if v}


STATUS_SCRIPT = """
import sys
from runbook_tui import cli

code = cli.main(["status", sys.argv[1], "--home", sys.argv[2], "--json"])
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(code, "runbook_tui.sources.hub" in sys.modules, loaded)
"""


def test_status_does_not_import_textual(tmp_path: Path) -> None:
    book = tmp_path / "book.md"
    book.write_text(
        "---\nservices:\n  - {name: none, tcp: '127.0.0.1:1'}\n"
        "backups:\n  - {name: b, path: '*.dump'}\nlogs:\n  - {name: l, path: x.log}\n"
        "---\n# x\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", STATUS_SCRIPT, str(book), str(tmp_path / "home")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.splitlines()[-1] == "1 True []", done.stdout + done.stderr


def test_the_export_package_imports_only_the_runbook_and_session_packages() -> None:
    graph = _graph()
    allowed = ("runbook_tui.runbook", "runbook_tui.session", "runbook_tui.export")
    bad = {
        name: sorted(m for m in deps if m != "runbook_tui" and not m.startswith(allowed))
        for name, deps in graph.items()
        if name.startswith("runbook_tui.export")
    }
    assert any(name.startswith("runbook_tui.export.") for name in graph)
    assert not {k: v for k, v in bad.items() if v}


def test_exporting_never_loads_textual(tmp_path: Path) -> None:
    """`export` in every format, on a real session, in a fresh interpreter."""
    home = tmp_path / "home"
    book = tmp_path / "book.md"
    book.write_text("# Hello\n\n```sh\necho hello\n```\n\n- [ ] Wave\n")
    run = subprocess.run(
        [sys.executable, "-m", "runbook_tui", "run", str(book), "--yes", "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    [session] = (home / "sessions").iterdir()
    script = """
import sys
from runbook_tui import cli
for fmt in ("markdown", "json", "asciicast", "html"):
    args = ["export", sys.argv[1], "--format", fmt, "--home", sys.argv[2], "-o", sys.argv[3]]
    code = cli.main(args)
    assert code == 0, (fmt, code)
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
assert not loaded, loaded
"""
    done = subprocess.run(
        [sys.executable, "-c", script, session.name, str(home), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, run.stdout + run.stderr + done.stdout + done.stderr
    assert {p.suffix for p in tmp_path.glob(f"{session.name}.*")} == {
        ".md",
        ".json",
        ".cast",
        ".html",
    }


def test_no_module_imports_itself_back_through_others() -> None:
    """No import cycles, lazy imports included (a cycle is a layering mistake)."""
    graph = _graph()
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str], seen: set[str]) -> None:
        for dep in sorted(graph[node]):
            if dep == path[0]:
                cycles.append([*path, dep])
            elif dep not in seen and dep > path[0]:
                seen.add(dep)
                visit(dep, [*path, dep], seen)

    for start in sorted(graph):
        visit(start, [start], {start})

    # A package's __init__ importing its own submodule is not a cycle worth naming. By
    # dotted name: `tui.walk_end` is not inside `tui.walk`.
    def within(module: str, package: str) -> bool:
        return module == package or module.startswith(package + ".")

    cycles = [c for c in cycles if not all(within(m, c[0]) or within(c[0], m) for m in c)]
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles[:10])


def test_the_demos_copied_scripts_import_only_the_standard_library() -> None:
    """shop.py, servicectl.py and sql.py are copied into the demo's sandbox and run there
    by themselves: they may import nothing of this package, nor anything installed."""
    import ast

    for name in ("shop.py", "servicectl.py", "sql.py"):
        tree = ast.parse((SRC / "demo" / name).read_text(encoding="utf-8"))
        roots = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            node.module.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert roots <= sys.stdlib_module_names | {"__future__"}, (name, roots)
