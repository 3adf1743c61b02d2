"""The demo: a sandbox with a small real system (a web shop, its SQLite database, its
log, its backups, two releases) for the bundled runbooks to deploy, restore and rescue.
`runbook-tui demo` (cli/demo.py) makes it and opens the picker; `--headless` walks
every bundled runbook against a fresh one (headless.py)."""
