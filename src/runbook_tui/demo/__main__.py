"""`python -m runbook_tui.demo [OPTIONS]` is `runbook-tui demo [OPTIONS]`."""

import sys

from runbook_tui.cli import main

raise SystemExit(main(["demo", *sys.argv[1:]]))
