"""Reviewed: the findings of the checks on a built unit's content and PDFs, made at the same
time as the build where a forked helper is (``forked``): the PDFs after the first rendered and
checked from their bytes there, the words checked there too, the first PDF's contrast in a
helper of its own while its other checks run here. The same findings, in the same order, as
``checks.review.review`` makes in one process.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from . import forked
from .outputs import KINDS
from .prepared import Building
from .render import job, pdf
from .units import Result, Review

if TYPE_CHECKING:
    from .checks.findings import Finding


def render_others(it: Building, jobs: list[job.Job],
                  review: Review | None) -> tuple[list[pdf.Rendered], list[Finding], list[str]]:
    """A helper's first task: the PDFs after the first, rendered, then with ``review`` checked
    from their bytes (the findings name the PDFs this process writes from the same bytes); and
    the outputs whose PDFs were checked."""
    made = [job.render(one) for one in jobs]
    if review is None:
        return made, [], []
    from .checks.review import pdf_checks

    settings = review.settings or it.brochure.checks
    checks = pdf_checks(it.brochure, it.source, it.content_dir, {one.output: it.targets[one.output] for one in jobs},
                        settings, {one.output: rendered.data for one, rendered in zip(jobs, made)})
    return made, [finding for check in checks for finding in check()], [one.output for one in jobs]


def review(it: Building, result: Result, review: Review, aside: forked.Beside) -> list[Finding]:
    """The findings of the checks on the unit's content and PDFs: ``checks.review.review``'s, or
    with a helper, the same findings made at the same time: the words' and those of the PDFs it
    rendered by ``aside``, the others' (the first PDF's) here."""
    from .checks.review import pdf_checks, reported
    from .checks.review import review as check

    if len(aside.tasks) < 2:
        return check(it.brochure, it.source, it.content_dir, result.outputs, review.settings, review.today)
    settings = review.settings or it.brochure.checks
    _, found, beside = aside.result(0)
    here = pdf_checks(it.brochure, it.source, it.content_dir,
                      {name: path for name, path in result.outputs.items() if name not in beside}, settings)
    # The first PDF's checks in two halves at once: its contrast (its pages rendered) in a
    # helper forked now, the others here; with no helper, all of them here, in one reading.
    if any(KINDS[name].sheet for name in result.outputs if name not in beside):
        import pypdfium2  # noqa: F401  # the layout check here renders a sheet's pages too: the helper starts with it
    with forked.Beside([partial(checked, part="contrast") for checked in here]) as contrasts:
        if contrasts.pid is None:
            found = found + [finding for checked in here for finding in checked()]
        else:
            found = found + [finding for checked in here for finding in checked(part="rest")]
            found += [finding for index in range(len(here)) for finding in contrasts.result(index)]
    found += aside.result(1)
    return reported(found, it.source)


def content_findings(it: Building, review: Review) -> list[Finding]:
    """The findings about the unit's words (``checks.review.check_content``)."""
    from .checks.review import check_content

    return check_content(it.brochure, it.source, review.settings or it.brochure.checks, review.today)
