"""Settings: what the command line asked of a run, as one frozen record.

``cli`` builds it once from its arguments (``cli._settings``); the runner, watch, serve and
the executors (local processes, ``cluster``) read it instead of taking ``force``, ``check``,
``jobs``... one by one. A layer that needs another value says so with
``dataclasses.replace`` (watch builds in one process, serve always checks). It is data
only, so it imports nothing of brochure and travels to worker processes as it is.

Not to be confused with a content file's ``checks:`` (``content.Checks``), which says how
strict the checks are for that clinic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SCHEDULER_TIMEOUT = 15.0  # seconds (``--scheduler-timeout``): to reach the scheduler, then to find a worker


@dataclass(frozen=True)
class Settings:
    """One run's settings: where the PDFs go, what is rebuilt and checked, and where."""

    out_dir: Path = Path("out")  # --out: the folder for the PDFs
    force: bool = False  # --force: rebuild even what is up to date
    check: bool = False  # check each brochure built (``Result.findings``)
    strict: bool = False  # --strict: a warning of the checks fails the run
    skip_fresh_files: bool = True  # False: up-to-date files go through the build too, to be checked
    jobs: int | None = None  # --jobs: local processes; None: one per core
    scheduler: str | None = None  # --scheduler: render on the Dask cluster at this address instead
    scheduler_timeout: float = SCHEDULER_TIMEOUT  # --scheduler-timeout: seconds
    port: int = 8000  # serve --port, on 127.0.0.1
    dpi: int = 150  # proof and serve --dpi: the page pictures' resolution (as ``proof.DEFAULT_DPI``)
