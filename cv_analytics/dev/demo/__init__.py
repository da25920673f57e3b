"""``cv-analytics demo``: the whole pipeline on an embedded AWS emulator (see :mod:`.pipeline`)."""

from cv_analytics.dev.demo.pipeline import DemoOptions, DemoResult, run_demo

__all__ = ["DemoOptions", "DemoResult", "run_demo"]
