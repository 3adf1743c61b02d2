"""The runbook format: immutable model, parser and linter. Never imports Textual."""
