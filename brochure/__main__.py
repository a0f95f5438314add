"""``python -m brochure``: the same command line as ``brochure`` and ``python build.py``."""

import sys

from .cli import main

sys.exit(main())
