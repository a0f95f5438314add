"""``python -m brochure``: the same command line as ``brochure`` and ``python build.py``."""

from .program import run

run()
