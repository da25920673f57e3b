"""``python -m cv_analytics.cli``: the same as the ``cv-analytics`` command."""

import sys

from cv_analytics.cli import main

sys.exit(main())
