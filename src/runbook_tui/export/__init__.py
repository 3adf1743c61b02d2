"""Transcripts of a session, for the people who read it afterwards: markdown (a
postmortem draft), JSON (everything, against docs/transcript.schema.json), asciicast v2
(a replay) and HTML (one self-contained page). See docs/transcripts.md.

Every format is a view of the journal, read as it streams: memory follows what a
format shows (the events, a bounded cut of each step's output), never the size of the
output. No UI here: this package imports `runbook` and `session` only.
"""
