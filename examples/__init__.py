"""Runnable examples of the edge client (see examples/README.md)."""
