"""Review of session 8's merges (harden's checked bytes, the cluster bundle, pdf._font_config):
each test is a break found by attacking them, reproduced through the command a clinic runs."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from conftest import edit, run_main, write_minimal

from brochure.content import described


def _png(seed: int, cut: bool = False) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGB", (300, 200), random.Random(seed).randbytes(300 * 200 * 3)).save(buffer, "PNG")
    data = buffer.getvalue()
    return data[: len(data) // 2] if cut else data


def _linked_folder(folder: Path) -> Path:
    """A handout beside ``pics/photo.png`` (cut short: a copy not finished) and ``sub``, a link
    to ``deep/er``, whose parent holds a good ``pics/photo.png``: ``sub/../pics/photo.png``
    is the good one for the system (``deep/pics``), the cut one for a URL (``pics``)."""
    content = write_minimal(folder)
    (folder / "deep" / "er").mkdir(parents=True)
    (folder / "deep" / "pics").mkdir()
    (folder / "pics").mkdir()
    (folder / "deep" / "pics" / "photo.png").write_bytes(_png(1))
    (folder / "pics" / "photo.png").write_bytes(_png(2, cut=True))
    (folder / "sub").symlink_to("deep/er", target_is_directory=True)
    return content


@pytest.mark.parametrize("where", ["section", "paragraph"])
def test_a_picture_named_through_a_linked_folder_and_dots_is_the_one_checked(tmp_path: Path, where: str) -> None:
    """``sub/../pics/photo.png`` with ``sub`` a link to a folder: the check followed the link
    (``deep/pics/photo.png``, good) while the HTML's URL drops ``sub/..`` as a browser does and
    the PDF drew ``pics/photo.png``, cut short, never checked: a half photo in a PDF written
    as good. The file checked must be the file drawn: here the cut one, said at its line."""
    described._CACHE.clear()
    content = _linked_folder(tmp_path / "site")
    if where == "section":
        edit(content, "  - heading: How long it lasts\n",
             '  - heading: How long it lasts\n    image:\n      src: "sub/../pics/photo.png"\n      alt: A picture\n')
    else:
        edit(content, "intro: A short introduction for patients.\n",
             "intro: |\n  A short introduction for patients.\n\n  ![A picture](sub/../pics/photo.png)\n")
    out = tmp_path / "out"
    run = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert run.code == 1, run.out
    assert any("sub/../pics/photo.png' cannot be read: it is cut short" in line for line in run.err), run.err
    assert "Traceback" not in "\n".join(run.err)
    assert not out.exists() or not list(out.glob("*.pdf"))
    (tmp_path / "site" / "pics" / "photo.png").write_bytes(_png(2))  # copied again, whole: built
    assert run_main("build", str(content), "--out", str(out), "-j", "1").code == 0


FONTS = Path(__file__).resolve().parent.parent / "templates" / "fonts"


def test_a_theme_font_goes_to_the_cluster_with_its_handout(cluster: object, tmp_path: Path) -> None:
    """``theme.font`` names a font file of the project (``fonts/Clinic.ttf``, not in
    ``templates/``): the bundle a worker renders from carried the pictures, the CSV and the
    profile, never the font, and every unit failed on the workers with "no file
    'fonts/Clinic.ttf'" while the local build made them. The cluster makes the local bytes."""
    pytest.importorskip("distributed")
    described._CACHE.clear()
    site = tmp_path / "site"
    content = write_minimal(site)
    (site / "fonts").mkdir()
    (site / "fonts" / "Clinic.ttf").write_bytes((FONTS / "OpenSans-Regular.ttf").read_bytes())
    edit(content, 'theme:\n', 'theme:\n  font: fonts/Clinic.ttf\n')
    local = run_main("build", str(content), "--out", str(tmp_path / "local"), "-j", "1")
    assert local.code == 0, local.err
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    run = run_main("build", str(content), "--out", str(tmp_path / "cluster"), "--scheduler", address)
    assert run.code == 0, run.err
    made = {p.name: p.read_bytes() for p in (tmp_path / "cluster").glob("*.pdf")}
    assert made and made == {p.name: p.read_bytes() for p in (tmp_path / "local").glob("*.pdf")}
