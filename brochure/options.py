"""Options: the command line's values checked, and its mistakes said in one plain line.

Every option that takes a value has a type here that refuses what it cannot use in plain
words, never with a Python function's name; argparse puts the option's name before them.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from typing import NoReturn

from .errors import shortened


def whole(what: str, low: int, high: int) -> Callable[[str], int]:
    """An option's value as a whole number from ``low`` to ``high``; any other text is refused
    in plain words (argparse names the option before them), never with a function's name."""
    def value(text: str) -> int:
        if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)) or not low <= int(text) <= high:
            shown = shortened(text)
            raise argparse.ArgumentTypeError(f"{what} is a whole number from {low} to {high}, not '{shown}'")
        return int(text)

    return value


def seconds(text: str) -> float:
    """A time limit in seconds: a number over 0, up to an hour."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 3600 or text.strip() != text:  # NaN and infinities fail the comparison too
        shown = shortened(text)
        raise argparse.ArgumentTypeError(f"a time limit is a number of seconds over 0 and up to 3600, not '{shown}'")
    return value


def folder_or_file(text: str) -> str:
    """A file to write: a name, not nothing."""
    if not text.strip():
        raise argparse.ArgumentTypeError("give the name of a file, like --write content.schema.json")
    return text


jobs = whole("the number of processes", 1, 256)
dpi = whole("a resolution (dots per inch)", 36, 1200)  # over 1200 dpi a tri-fold sheet is over a gigabyte of pixels
port = whole("a port", 1, 65535)


class Parser(argparse.ArgumentParser):
    """argparse, with a mistake said in one line: the command, the option, what is wrong, and
    where to read more; exit 2 as argparse does."""

    def error(self, message: str) -> NoReturn:
        message = re.sub(r"^argument (-[^/:\s]+)(/\S+)?: ", r"\1: ", message)  # "--jobs: ...", not "argument --jobs/-j: ..."
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")
