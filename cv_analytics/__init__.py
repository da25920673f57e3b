"""Operator tooling for cv-analytics, by audience.

- :mod:`cv_analytics.cli` (the ``cv-analytics`` command) and :mod:`cv_analytics.dlq`: operating a
  real deployment; the base dependencies are enough.
- :mod:`cv_analytics.dev`: development only (the embedded emulator, the local stack, the traffic
  simulator and the demo); needs the ``dev`` extra.
- :mod:`cv_analytics.infra`: Terraform driven from Python.
"""
