"""Build the clinic's handouts: ``python build.py`` (see README.md for every command)."""

import sys

from brochure.cli import main

if __name__ == "__main__":
    sys.exit(main())
