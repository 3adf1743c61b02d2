"""Running steps and recording them: runner, redaction, journal, state, store, engine."""
