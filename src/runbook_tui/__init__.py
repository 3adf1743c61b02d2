"""runbook-tui: markdown runbooks as guided, recorded procedures."""

# Static, not importlib.metadata: that import alone costs ~60 ms of every start.
__version__ = "0.1.0"
