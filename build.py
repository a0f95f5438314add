"""Build the clinic's handouts: ``python build.py`` (see README.md for every command)."""

from brochure.cli import run

if __name__ == "__main__":
    run()
