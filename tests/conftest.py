"""Property tests are deterministic by default: CI runs on every stop, and a flake
rejects good work. `HYPOTHESIS_PROFILE=explore make test` draws new examples (a failure
prints the example and `@reproduce_failure` to replay it)."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
