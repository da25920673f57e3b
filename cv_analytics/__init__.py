"""Operator tooling for cv-analytics: the command line, the local stack and the demo."""
