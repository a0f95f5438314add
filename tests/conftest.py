"""Shared helpers and fixtures for the brochure test suite.

Rules every test follows:
- inputs are built in tmp_path (a copy of the repo's content.yaml + logo.svg, edited
  there); outputs go to tmp_path through ``--out``; nothing is written into the repo;
- anything about the print handout sets ``layout: handout`` explicitly;
- PDFs are read with tools no one here wrote (poppler, qpdf, pikepdf, pypdf, pypdfium2).
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SEED_YAML = REPO / "content.yaml"
SEED_LOGO = REPO / "logo.svg"
PYTHON = Path(sys.executable)  # the interpreter running the tests: the CLI runs in it too
HANG = 300  # seconds: how long a test waits for what must happen; a hang guard, never a measure of speed
PRIMARY = "#1d5c73"  # the seed's theme.primary, which the pixel tests look for

PROFILE = REPO / "templates" / "color" / "brochure-fogra39.icc"


def cmyk_of(hex_colour: str, amount: float = 1.0) -> tuple[float, float, float, float]:
    """``hex_colour`` as the print profile's CMYK, by littleCMS (Pillow's ImageCms), not by
    brochure's code; ``amount`` scales it (a tint with white)."""
    from PIL import Image, ImageCms

    rgb = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    transform = ImageCms.buildTransform(ImageCms.createProfile("sRGB"), ImageCms.getOpenProfile(str(PROFILE)),
                                        "RGB", "CMYK", ImageCms.Intent.RELATIVE_COLORIMETRIC,
                                        ImageCms.Flags.BLACKPOINTCOMPENSATION)
    pixel = ImageCms.applyTransform(Image.new("RGB", (1, 1), rgb), transform).getpixel((0, 0))
    return tuple(v / 255 * amount for v in pixel)


def printed(hex_colour: str, amount: float = 1.0) -> tuple[int, int, int, int]:
    """The CMYK pixel (0 to 255 a channel) a theme colour is in the print PDF, by the profile."""
    return tuple(round(v * 255) for v in cmyk_of(hex_colour, amount))  # type: ignore[return-value]


def render_cmyk(pdf: Path, page: int = 1, dpi: int = 72) -> Any:
    """A page of a print PDF as its CMYK separations, by Ghostscript: 1 px = 1 pt at 72 dpi,
    from the MediaBox's top left. A PIL image in mode CMYK."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "page.tif"
        subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiff32nc", f"-r{dpi}",
                        f"-dFirstPage={page}", f"-dLastPage={page}", f"-sOutputFile={target}", str(pdf)],
                       check=True, capture_output=True)
        with Image.open(target) as image:
            return image.convert("CMYK").copy()


DELETE = object()  # an override value that removes the key

# A small, complete content file whose line numbers the error tests rely on.
MINIMAL = """\
title: Ketamine and Your Brain
subtitle: What to know before your first infusion
lang: en-US
intro: A short introduction for patients.
sections:
  - heading: What ketamine does
    body: It blocks NMDA receptors, which changes how pain is felt.
  - heading: How long it lasts
    body: Two to three hours for most adults.
clinic:
  name: Balanced Ketamine
  phone: (913) 871-9888
  logo: logo.svg
revised: 2026-11-25
theme:
  primary: "#1d5c73"
  accent: "#c8682c"
layout: handout
paper: letter
"""


class _NoAliasDumper(yaml.SafeDumper):
    """Never writes anchors/aliases: brochure refuses them, rightly."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _merge(data: dict, overrides: dict) -> None:
    for key, value in overrides.items():
        if value is DELETE:
            data.pop(key, None)
        elif isinstance(value, dict) and isinstance(data.get(key), dict):
            _merge(data[key], value)
        else:
            data[key] = value


def seed_data(**overrides: Any) -> dict:
    """The repo's content.yaml as data, with ``layout: handout`` and ``overrides`` merged in."""
    data = yaml.safe_load(SEED_YAML.read_text(encoding="utf-8"))
    data["layout"] = "handout"
    _merge(data, overrides)
    return data


def dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True, width=4096)


def make_content(folder: Path, *, text: str | None = None, replace: tuple[tuple[str, str], ...] = (),
                 name: str = "content.yaml", **overrides: Any) -> Path:
    """A content folder in ``folder``: the seed's logo.svg and a content file; return the file.

    ``text`` given: written as is (after ``replace``). Otherwise the repo's content.yaml is
    round-tripped through YAML with ``layout: handout`` and ``overrides`` (nested dicts are
    merged; ``DELETE`` removes a key). Each ``replace`` pair must match, so a test never
    silently stops testing what it says.
    """
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED_LOGO, folder / "logo.svg")
    if text is None:
        text = dump(seed_data(**overrides))
    else:
        assert not overrides, "overrides apply to the seed, not to given text"
    for old, new in replace:
        assert old in text, f"test setup: {old!r} not in the content"
        text = text.replace(old, new)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def seed_project(folder: Path, *replace: tuple[str, str], name: str = "content.yaml") -> Path:
    """The repo's content.yaml exactly as it is (with ``replace`` edits) and logo.svg in ``folder``."""
    return make_content(folder, text=SEED_YAML.read_text(encoding="utf-8"), replace=tuple(replace), name=name)


def write_minimal(folder: Path, *replace: tuple[str, str], name: str = "content.yaml") -> Path:
    """MINIMAL (with ``replace`` edits) and logo.svg in ``folder``."""
    return make_content(folder, text=MINIMAL, replace=tuple(replace), name=name)


@dataclass
class Run:
    code: int
    out: list[str]
    err: list[str]


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in the file with ``new``, as a person's edit would; ``old`` must be there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def run_main(*args: str) -> Run:
    """``brochure.cli.main([...])`` in-process, with its stdout and stderr captured."""
    from brochure.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return Run(code, out.getvalue().splitlines(), err.getvalue().splitlines())


def build(yaml_path: Path, out_dir: Path) -> Run:
    """Build with the CLI; fail the test with its stderr unless it succeeded."""
    run = run_main("build", str(yaml_path), "--out", str(out_dir))
    assert run.code == 0, "\n".join(run.err)
    return run


def tool(*cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run an external PDF tool; skip (with the reason) when it is not installed."""
    if shutil.which(cmd[0]) is None:
        pytest.skip(f"{cmd[0]} is not installed (apt-get install poppler-utils qpdf)")
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=HANG)
    if check:
        assert result.returncode == 0, f"{' '.join(cmd)} exited {result.returncode}: {result.stderr}"
    return result


def boxes(pdf: Path) -> list[dict[str, tuple[float, ...]]]:
    """Every page's boxes as ``pdfinfo -box`` reports them: [{'MediaBox': (x0, y0, x1, y1), ...}]."""
    text = tool("pdfinfo", "-box", "-f", "1", "-l", "9999", str(pdf)).stdout
    pages: dict[int, dict[str, tuple[float, ...]]] = {}
    for number, box, values in re.findall(r"^Page\s+(\d+)\s+(\w+Box):\s+(.+)$", text, re.M):
        pages.setdefault(int(number), {})[box] = tuple(float(v) for v in values.split())
    assert pages, f"pdfinfo printed no boxes:\n{text}"
    return [pages[n] for n in sorted(pages)]


@contextlib.contextmanager
def memos_off(*memos: Any) -> Any:
    """The memo modules ``memos`` (render.cascade, render.drawn...) off inside, each forgetting what it kept, and on
    again after: a render inside is made as a fresh process with them off makes it (the bytes to compare with)."""
    for memo in memos:
        memo.enabled(False)
    try:
        yield
    finally:
        for memo in memos:
            memo.enabled(True)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (names and bytes), to show nothing was touched."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass
class Built:
    """One successful build: its content file, the PDFs and what the CLI printed."""

    yaml: Path
    out: Path
    print: Path
    email: Path
    run: Run
    brochure: Any


def build_variant(folder: Path, **overrides: Any) -> Built:
    """Build the seed (layout: handout, plus ``overrides``) in ``folder``; return where it went."""
    from brochure import content

    path = make_content(folder / "content", **overrides)
    out = folder / "out"
    run = build(path, out)
    brochure = content.load(path)
    return Built(path, out, out / f"{brochure.file_slug}-print.pdf", out / f"{brochure.file_slug}-email.pdf",
                 run, brochure)


@pytest.fixture(scope="session")
def handout(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The seed content as a print handout on letter paper, built once for the whole session."""
    return build_variant(tmp_path_factory.mktemp("handout"), paper="letter")


def without_check_summary(lines: list[str]) -> list[str]:
    """stderr lines less the one-line summary of content checks that every build prints."""
    return [line for line in lines if not re.search(r": warning: \d+ findings? to review \(", line)]


@pytest.fixture(scope="session")
def cluster() -> Any:
    """One Dask LocalCluster of two worker processes for the whole session: starting one costs
    seconds of a loaded machine's time, and every cluster test can share it."""
    distributed = pytest.importorskip("distributed")
    import dask

    dask.config.set({"distributed.worker.profile.enabled": False})  # as the README starts workers
    # A LocalCluster closes the nanny of a worker still gone after this long (15 s by default):
    # on a loaded machine, the worker a nanny starts again after one was killed (a test kills
    # one) can take longer to come up, and the cluster would be left with one worker for good.
    dask.config.set({"distributed.deploy.lost-worker-timeout": "600s"})
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=50)  # no fixed port: tests run side by side
    yield cluster
    cluster.close()


def at_once(work: Any, items: Any, hang: float = HANG) -> None:
    """``work(item)`` for each of ``items`` on a thread of its own, all let go together (a barrier), as the
    studio's renders run; each must end within ``hang`` seconds (a hang guard) and raise nothing."""
    import threading

    items = list(items)
    start = threading.Barrier(len(items), timeout=hang)
    raised: list[BaseException] = []

    def run(item: Any) -> None:
        try:
            start.wait()
            work(item)
        except BaseException as error:  # said by the test, not only warned about by pytest
            raised.append(error)

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=hang)
    assert not any(thread.is_alive() for thread in threads), f"a thread still runs after {hang} s"
    if raised:
        raise raised[0]


@pytest.fixture(scope="module")
def browser() -> Any:
    """Debian's Chromium through Playwright, one for a module's tests (the sync API runs one at a time);
    skips when not installed. Each test opens its own page (and its own server: ``studio_on``)."""
    from test_preview import real_browser

    with real_browser() as running:
        yield running


@contextlib.contextmanager
def busy_cores(count: int = 2, seconds: float = 240) -> Any:
    """``count`` processes that keep a core each busy, for at most ``seconds`` and never past
    the block: a test of a race runs as it would on a slow, loaded machine."""
    spin = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"
    spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(count)]
    try:
        yield spinners
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--reverse", action="store_true",
                     help="run the tests collected in the reverse order: a test that leans on the one before fails")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--reverse"):
        items.reverse()
