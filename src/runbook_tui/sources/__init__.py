"""Live evidence beside the walk, without the UI: service checks (`services.py`),
backup inventories (`backups.py`), log readers (`logs.py`), and the hub that owns and
schedules them (`hub.py`). Readings are frozen dataclasses (`readings.py`).

This package never imports Textual, `tui/` or `cli/`. It may use `session/` for masking
(`redaction`), stopping process groups (`process_group`), variable values
(`variables`) and, read-only, the session store (restore drills)."""
