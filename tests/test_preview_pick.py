"""The preview of a project: pick a handout and a location, and each page says which it is."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from conftest import PYTHON, REPO, write_minimal


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _page(port: int, query: str = "") -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{query}", timeout=10) as response:
            return response.read().decode()
    except OSError:
        return None


def test_the_preview_picks_a_handout_and_a_location_and_labels_them(tmp_path: Path) -> None:
    content = write_minimal(tmp_path / "site", ("paper: letter", "paper: letter\nvariants:\n"
                                                "  - {id: north, clinic: {phone: (913) 555-0101}}\n"
                                                "  - {id: south, clinic: {phone: (816) 555-0102}}"))
    port = _free_port()
    process = subprocess.Popen([str(PYTHON), "-u", str(REPO / "build.py"), "serve", "content.yaml", "--out", "out",
                                "--port", str(port), "--dpi", "36"],
                               cwd=content.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 120
        page = None
        while time.monotonic() < deadline:
            page = _page(port)
            if page and "for location south" in page:
                break
            time.sleep(0.3)
        assert page and "for location south" in page, page
        assert re.search(r'<select name="location"[^>]*>\s*<option value="">all 2</option>', page)
        assert "<h3>Print PDF for location north: ketamine-and-your-brain-north-print.pdf" in page
        south = _page(port, "?location=south")
        assert south is not None
        assert "for location north" not in south and "Email PDF for location south" in south
        assert '<option value="south" selected>south</option>' in south
        assert "· location south" in south
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
