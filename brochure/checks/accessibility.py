"""Accessibility: findings about the email PDF's tagging and alt text for screen readers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pikepdf

from .findings import Finding
from .pdfread import entry


def tagging(name: str, pdf: pikepdf.Pdf) -> list[Finding]:
    """What screen readers need of the whole file: tags, a language and a title shown as the title."""
    root, problems = pdf.Root, []
    if "/StructTreeRoot" not in root:
        problems.append("not tagged (no structure tree): screen readers cannot follow the reading order")
    if not bool(entry(root, "/MarkInfo", "/Marked")):
        problems.append("not marked as tagged (MarkInfo /Marked is not true)")
    if not str(root.get("/Lang", "")).strip():
        problems.append("no document language (/Lang): screen readers may read it with the wrong voice")
    if not str(pdf.docinfo.get("/Title", "")).strip():
        problems.append("no title in the document information")
    if not bool(entry(root, "/ViewerPreferences", "/DisplayDocTitle")):
        problems.append("viewers show the file name, not the title (ViewerPreferences /DisplayDocTitle)")
    return [Finding("tagging", "warning", name, None, "", problem) for problem in problems]


def _elements(node: Any, page: Any = None) -> Iterator[tuple[pikepdf.Dictionary, Any]]:
    """Structure elements under ``node``, each with its page (inherited from its parents)."""
    if isinstance(node, pikepdf.Array):
        for child in node:
            yield from _elements(child, page)
    elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
        page = node.get("/Pg", page)
        yield node, page
        if "/K" in node:
            yield from _elements(node.K, page)


def alt_text(name: str, pdf: pikepdf.Pdf) -> list[Finding]:
    """Each figure in the structure tree without alt text: a screen reader would skip it."""
    tree = pdf.Root.get("/StructTreeRoot")
    if tree is None or "/K" not in tree:
        return []
    role_map = entry(tree, "/RoleMap")
    roles = {str(k): str(v) for k, v in role_map.items()} if role_map is not None else {}
    numbers = {page.objgen: index for index, page in enumerate(pdf.pages)}
    findings = []
    for element, page in _elements(tree.K):
        if roles.get(str(element.S), str(element.S)) != "/Figure":
            continue
        if str(element.get("/Alt", "")).strip() or str(element.get("/ActualText", "")).strip():
            continue
        number = numbers.get(page.objgen) if page is not None else None
        findings.append(Finding("alt-text", "warning", name, None, f"page {number + 1}" if number is not None else "",
                                "a figure has no alt text, so screen readers skip it; give the image an alt"))
    return findings
