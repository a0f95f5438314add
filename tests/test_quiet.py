"""A sentence-break trial silences WeasyPrint's messages on its own thread only (render.quiet): a render
in another thread meanwhile (the studio, a test beside a watch session) still says its warnings and errors."""

from __future__ import annotations

import logging
import threading

from conftest import HANG

from brochure.render import quiet


class _Said(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.said: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.said.append(record.getMessage())


def test_a_trial_silences_its_own_thread_and_no_other() -> None:
    logger = logging.getLogger("weasyprint")
    handler = _Said()
    logger.addHandler(handler)
    inside, done = threading.Event(), threading.Event()

    def trial() -> None:
        with quiet.silenced():
            logger.warning("said in the trial")
            inside.set()
            assert done.wait(HANG)

    thread = threading.Thread(target=trial)
    try:
        thread.start()
        assert inside.wait(HANG)
        assert not quiet.quiet()
        logger.error("said by another render meanwhile")
    finally:
        done.set()
        thread.join(HANG)
        logger.removeHandler(handler)
    assert handler.said == ["said by another render meanwhile"]
    assert not logger.disabled
