"""The Textual operator UI: the only package that imports Textual."""
