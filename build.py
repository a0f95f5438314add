"""Build the clinic's handouts: ``python build.py`` (see README.md for every command)."""

from brochure.program import run

if __name__ == "__main__":
    run()
