"""Load: a content file to a validated ``Brochure`` and its ``Source`` (for line numbers)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from ..errors import ContentError
from .messages import problems_of
from .model import Brochure
from .source import Source, dotted, read_source
from .translations import inherit


def validate(source: Source, root: Path) -> Brochure:
    """Check ``source`` against the model; raise ``ContentError`` with every problem found."""
    problems = list(source.problems)
    try:
        brochure = Brochure.model_validate(source.data, context={"root": root})
    except ValidationError as error:
        problems += problems_of(error, source.file, lambda loc: (source.line(loc), dotted(loc)))
    if problems:
        raise ContentError(problems)
    return brochure


def load(path: Path, name: str | None = None) -> Brochure:
    """Read and validate one content file."""
    return load_with_source(path, name)[0]


def load_with_source(path: Path, name: str | None = None) -> tuple[Brochure, Source]:
    """Read and validate one content file; also return its ``Source`` (for line numbers).

    A translation (``infusion.es.yaml`` beside ``infusion.yaml``) takes the shared keys it
    leaves out from the file it translates (``translations``)."""
    source = inherit(read_source(path, name), path)
    return validate(source, path.resolve().parent), source

