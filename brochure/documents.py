"""Documents: each output's HTML made from the content, a mistake in a clinic's own template
said as one line at its file and line (``ContentError``); a mistake in ours stays a bug."""

from __future__ import annotations

from pathlib import Path

import jinja2

from .content import Brochure
from .errors import ContentError, Problem
from .render import html, labels


def document_html(brochure: Brochure, output: html.Output, content_dir: Path, stamp: str, words: labels.Labels) -> str:
    """The output's HTML; a mistake in a clinic's own template is a ``ContentError``."""
    try:
        return html.render(brochure, output, content_dir, stamp, words)
    except (jinja2.TemplateSyntaxError, jinja2.TemplateNotFound) as error:
        raise ContentError([_template_problem(error, content_dir)]) from None
    except Exception as error:  # in the clinic's own template, a mistake; in ours, a bug
        problem = _own_template_error(error, content_dir)
        if problem is None:
            raise
        raise ContentError([problem]) from None



def _template_problem(error: jinja2.TemplateError, content_dir: Path) -> Problem:
    """A mistake in a clinic's own template, at its file and line."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        shown = Path(error.filename or error.name or "template")
        if shown.is_relative_to(content_dir):
            shown = shown.relative_to(content_dir)
        return Problem(str(shown), error.lineno, "", f"template syntax error: {error.message}")
    return Problem(str(content_dir / "templates"), None, "", f"no template named '{getattr(error, 'name', '')}'")


def _own_template_error(error: Exception, content_dir: Path) -> Problem | None:
    """A runtime error raised in the clinic's own template, at its file and line, else None.

    Jinja puts each template's file and line into the traceback; the innermost frame in
    the clinic's ``templates/`` folder is where the mistake is.
    """
    import traceback

    own = (content_dir / "templates").resolve()
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).resolve().is_relative_to(own)]
    if not frames:
        return None
    frame = frames[-1]
    if isinstance(error, RecursionError):
        message = ("this template extends or includes itself; to build on the bundled one, "
                   "write {% extends \"bundled/" + Path(frame.filename).name + "\" %}")
    elif isinstance(error, jinja2.UndefinedError):
        message = error.message or str(error)
    else:
        message = f"{error}" or type(error).__name__
    shown = Path(frame.filename).resolve().relative_to(content_dir.resolve())
    return Problem(str(shown), frame.lineno, "", f"template error: {message}")
