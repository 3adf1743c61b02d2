"""Parser speed: our full parse of a generated ~1 MB runbook against markdown-it-py's
own tokenization of the same text (target: at most 1.3x), `runbook-tui check` on a
small file against `python -c pass`, and the whole shared corpus.

Runs are interleaved and medians taken, because these machines are shared and noisy.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from runbook_tui.runbook.markdown import make_markdown
from runbook_tui.runbook.parser import load, parse

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7


def generate_runbook(sections: int = 1000) -> str:
    """A deploy runbook of about 1 MB: front matter, headings, prose, lists, tables,
    shell blocks in both attribute forms, console blocks, task items, reference blocks
    with placeholders, a rollback."""
    parts = [
        "---\ntitle: Generated deploy\nkind: deploy\nowner: bench\nrto: 1h30m\n",
        "restores: [nightly]\nvariables:\n",
        *(
            f"  VAR_{i}: {{prompt: 'Value {i}', default: v{i}, pattern: 'v[0-9]+'}}\n"
            for i in range(20)
        ),
        "services:\n",
        *(
            f"  - {{name: svc{i}, http: 'https://svc{i}.test/health', interval: 10s}}\n"
            for i in range(10)
        ),
        "backups:\n  - {name: nightly, restic: /srv/restic, password_env: RESTIC_PASSWORD}\n",
        "---\n\n# Generated deploy\n\n",
    ]
    for i in range(sections):
        parts.append(
            f"## Stage {i}: bring up component {i}\n\n"
            f"Component {i} serves *part* of the traffic. Check the `dashboard` and the "
            f"[runbook index](https://example.test/{i}) before going on. If the error rate "
            f"rises above **2%**, stop and page the owner of component {i}.\n\n"
            f"> Note: component {i} keeps a warm standby; failover takes about a minute.\n\n"
            f"| host | role |\n| --- | --- |\n| app{i}a | primary |\n| app{i}b | replica |\n\n"
            f"1. Drain the node:\n\n"
            f'   ```sh {{"name":"drain-{i}","timeout":"10m","confirm":true}}\n'
            f"   kubectl drain node-{i} --ignore-daemonsets --delete-emptydir-data\n"
            f"   kubectl get nodes -o wide | grep node-{i}\n   ```\n\n"
            f"2. Restart and watch:\n\n"
            f"   ```console\n   $ systemctl restart app@{i} \\\n       --no-block\n"
            f"   $ journalctl -u app@{i} -n 5\n   -- Logs begin --\n   started app {i}\n"
            f"   ```\n\n"
            f"- [ ] Tell #deploys that component {i} is back\n"
            f"- plain bullet about component {i}\n\n"
            f"```bash {{ cwd=/srv/app{i} expect_exit=0 interactive=false }}\n"
            f"./smoke-test --component {i} --timeout 30\n```\n\n"
            # Reference blocks (no language, console output) with placeholders.
            f"If it is stuck, look at the pod:\n\n```\nkubectl -n <namespace> describe "
            f'pod app-{i}-<pod-id> | grep "$FILTER"\n```\n\n'
            f"```console\nStarted app {i} in 2.1s\n```\n\n"
        )
    parts.append('## Rollback\n\n```sh {"danger":"roll back"}\n./rollback-all.sh\n```\n')
    return "".join(parts)


def interleaved(named: dict[str, Callable[[], object]], runs: int = RUNS) -> dict[str, float]:
    """Median seconds per callable, alternating them so drift hits all equally."""
    samples: dict[str, list[float]] = {name: [] for name in named}
    for _ in range(runs):
        for name, fn in named.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in samples.items()}


def bench_parse() -> None:
    text = generate_runbook()
    full_md = make_markdown(inline=True)
    block_md = make_markdown(inline=False)
    result = parse(text)
    assert not result.errors, result.errors[:3]
    steps = len(result.runbook.steps)
    sections = len(result.runbook.sections)
    refs = len(result.runbook.references)
    print(
        f"generated runbook: {len(text.encode()) / 1e6:.2f} MB, {sections} sections, "
        f"{steps} steps, {refs} reference blocks"
    )
    parse(text)  # warm caches (regexes, markdown-it rule chains)
    medians = interleaved(
        {
            "ours": lambda: parse(text),
            "markdown-it": lambda: full_md.parse(text),
            "markdown-it-block": lambda: block_md.parse(text),
        }
    )
    ours, baseline, block = medians["ours"], medians["markdown-it"], medians["markdown-it-block"]
    print(f"our full parse (front matter, attributes, model, lint): {ours * 1000:8.1f} ms")
    print(f"markdown-it-py tokenization (commonmark+table):        {baseline * 1000:8.1f} ms")
    print(f"  ratio ours / markdown-it: {ours / baseline:.2f}x  (target <= 1.3x)")
    print(f"markdown-it-py block pass only (what we tokenize with): {block * 1000:7.1f} ms")
    print(f"  ratio ours / markdown-it block pass: {ours / block:.2f}x  (our own work on top)")


def bench_startup() -> None:
    entry = Path(sys.executable).parent / "runbook-tui"
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "small.md"
        small.write_text(generate_runbook(sections=3))
        command = (
            [str(entry), "check", str(small)]
            if entry.exists()
            else [sys.executable, "-m", "runbook_tui", "check", str(small)]
        )

        def run(argv: list[str]) -> Callable[[], object]:
            return lambda: subprocess.run(argv, capture_output=True, check=False)

        medians = interleaved(
            {"check": run(command), "python": run([sys.executable, "-c", "pass"])}, runs=9
        )
    check, bare = medians["check"], medians["python"]
    print(f"`{' '.join(Path(c).name for c in command[:2])} small.md`: {check * 1000:6.1f} ms")
    print(f"`python -c pass`:                   {bare * 1000:6.1f} ms")
    print(f"  ratio check / python startup: {check / bare:.2f}x")


def bench_corpus() -> None:
    corpus = Path(os.environ.get("RUNBOOK_TUI_CORPUS") or ROOT.parent / "shared" / "corpus")
    files = sorted(corpus.rglob("*.md")) if corpus.is_dir() else []
    if not files:
        print(f"corpus not found at {corpus} (set RUNBOOK_TUI_CORPUS)")
        return
    start = time.perf_counter()
    steps = sum(len(load(path).runbook.steps) for path in files)
    elapsed = time.perf_counter() - start
    print(f"corpus: {len(files)} files, {steps} steps, parsed in {elapsed * 1000:.0f} ms")


def main() -> int:
    bench_parse()
    bench_startup()
    bench_corpus()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
