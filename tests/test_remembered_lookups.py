"""What a build remembers of its file look-ups, attacked: the response headers of a fetched file
(parsed once per process, ``pdf._message``) and the manifest's keys (``manifest._written``).

A remembered answer must be the one asked again would give: a file changed in size or time
gets new headers; a response's headers changed by the build (the CMYK picture's new type)
never reach the next response; a key follows the out folder when a link moves it.
"""

from __future__ import annotations

import email.utils
import mimetypes
import os
import threading
from pathlib import Path

import pytest
from weasyprint.urls import URLFetcherResponse, iri_to_uri

from brochure import manifest
from brochure.render import pdf


def _fresh(path: Path) -> list[tuple[str, str]]:
    """The headers as WeasyPrint's response parses them, with nothing remembered."""
    url = iri_to_uri(path.as_uri())
    stats = path.stat()
    kind = mimetypes.guess_type(url.removeprefix("file://"))[0]
    headers = {"Content-type": kind or "text/plain", "Content-length": str(stats.st_size),
               "Last-modified": email.utils.formatdate(stats.st_mtime, usegmt=True)}
    return [(name, str(value)) for name, value in URLFetcherResponse(url, b"", headers, None).headers.items()]


def _shown(response: object) -> list[tuple[str, str]]:
    return [(name, str(value)) for name, value in response.headers.items()]  # type: ignore[attr-defined]


def test_headers_are_those_weasyprint_parses_for_each_kind_of_file(tmp_path: Path) -> None:
    for name, body in (("logo.svg", b"<svg/>"), ("a.png", b"\x89PNG"), ("f.ttf", b"\0\1"), ("x.unknown", b"?"),
                       ("with space é.css", b"p{}")):
        path = tmp_path / name
        path.write_bytes(body)
        for _ in range(2):  # the second from what was parsed before
            response = pdf._read_local(path)
            assert _shown(response) == _fresh(path)
            assert response.headers.get_content_type() == (mimetypes.guess_type(path.name)[0] or "text/plain")


def test_a_file_changed_in_size_or_time_gets_new_headers(tmp_path: Path) -> None:
    path = tmp_path / "brochure.css"
    path.write_bytes(b"p{}")
    before = _shown(pdf._read_local(path))
    path.write_bytes(b"p{color:red}")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    after = _shown(pdf._read_local(path))
    assert after != before
    assert after == _fresh(path)
    assert dict(after)["Content-length"] == "12" and "2023" in dict(after)["Last-modified"]


def test_headers_changed_on_one_response_never_reach_the_next(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG")
    first = pdf._read_local(path)
    first.headers.replace_header("Content-Type", "image/x-cmyk")  # as fetch does for a picture made CMYK
    first.headers.add_header("X-Other", "1")
    second = pdf._read_local(path)
    assert second.headers.get_content_type() == "image/png"
    assert "X-Other" not in second.headers
    assert _shown(second) == _fresh(path)


def test_threads_read_headers_at_once(tmp_path: Path) -> None:
    paths = []
    for n in range(20):
        path = tmp_path / f"f{n}.{('svg', 'png', 'css')[n % 3]}"
        path.write_bytes(b"x" * n)
        paths.append(path)
    expected = {path: _fresh(path) for path in paths}
    wrong: list[Path] = []

    def work() -> None:
        for _ in range(20):
            for path in paths:
                response = pdf._read_local(path)
                if _shown(response) != expected[path]:
                    wrong.append(path)
                response.headers.replace_header("Content-Type", "changed/here")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs"
    assert wrong == []


def test_a_key_follows_the_out_folder_moved_by_a_link(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "pictures").mkdir(parents=True)
    picture = project / "pictures" / "a.png"
    picture.write_bytes(b"\x89PNG")
    first, second = project / "out", tmp_path / "elsewhere" / "out"
    first.mkdir()
    second.mkdir(parents=True)
    link = tmp_path / "out-link"
    link.symlink_to(first)
    book = manifest.Manifest(link)
    assert book.key(picture) == "../pictures/a.png"
    assert book.keys({picture: picture.resolve()}) == {picture: "../pictures/a.png"}
    link.unlink()
    link.symlink_to(second)  # the same out folder's name, now elsewhere
    assert book.key(picture) == os.path.relpath(picture, second)
    assert book.keys({picture: picture.resolve()}) == {picture: os.path.relpath(picture, second)}


def test_a_relative_path_is_keyed_from_where_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "content.yaml").write_text("x")
    book = manifest.Manifest(out)
    keys = []
    for folder in ("a", "b"):
        monkeypatch.chdir(tmp_path / folder)
        keys.append(book.key(Path("content.yaml"), follow=False))
    assert keys == ["../a/content.yaml", "../b/content.yaml"]
