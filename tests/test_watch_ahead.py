"""Watch reads a saved handout ahead, while the save settles: what the build then reads is the
file as it is once left alone, never a piece of it read earlier (hostile: a save in pieces)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_minimal

from brochure import watch as watch_module
from brochure.content import described
from brochure.content.load import load_with_source


def _title(path: Path, name: str = "content.yaml") -> str:
    listed, _ = described.load_described(path, name)
    return listed[0][1].title


def test_a_save_made_while_the_file_is_read_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The validated content is kept by the bytes it was read from: a save landing between the
    read and the cache entry (a piece written while watch reads ahead) is read at the next look,
    not hidden under the new bytes' fingerprint."""
    content = write_minimal(tmp_path / "site")
    read = load_with_source

    def read_then_saved(path: Path, name: str):  # type: ignore[no-untyped-def]
        made = read(path, name)
        content.write_text(content.read_text().replace("Ketamine and Your Brain", "Saved While Read"))
        return made

    monkeypatch.setattr(described, "load_with_source", read_then_saved)
    assert _title(content) == "Ketamine and Your Brain"  # what was read
    monkeypatch.setattr(described, "load_with_source", read)
    assert _title(content) == "Saved While Read"


def test_a_saved_handout_is_validated_ahead_and_read_again_after_a_late_piece(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``_read_ahead`` validates the handout saved (the build then reads nothing again), and a
    piece written after it makes the build read the file again, whole."""
    from watchfiles import Change

    content = write_minimal(tmp_path / "site")
    other = write_minimal(tmp_path / "other")
    content.write_text(content.read_text().replace("Ketamine and Your Brain", "First Piece"))
    reads: list[Path] = []
    read = load_with_source

    def counted(path: Path, name: str):  # type: ignore[no-untyped-def]
        reads.append(path)
        return read(path, name)

    monkeypatch.setattr(described, "load_with_source", counted)
    files = [(content, "content.yaml"), (other, "other.yaml")]
    watch_module._read_ahead(files, {(Change.modified, str(content.resolve()))})
    assert reads == [content], "only the handout saved is read ahead"
    assert _title(content) == "First Piece"
    assert reads == [content], "the build finds it validated"
    content.write_text(content.read_text().replace("First Piece", "Whole Save"))  # a late piece
    assert _title(content) == "Whole Save"
    assert reads == [content, content]


def test_a_mistake_read_ahead_is_left_to_the_build(tmp_path: Path) -> None:
    """A handout with a mistake is not reported while read ahead: the build says it, at its line."""
    from watchfiles import Change

    from brochure.errors import ContentError

    content = write_minimal(tmp_path / "site", ("title: Ketamine and Your Brain", "title: [not, a, title]"))
    watch_module._read_ahead([(content, "content.yaml")], {(Change.modified, str(content.resolve()))})
    with pytest.raises(ContentError) as raised:
        _title(content)
    assert any(problem.key == "title" for problem in raised.value.problems)
