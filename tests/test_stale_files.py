"""No stale file left to send: the PDFs a content file no longer makes (a new title or slug, a
location removed, the file deleted) leave out/, one line each, and only those brochure wrote and
no one changed since; a file brochure did not write is never touched."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import SEED_LOGO, run_main, write_minimal

EMAIL_ONLY = ("paper: letter\n", "paper: letter\noutputs: [email]\n")  # one small PDF each: quick


def _names(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.suffix == ".pdf" and p.name != "catalog.pdf")


def test_a_new_title_removes_the_old_pdfs_and_keeps_what_brochure_did_not_write(tmp_path: Path) -> None:
    content = write_minimal(tmp_path / "single", EMAIL_ONLY)
    other = write_minimal(tmp_path / "single", EMAIL_ONLY, ("title: Ketamine and Your Brain", "title: Other"),
                          name="other.yaml")
    out = tmp_path / "single" / "out"
    assert run_main("build", str(content), str(other), "--out", str(out), "-j", "1").code == 0
    assert _names(out) == ["ketamine-and-your-brain-email.pdf", "other-email.pdf"]
    (out / "my-own-notes.pdf").write_bytes(b"%PDF-1.4 the clinic's own file\n")
    content.write_text(content.read_text().replace("Ketamine and Your Brain", "Your Brain on Ketamine"))
    run = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert run.code == 0, run.err
    assert f"removed {out / 'ketamine-and-your-brain-email.pdf'}: no longer made from {content}" in run.out
    assert _names(out) == ["my-own-notes.pdf", "other-email.pdf", "your-brain-on-ketamine-email.pdf"]
    # A PDF someone changed after brochure wrote it is kept, and said so.
    with (out / "your-brain-on-ketamine-email.pdf").open("ab") as file:
        file.write(b"% signed by the clinic\n")
    content.write_text(content.read_text().replace("Your Brain on Ketamine", "Ketamine Explained"))
    run = run_main("build", str(content), "--out", str(out), "-j", "1")
    kept = [line for line in run.out if line.startswith("kept ")]
    assert kept == [f"kept {out / 'your-brain-on-ketamine-email.pdf'}: no longer made from {content}, but it was "
                    "changed after brochure wrote it; remove it yourself if it is not needed"], run.out
    assert "your-brain-on-ketamine-email.pdf" in _names(out)
    # A deleted content file: its PDFs go at the next build of anything into this folder.
    other.unlink()
    run = run_main("build", str(content), "--out", str(out), "-j", "1")
    assert f"removed {out / 'other-email.pdf'}: the content file it was made from is gone" in run.out, run.out
    assert _names(out) == ["ketamine-explained-email.pdf", "my-own-notes.pdf", "your-brain-on-ketamine-email.pdf"]


def test_in_a_project_a_removed_location_and_a_deleted_handout_leave_nothing_behind(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(SEED_LOGO, root / "logo.svg")
    (root / "brochure.yaml").write_text("clinic: {name: Heartland, phone: (816) 555-0199, logo: logo.svg}\n"
                                        "locations:\n  - id: north\n  - id: south\nlayout: handout\n", encoding="utf-8")
    first = write_minimal(root / "handouts", EMAIL_ONLY, ("  logo: logo.svg\n", ""), name="first.yaml")
    second = write_minimal(root / "handouts", EMAIL_ONLY, ("  logo: logo.svg\n", ""),
                           ("title: Ketamine and Your Brain", "title: Second"), name="second.yaml")
    (root / "handouts" / "logo.svg").unlink()
    assert first.is_file() and second.is_file()
    run = run_main("build", str(root), "-j", "1")
    assert run.code == 0, run.err
    out = root / "out"
    assert _names(out) == sorted(f"{slug}-{where}-email.pdf" for slug in ("ketamine-and-your-brain", "second")
                                 for where in ("north", "south"))
    (root / "brochure.yaml").write_text((root / "brochure.yaml").read_text().replace("  - id: south\n", ""))
    second.unlink()
    run = run_main("build", str(root), "-j", "1")
    assert run.code == 0, run.err
    removed = sorted(line for line in run.out if line.startswith("removed "))
    assert len(removed) == 3, run.out
    assert _names(out) == ["ketamine-and-your-brain-north-email.pdf"]
