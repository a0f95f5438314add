"""Hostile: a picture, font or profile that changes between the moment the content is checked
and the moment its PDFs are drawn (a photo copied in pieces, a font replaced while ``watch``
runs). What is drawn is what was checked, or no PDF at all: the file's bytes are read once to
be checked and their hash is what the content is kept by and what the render must meet."""

from __future__ import annotations

import io
import os
import random
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import edit, run_main, write_minimal

from brochure.content import described


def _photo(seed: int = 1) -> bytes:
    from PIL import Image

    image = Image.frombytes("RGB", (300, 200), random.Random(seed).randbytes(300 * 200 * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _with_photo(folder: Path) -> tuple[Path, Path, bytes]:
    content = write_minimal(folder)
    good = _photo()
    photo = content.parent / "photo.png"
    photo.write_bytes(good)
    edit(content, "  - heading: How long it lasts\n",
         '  - heading: How long it lasts\n    image:\n      src: "photo.png"\n      alt: A picture\n')
    return content, photo, good


def test_a_picture_cut_short_after_the_check_is_never_drawn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The photo is cut short after the content was checked, before the PDFs are drawn:
    WeasyPrint would draw half a photo (it reads truncated pictures). The build fails in one
    line instead, writes nothing, and the next build says what is wrong with the photo."""
    from brochure.render import pdf

    described._CACHE.clear()
    content, photo, good = _with_photo(tmp_path / "site")
    render = pdf.render_pdf

    def cut_then_render(*args: Any, **kwargs: Any) -> Any:
        photo.write_bytes(good[: len(good) // 2])  # a piece of the copy lands now
        return render(*args, **kwargs)

    monkeypatch.setattr(pdf, "render_pdf", cut_then_render)
    out = tmp_path / "out"
    run = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert run.code == 1, run.out
    said = [line for line in run.err if line.startswith(f"{content}:")]
    assert said and "photo.png changed after the content was checked" in said[0], run.err
    assert "Traceback" not in "\n".join(run.err)
    assert not out.exists() or not list(out.glob("*.pdf"))
    monkeypatch.setattr(pdf, "render_pdf", render)
    again = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert again.code == 1
    assert any("'photo.png' cannot be read: it is cut short" in line for line in again.err), again.err
    assert not out.exists() or not list(out.glob("*.pdf"))
    photo.write_bytes(good)  # copied again, whole: built
    assert run_main("build", str(content), "--out", str(out), "-j", "1").code == 0


# --- a font replaced by another of the same size, with the same time (cp -p, touch -r) ------------

FONTS = Path(__file__).resolve().parent.parent / "templates" / "fonts"


def _renamed(file: str, family: str, drop: str = "") -> bytes:
    """A bundled Open Sans file under another family name, without the characters of ``drop``."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(FONTS / file))
    if drop:
        keep = [code for code in font.getBestCmap() if chr(code) not in drop]
        options = subset.Options()
        options.name_IDs, options.name_languages, options.notdef_outline = ["*"], ["*"], True
        options.layout_features, options.glyph_names = ["*"], True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=keep)
        subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = family
        elif record.nameID == 6:
            record.string = family.replace(" ", "")
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def _same_size(first: bytes, second: bytes) -> tuple[bytes, bytes]:
    """Both fonts as long as the longer (zeros after the last table change nothing a font says)."""
    size = max(len(first), len(second))
    return first.ljust(size, b"\0"), second.ljust(size, b"\0")


def _replace_alike(path: Path, data: bytes) -> None:
    """``data`` written over ``path`` (same inode), with the old file's times put back, as
    ``cp -p`` or ``touch -r`` would: only the inode's change time tells them apart."""
    before = os.stat(path)
    path.write_bytes(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_ino, after.st_mtime_ns) == (before.st_size, before.st_ino, before.st_mtime_ns)


@pytest.mark.parametrize("racy", [False, True], ids=["an old file (its stamp)", "within one tick (its bytes)"])
def test_a_font_replaced_alike_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, racy: bool) -> None:
    """Glyph coverage, blank glyphs, family names and the theme's hash, each kept per process,
    follow a font replaced by another of the same size with the same time. Without ``racy`` the
    stamp's numbers must tell (the change time); with it the two files keep every number of the
    stat (two saves within one tick of the clock), and the bytes must tell."""
    from brochure import files
    from brochure.render import fontsets, glyphs, typeface

    first, second = _same_size(_renamed("OpenSans-Regular.ttf", "Alpha Sans"),
                               _renamed("OpenSans-Regular.ttf", "Beta Sans", drop="Q"))
    font = tmp_path / "clinic.ttf"
    font.write_bytes(first)
    if racy:  # the second file gets the first one's stat, every number of it
        kept = os.stat(font)
        real = os.stat
        monkeypatch.setattr(files.os, "stat", lambda path, *a, **k: kept if Path(path) == font else real(path, *a, **k))
    else:
        monkeypatch.setattr(files, "RACY_NS", 0)  # the stamp's numbers alone
        time.sleep(0.05)  # the copy lands a tick of the file clock later (a few ms at most)
    digest = typeface._digest(font)
    assert ord("Q") in glyphs.coverage(font)
    assert ord("Q") in glyphs._opened(font, files.stamp(font)).getBestCmap()
    assert fontsets.families(font, files.stamp(font)) == {"Alpha Sans"}
    _replace_alike(font, second)
    assert ord("Q") not in glyphs.coverage(font), "the replaced font's coverage"
    assert ord("Q") not in glyphs._opened(font, files.stamp(font)).getBestCmap(), "the replaced font, opened"
    assert fontsets.families(font, files.stamp(font)) == {"Beta Sans"}, "the replaced font's families"
    assert typeface._digest(font) != digest, "the replaced font's hash (its family name in the PDFs)"


def test_a_theme_font_replaced_alike_while_watching_is_used(tmp_path: Path) -> None:
    """``theme.font`` replaced by another font of the same size and time (``cp -p``) while the
    same process builds again (``watch``): the PDFs are those a fresh process makes of the
    files, never ones with the replaced font."""
    import subprocess
    import sys

    first, second = _same_size(_renamed("OpenSans-Regular.ttf", "Alpha Sans"),
                               _renamed("OpenSans-Bold.ttf", "Beta Sans"))
    content = write_minimal(tmp_path / "site", ("  accent: \"#c8682c\"", "  accent: \"#c8682c\"\n  font: fonts/clinic.ttf"))
    (content.parent / "fonts").mkdir()
    font = content.parent / "fonts" / "clinic.ttf"
    font.write_bytes(first)
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    assert run_main("build", str(content), "--out", str(out), "-j", "1").code == 0
    _replace_alike(font, second)
    again = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert again.code == 0 and any(line.startswith("wrote") for line in again.out), again.out
    code = ("import sys; from brochure.cli import main; "
            f"sys.exit(main(['build', {str(content)!r}, '--out', {str(fresh)!r}, '-j', '1']))")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=600)
    for made in sorted(fresh.glob("*.pdf")):
        assert (out / made.name).read_bytes() == made.read_bytes(), f"{made.name}: the replaced font"


def test_a_label_catalog_replaced_alike_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The clinic's ``messages/en.yaml`` copied over with its old time (``cp -p``), same size:
    the labels of the next build in the process are the new file's, never the kept ones."""
    from brochure import files
    from brochure.render import labels

    monkeypatch.setattr(files, "RACY_NS", 0)  # the stamp's numbers alone: the change time must tell
    (tmp_path / "messages").mkdir()
    catalog = tmp_path / "messages" / "en.yaml"
    catalog.write_text('call: "Phone"\n', encoding="utf-8")
    time.sleep(0.05)  # the copy lands a tick of the file clock later (a few ms at most)
    assert labels.load("en-US", tmp_path).words["call"] == "Phone"
    _replace_alike(catalog, b'call: "Ring!"\n')
    assert labels.load("en-US", tmp_path).words["call"] == "Ring!"


def test_a_locations_picture_mended_is_seen_by_the_next_build(tmp_path: Path) -> None:
    """One location's logo is damaged, another's not there yet: those two fail, the rest build.
    The logo copied again whole, the missing one added, the next look in the same process
    (``watch``, a server) builds them: their pictures are part of what the validated content is
    kept by, as the pictures of the locations that passed are."""
    described._CACHE.clear()
    content = write_minimal(tmp_path, ("paper: letter\n", "paper: letter\nvariants: locations.csv\n"))
    (tmp_path / "locations.csv").write_text("id,clinic.logo\nnorth,logo.svg\nsouth,south.png\nwest,west.png\n",
                                            encoding="utf-8")
    (tmp_path / "south.png").write_bytes(_photo()[:500])  # cut short
    listed, failed = described.load_described(content, "content.yaml")
    assert [variant for variant, _, _ in listed] == ["north"] and sorted(failed) == ["south", "west"], failed
    (tmp_path / "south.png").write_bytes(_photo())
    listed, failed = described.load_described(content, "content.yaml")
    assert [variant for variant, _, _ in listed] == ["north", "south"] and sorted(failed) == ["west"], failed
    (tmp_path / "west.png").write_bytes(_photo(2))
    listed, failed = described.load_described(content, "content.yaml")
    assert not failed, failed
    assert [variant for variant, _, _ in listed] == ["north", "south", "west"]


# --- watch: a font or profile the content names, replaced while it runs -----------------------

def test_watch_looks_at_the_fonts_and_profiles_a_content_names(tmp_path: Path) -> None:
    """``theme.font`` (``fonts/clinic.ttf``, beside the content) and ``print.profile``
    (``shop.icc``) are files of the content, as its pictures are: a save of one is a change
    worth a rebuild; an editor's temporary file beside them is not."""
    from brochure import watch

    keep = watch._relevant(tmp_path / "out", set())
    for name in ("fonts/clinic.ttf", "fonts/Clinic-Bold.OTF", "shop.icc", "press.icm", "photo.png"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
        assert keep(None, str(tmp_path / name)), name
    (tmp_path / ".shop.icc.tmp").write_bytes(b"x")
    assert not keep(None, str(tmp_path / ".shop.icc.tmp"))


def test_a_print_shop_profile_sent_while_watching_rebuilds_the_print_pdf(tmp_path: Path) -> None:
    """The print shop sends a new ``shop.icc`` while ``watch`` runs: the print PDF is made
    again with it, as a fresh build makes it, without a save of the content."""
    import shutil

    from conftest import HANG
    from test_regenerate import Watched

    from brochure.render.colour import DEFAULT_PROFILE

    first = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
    if not first.is_file():
        pytest.skip("Ghostscript's default_cmyk.icc is not installed (setup.sh --dev)")
    folder = tmp_path / "site"
    content = write_minimal(folder, ("paper: letter\n", "paper: letter\nslug: shop\nprint:\n  profile: shop.icc\n"))
    shutil.copyfile(first, folder / "shop.icc")
    printed = folder / "out" / "shop-print.pdf"
    watched = Watched(folder, content.name, "--out", "out")
    try:
        watched.until("the first build", lambda: watched.waits() >= 1, time.monotonic() + HANG)
        before, waits = printed.read_bytes(), watched.waits()
        staged = folder / ".shop.icc.new"
        shutil.copyfile(DEFAULT_PROFILE, staged)
        os.replace(staged, folder / "shop.icc")  # the new profile, whole, under the same name
        watched.until("the print PDF made with the new profile",
                      lambda: printed.read_bytes() != before and watched.waits() > waits, time.monotonic() + HANG)
    finally:
        watched.close()
    fresh = tmp_path / "fresh"
    assert run_main("build", str(content), "--out", str(fresh), "-j", "1").code == 0
    assert printed.read_bytes() == (fresh / "shop-print.pdf").read_bytes()


def test_a_picture_too_large_to_be_one_is_refused_unread(tmp_path: Path) -> None:
    """A file of 600 MB named ``photo.png`` (a disk image renamed, a sparse file): refused in
    one line by its size, never read whole into memory to be checked."""
    described._CACHE.clear()
    content, photo, _ = _with_photo(tmp_path / "site")
    with photo.open("r+b") as file:
        file.truncate(600_000_000)  # sparse: no disk space taken
    out = tmp_path / "out"
    run = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert run.code == 1
    said = [line for line in run.err if line.startswith(f"{content}:10:")]
    assert len(said) == 1 and "'photo.png' is larger than 512 MB" in said[0], run.err
    assert run.err[-1] == f"{content}: 1 problem; no PDF was written.", run.err
    assert not out.exists() or not list(out.glob("*.pdf"))


def test_a_theme_font_replaced_after_the_check_is_never_drawn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``theme.font`` replaced between the check of the content and the drawing of its PDFs:
    no PDF is drawn with a font nobody checked; the next build checks the new one and uses it."""
    from brochure.render import pdf

    described._CACHE.clear()
    content = write_minimal(tmp_path / "site", ("  accent: \"#c8682c\"", "  accent: \"#c8682c\"\n  font: fonts/clinic.ttf"))
    (content.parent / "fonts").mkdir()
    font = content.parent / "fonts" / "clinic.ttf"
    font.write_bytes(_renamed("OpenSans-Regular.ttf", "Alpha Sans"))
    render = pdf.render_pdf

    def replace_then_render(*args: Any, **kwargs: Any) -> Any:
        font.write_bytes(_renamed("OpenSans-Bold.ttf", "Beta Sans"))
        return render(*args, **kwargs)

    monkeypatch.setattr(pdf, "render_pdf", replace_then_render)
    out = tmp_path / "out"
    run = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert run.code == 1, run.out
    assert any("clinic.ttf changed after the content was checked" in line for line in run.err), run.err
    assert not out.exists() or not list(out.glob("*.pdf"))
    monkeypatch.setattr(pdf, "render_pdf", render)
    assert run_main("build", str(content), "--out", str(out), "-j", "1").code == 0


def test_a_picture_link_re_pointed_after_the_check_is_never_drawn(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """``photo.png`` is a link to ``pictures/a.png``; after the check it is pointed at
    ``pictures/b.png`` (a good picture, never checked): no PDF is drawn with it."""
    from brochure.render import pdf

    described._CACHE.clear()
    content, photo, good = _with_photo(tmp_path / "site")
    pictures = content.parent / "pictures"
    pictures.mkdir()
    (pictures / "a.png").write_bytes(good)
    (pictures / "b.png").write_bytes(_photo(2))
    photo.unlink()
    photo.symlink_to(Path("pictures") / "a.png")
    render = pdf.render_pdf

    def re_point_then_render(*args: Any, **kwargs: Any) -> Any:
        photo.unlink()
        photo.symlink_to(Path("pictures") / "b.png")
        return render(*args, **kwargs)

    monkeypatch.setattr(pdf, "render_pdf", re_point_then_render)
    out = tmp_path / "out"
    run = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert run.code == 1, run.out
    assert any("photo.png changed after the content was checked" in line for line in run.err), run.err
    assert not out.exists() or not list(out.glob("*.pdf"))


def test_a_project_saved_while_its_approval_rule_is_read_keeps_no_wrong_answer(tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """``brochure.yaml`` is saved (``require_approval`` taken out) just after its bytes were
    read to decide whether drafts may print: the answer kept for the first bytes is theirs
    (required), so when the clinic puts the rule back a draft is still refused by ``--strict``."""
    from brochure import approval

    project = tmp_path / "brochure.yaml"
    required = b"clinic:\n  name: Balanced Ketamine\nrequire_approval: true\n"
    dropped = b"clinic:\n  name: Balanced Ketamine\nrequire_approval: false\n"
    project.write_bytes(required)
    (tmp_path / "handout.yaml").write_text("title: A\n", encoding="utf-8")
    read = approval.read_regular

    def then_saved(path: Path) -> bytes:
        data = read(path)
        project.write_bytes(dropped)  # the save lands now
        return data

    approval._required.cache_clear()
    monkeypatch.setattr(approval, "read_regular", then_saved)
    assert approval.requires_approval(tmp_path / "handout.yaml") is True, "the bytes read say required"
    monkeypatch.setattr(approval, "read_regular", read)
    assert approval.requires_approval(tmp_path / "handout.yaml") is False, "the file now says not required"
    project.write_bytes(required)  # the rule put back
    assert approval.requires_approval(tmp_path / "handout.yaml") is True
