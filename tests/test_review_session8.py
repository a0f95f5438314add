"""Review of session 8's merges (harden's checked bytes, the cluster bundle, fontsets.kept):
each test is a break found by attacking them, reproduced through the command a clinic runs."""

from __future__ import annotations

import io
import os
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


def _font_revision(revision: int) -> bytes:
    """The bundled regular font with another revision number: other bytes, the same look."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(FONTS / "OpenSans-Regular.ttf"))
    font["head"].fontRevision = 1 + revision / 1000
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("memo", ["on", "off"])
def test_a_font_configuration_made_anew_leaves_no_old_one_alive(tmp_path: Path, memo: str) -> None:
    """A clinic's font saved again while ``watch`` or the studio runs: ``fontsets.kept``
    makes a new font configuration, as it must, but the old one stayed alive, kept by the
    parsed stylesheets (``stylesheets.PARSED``, 64 kept) and the shaped lines (the memo,
    4,096 lines): 2 to 3 MiB and a folder of font copies in /tmp at every save, until pushed
    out. Once replaced, no render asks for it again: nothing keeps it."""
    import gc
    import weakref

    from brochure.render import fontsets, shaping

    shaping.enabled(memo == "on")
    try:
        described._CACHE.clear()
        site = tmp_path / "site"
        content = write_minimal(site)
        (site / "fonts").mkdir()
        edit(content, 'theme:\n', 'theme:\n  font: fonts/Clinic.ttf\n')
        made: list[weakref.ref[object]] = []
        for revision in range(3):
            (site / "fonts" / "Clinic.ttf").write_bytes(_font_revision(revision))
            run = run_main("build", str(content), "--out", str(tmp_path / "out"), "-j", "1")
            assert run.code == 0, run.err
            made += [weakref.ref(fonts) for fonts, _ in fontsets.CONFIGS.values()
                     if all(fonts is not kept() for kept in made)]
        assert len(made) >= 3, "each saved font is registered anew"
        gc.collect()
        current = [fonts for fonts, _ in fontsets.CONFIGS.values()]
        alive = [ref() for ref in made if ref() is not None and all(ref() is not fonts for fonts in current)]
        assert not alive, f"{len(alive)} font configurations no render uses are kept alive"
    finally:
        shaping.enabled(True)


OTHER_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")


@pytest.mark.skipif(not OTHER_PROFILE.is_file(), reason="needs Ghostscript's default_cmyk.icc (apt ghostscript)")
def test_a_print_profile_saved_while_pictures_are_made_cmyk_is_never_drawn(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The print shop's profile is checked, and fetched (the output intent) with the checked
    bytes; then, while the print PDF's photo is made CMYK, another profile lands on its name.
    The photo was converted with the new profile read from disk (``separations._perceptual``),
    never checked, while the PDF says the old one: a PDF written as good whose photo prints in
    other inks. It is refused as a file changed after the check, and the next build makes it."""
    from brochure.render import separations

    described._CACHE.clear()
    site = tmp_path / "site"
    content = write_minimal(site)
    (site / "photo.png").write_bytes(_png(4))
    shop = site / "shop.icc"
    shop.write_bytes((Path(__file__).resolve().parent.parent / "templates" / "color" / "brochure-fogra39.icc").read_bytes())
    edit(content, "  - heading: How long it lasts\n",
         '  - heading: How long it lasts\n    image:\n      src: "photo.png"\n      alt: A picture\n')
    edit(content, "layout: handout\n", "layout: handout\nprint:\n  profile: shop.icc\n")
    convert = separations.for_print

    def saved_then_converted(body: bytes, suffix: str, profile: Path) -> tuple[bytes, str | None]:
        if suffix == ".png" and shop.read_bytes() != OTHER_PROFILE.read_bytes():
            shop.write_bytes(OTHER_PROFILE.read_bytes())  # the shop's new profile is copied in now
        return convert(body, suffix, profile)

    monkeypatch.setattr(separations, "for_print", saved_then_converted)
    out = tmp_path / "out"
    run = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert run.code == 1, run.out
    assert any("shop.icc changed after the content was checked" in line for line in run.err), run.err
    assert not out.exists() or not list(out.glob("*print.pdf"))
    monkeypatch.setattr(separations, "for_print", convert)
    assert run_main("build", str(content), "--out", str(out), "-j", "1").code == 0


def test_a_font_just_copied_is_registered_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A font copied in just before a build is stamped with its bytes' hash (``files.stamp``:
    changed within the last seconds); a build a few seconds later stamps it without one, and
    ``fontsets.kept`` made the font configuration anew for the same file: a second cold
    render (fonts registered again, stylesheets parsed again, every shaped line lost) after each
    font saved in ``watch``. The same numbers and the same bytes are the same file; a font saved
    again (other bytes, the old times put back) is still a new configuration."""
    from brochure import files
    from brochure.render import fontsets

    described._CACHE.clear()
    site = tmp_path / "site"
    content = write_minimal(site)
    (site / "fonts").mkdir()
    font = site / "fonts" / "Clinic.ttf"
    font.write_bytes(_font_revision(1))
    edit(content, 'theme:\n', 'theme:\n  font: fonts/Clinic.ttf\n')

    def built() -> object:
        run = run_main("build", str(content), "--out", str(tmp_path / "out"), "-j", "1", "--force")
        assert run.code == 0, run.err
        return next(fonts for fonts, stamps in fontsets.CONFIGS.values() if font.resolve() in stamps)

    monkeypatch.setattr(files, "RACY_NS", 10**18)  # just copied: stamped with its bytes
    first = built()
    monkeypatch.setattr(files, "RACY_NS", 0)  # seconds later: stamped by its numbers alone
    assert built() is first
    monkeypatch.setattr(files, "RACY_NS", 10**18)
    before = os.stat(font)
    font.write_bytes(_font_revision(2))  # the same size, other bytes, given the old times back
    os.utime(font, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert built() is not first


def test_a_picture_inside_an_svg_logo_is_checked(tmp_path: Path) -> None:
    """The clinic's logo is an SVG that places ``photo.png``, cut short (a copy not finished):
    the print PDF was written with half a photo in the logo, and no line said so."""
    described._CACHE.clear()
    site = tmp_path / "site"
    content = write_minimal(site)
    (site / "photo.png").write_bytes(_png(5, cut=True))
    (site / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200" '
                                   'viewBox="0 0 300 200"><image href="photo.png" width="300" height="200"/></svg>',
                                   encoding="utf-8")
    out = tmp_path / "out"
    run = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert run.code == 1 and any("photo.png" in line for line in run.err), run.out
    assert not out.exists() or not list(out.glob("*.pdf"))
