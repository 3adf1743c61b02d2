"""The bundled demo: a sandboxed deploy of a tiny local web app, for `make demo`."""
