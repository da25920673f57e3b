"""The report's view-model and how it is built from a week's figures.

* :mod:`reporter.view.models`: what the templates print (pydantic models);
* :mod:`reporter.view.formatting`: numbers, dates, bars and text, formatted;
* :mod:`reporter.view.activity`, :mod:`~reporter.view.questions`, :mod:`~reporter.view.quality`:
  the sections;
* :mod:`reporter.view.build`: :func:`build_view`, the whole report.
"""

from reporter.view.build import TITLE, build_view, subject_line
from reporter.view.models import ReportView

__all__ = ["TITLE", "ReportView", "build_view", "subject_line"]
