"""Tagging: WeasyPrint's tagged email PDF (PDF/UA-1) mended for screen readers, with pikepdf.

WeasyPrint 70 tags every page on its own. Each page's boxes become a subtree of /Document,
so an element split by a page break (the <main> Part, a section, a paragraph, a list) is
two elements, one per page. The @page margin boxes (a running footer, "Page N of M") are
tagged too, as Div/NonStruct elements whose /P is /Document but that no /K lists: content
that belongs to no element of the tree. ``mend`` makes such content pagination artifacts
(/Footer below the middle of the page, /Header above it) and drops those elements; joins
what a page break split; drops elements left with no content; numbers each page's marked
content anew in stream order; rebuilds the ParentTree from the tree; and gives every link
a spoken description. Same bytes in, same bytes out; a mended PDF mends to itself.

What counts as split, at the seam of two pages (the last element on one page and the
first on the next, of one kind, under parents that were joined): a grouping element,
unless the later one starts with a heading (a new section) or, for a list item, with its
label. A paragraph, by its words: the PDF keeps no trace of which HTML element a box came
from, so a paragraph that stops mid-sentence at the foot of a page, or goes on in lower
case at the top of the next, is one paragraph. One split exactly between two sentences
cannot be told from two paragraphs, and stays two.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import TypeGuard, cast
from urllib.parse import unquote, urlsplit

import pikepdf
from pikepdf import Array, Dictionary, Name, Object, Pdf

from . import memos
from .marked import Fonts, Marked, scan

# Grouping elements a page break may split; WeasyPrint starts them again on the next page.
CONTAINERS = {"/Part", "/Art", "/Sect", "/Div", "/NonStruct", "/BlockQuote", "/L", "/LI", "/LBody"}
HEADINGS = {"/H", "/H1", "/H2", "/H3", "/H4", "/H5", "/H6"}
_CLOSERS = "\"'”’»)]"
_OPENERS = "\"'“‘«(["
Kid = Object | int  # an element's /K item: an element, an MCR or OBJR, or an MCID


def describe(uri: str) -> str:
    """A link's spoken description from its address: "Call (913) 871-9888", "Email a@b.org",
    "Footnote 1" (``#note-1``)."""
    note = re.fullmatch(r"#note-(\d+)", uri)
    if note:  # a footnote's number in the text (render.blocks)
        return f"Footnote {note[1]}"
    scheme, _, rest = uri.partition(":")
    scheme = scheme.lower()
    if scheme == "tel":
        number = unquote(rest).split(";")[0]
        digits = re.sub(r"[^\d+]", "", number)
        if re.fullmatch(r"\+1\d{10}", digits):  # North America: as the clinic writes it
            number = f"({digits[2:5]}) {digits[5:8]}-{digits[8:]}"
        return f"Call {number}"
    if scheme == "mailto":
        return f"Email {unquote(rest).split('?')[0]}"
    if scheme in ("http", "https"):
        parts = urlsplit(uri)
        shown = (parts.netloc + parts.path).rstrip("/") + (f"?{parts.query}" if parts.query else "")
        return f"Open {unquote(shown)}"
    return f"Open {uri}"


# PDFs mended lately, by the bytes in and the descriptions: mending is a function of those alone
# (same bytes in, same bytes out), and a warm build, a save that changed only the print PDF,
# or the studio's next preview hands the same email PDF in again (about 40 ms each).
MENDED_MAX = 4
MENDED: memos.Kept[tuple[bytes, tuple[tuple[str, str], ...]], bytes] = memos.Kept("BROCHURE_MENDED", lambda: MENDED_MAX)
enabled = MENDED.enabled


def mend(data: bytes, descriptions: Mapping[str, str] | None = None) -> bytes:
    """The PDF ``data`` with footers as artifacts, split elements joined and links described.

    ``descriptions`` maps a link's address (``tel:+19138719888``) to what a screen reader
    says for it; any other link gets ``describe(address)``.
    """
    key = (data, tuple(sorted((descriptions or {}).items())))
    found = MENDED.get(key)
    return found if found is not None else MENDED.put(key, _mend(data, descriptions))


def _mend(data: bytes, descriptions: Mapping[str, str] | None) -> bytes:
    with Pdf.open(io.BytesIO(data)) as pdf:
        tree = pdf.Root.get("/StructTreeRoot")
        if isinstance(tree, Dictionary):
            _Mender(pdf, tree).run()
        _describe_links(pdf, descriptions or {})
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.preserve)
        return out.getvalue()


def _describe_links(pdf: Pdf, descriptions: Mapping[str, str]) -> None:
    for number, page in enumerate(pdf.pages, start=1):
        for annot in page.obj.get("/Annots", Array()):
            if not isinstance(annot, Dictionary) or annot.get("/Subtype") != Name.Link:
                continue
            action = annot.get("/A")
            uri = action.get("/URI") if isinstance(action, Dictionary) else None
            dest = annot.get("/Dest")
            if uri is not None:
                annot.Contents = pikepdf.String(descriptions.get(str(uri)) or describe(str(uri)))
            elif isinstance(dest, (pikepdf.String, Name)):  # a named place in the document: "#note-1"
                target = "#" + str(dest).lstrip("/")
                annot.Contents = pikepdf.String(descriptions.get(target) or describe(target))
            elif "/Contents" not in annot:
                annot.Contents = pikepdf.String(f"Go to another place in this document, from page {number}")


def _kids(node: Object) -> list[Kid]:
    k = cast(Kid | None, node.get("/K"))
    if k is None:
        return []
    return cast(list[Kid], list(k)) if isinstance(k, Array) else [k]


def _is_elem(obj: object) -> TypeGuard[Object]:
    return isinstance(obj, Dictionary) and "/S" in obj


class _Mender:
    """One pass over one PDF: artifacts, joins, renumbering, ParentTree."""

    def __init__(self, pdf: Pdf, tree: Object) -> None:
        self.pdf, self.tree = pdf, tree
        self.pages = {page.obj.objgen: number for number, page in enumerate(pdf.pages)}
        self.fonts = Fonts()
        self.scans = [scan(page) for page in pdf.pages]
        self.marks = {(n, m.mcid): m for n, (_, ms) in enumerate(self.scans) for m in ms}
        role_map = tree.get("/RoleMap")
        self.roles = {str(k): str(v) for k, v in role_map.items()} if isinstance(role_map, Dictionary) else {}
        # The first and last page of each element's content, kept while pages are joined: a
        # join only widens its target's span, so no element's content is walked twice.
        self.spans: dict[tuple[int, int], tuple[int, int] | None] = {}
        # Each element's /K as a list, read from the PDF once and kept as the mending writes it
        # (``_set_kids``, ``_join``): pikepdf's object access costs more than the walk itself.
        self.kid_lists: dict[tuple[int, int], list[Kid]] = {}

    def _kids(self, node: Object) -> list[Kid]:
        key = node.objgen
        if key == (0, 0):  # a direct object has no number to keep its kids by
            return _kids(node)
        if key not in self.kid_lists:
            self.kid_lists[key] = _kids(node)
        return self.kid_lists[key]

    def run(self) -> None:
        top = self.tree
        kids = self._kids(top)
        if len(kids) == 1 and _is_elem(kids[0]) and self._role(kids[0]) == "/Document":
            top = kids[0]
        self._join_siblings(top)
        self._prune(self.tree)
        owned = self._owned()
        renumber = self._rewrite_streams(owned)
        self._renumber_tree(renumber)
        self._rebuild_parent_tree()

    # -- the tree -------------------------------------------------------------------------

    def _role(self, elem: Object) -> str:
        role = str(elem.get("/S"))
        for _ in range(8):
            if role not in self.roles or self.roles[role] == role:
                break
            role = self.roles[role]
        return role

    def _page_of(self, elem: Object) -> int | None:
        node: Object | None = elem
        while _is_elem(node):
            assert node is not None
            pg = node.get("/Pg")
            if isinstance(pg, Dictionary):
                return self.pages.get(pg.objgen)
            node = node.get("/P")
        return None

    def _content(self, elem: Object, deep: bool = True) -> Iterator[tuple[int | None, int | None, Object]]:
        """(page, MCID or None for an OBJR, owning element) of each item in ``elem``, in order;
        ``deep``: in its descendants too."""
        for kid in self._kids(elem):
            if _is_elem(kid):
                if deep:
                    yield from self._content(kid)
            else:
                yield from self._items(elem, kid)

    def _items(self, elem: Object, kid: Kid) -> Iterator[tuple[int | None, int | None, Object]]:
        """(page, MCID or None, ``elem``) of ``kid``, an MCID, MCR or OBJR of ``elem``; nothing for another kid."""
        if isinstance(kid, int):
            yield self._page_of(elem), kid, elem
        elif isinstance(kid, Dictionary) and kid.get("/Type") in (Name.MCR, Name.OBJR):
            pg = kid.get("/Pg")
            page = self.pages.get(pg.objgen) if isinstance(pg, Dictionary) else self._page_of(elem)
            yield page, int(kid.MCID) if kid.get("/Type") == Name.MCR else None, elem

    def _span(self, elem: Object) -> tuple[int, int] | None:
        """The first and last page of the content in ``elem`` and below it (None: no content)."""
        key = elem.objgen
        if key not in self.spans:
            self.spans[key] = self._widen(None, elem, self._kids(elem))
        return self.spans[key]

    def _widen(self, span: tuple[int, int] | None, elem: Object, kids: list[Kid]) -> tuple[int, int] | None:
        """``span`` widened by the pages of ``kids``, items of ``elem``."""
        for kid in kids:
            if _is_elem(kid):
                pages = self._span(kid)
            else:
                page = next((p for p, _, _ in self._items(elem, kid)), None)
                pages = None if page is None else (page, page)
            if pages is not None:
                span = pages if span is None else (min(span[0], pages[0]), max(span[1], pages[1]))
        return span

    def _forget(self, elem: Object) -> None:
        """Drop the kept spans that depend on ``elem``'s parent: its own, when it names no page."""
        if elem.get("/Pg") is None:
            self.spans.pop(elem.objgen, None)
            for kid in self._kids(elem):
                if _is_elem(kid):
                    self._forget(kid)

    def _words(self, elem: Object) -> str:
        return "".join(self.marks[(p, m)].words(self.fonts) for p, m, _ in self._content(elem)
                       if p is not None and m is not None and (p, m) in self.marks)

    def _continues(self, before: Object, after: Object) -> bool:
        """Whether ``after``, first on its page, is the rest of ``before``, last on the page before."""
        role = self._role(before)
        if role != self._role(after):
            return False
        ends, starts = self._span(before), self._span(after)
        if ends is None or starts is None or starts[0] != ends[1] + 1 or starts[0] != self._page_of(after):
            return False
        if role in CONTAINERS:
            first = next((k for k in self._kids(after) if _is_elem(k)), None)
            fresh = first is not None and self._role(first) in (HEADINGS | ({"/Lbl"} if role == "/LI" else set()))
            return not fresh
        if role == "/P":
            head, tail = self._words(before).rstrip().rstrip(_CLOSERS), self._words(after).lstrip().lstrip(_OPENERS)
            if not head or not tail:
                return False
            return head[-1] not in ".!?…:" or tail[0].islower()
        return False

    def _join_siblings(self, parent: Object) -> None:
        kids: list[Kid] = []
        for kid in self._kids(parent):
            if kids and _is_elem(kid) and _is_elem(kids[-1]) and self._continues(kids[-1], kid):
                self._join(kids[-1], kid)
            else:
                kids.append(kid)
        self._set_kids(parent, kids)

    def _join(self, into: Object, other: Object) -> None:
        """Move ``other``'s kids to the end of ``into``; then join at the seam, one level down."""
        span = self._span(into)  # before anything moves: ``into``'s own content
        before = into.get("/K")
        if not isinstance(before, Array):  # one kid or none: made a list, as every join leaves it
            into.K = Array(self._kids(into))
            before = into.K
        last = before[len(before) - 1] if len(before) else None
        seam = last if _is_elem(last) else None
        page, other_page = self._page_of(into), self._page_of(other)
        moved: list[Kid] = []
        for kid in self._kids(other):
            if isinstance(kid, int) and page != other_page and other.get("/Pg") is not None:
                kid = Dictionary(Type=Name.MCR, Pg=other.Pg, MCID=kid)
            elif _is_elem(kid):
                kid.P = into
                self._forget(kid)  # it may have taken its page from ``other``
            moved.append(kid)
        span = self._widen(span, into, moved)
        first = moved[0] if moved else None
        if seam is not None and _is_elem(first) and self._continues(seam, first):
            self._join(seam, first)
            moved.pop(0)
        before.extend(cast(list[Object], moved))  # in place: the kids already there are not copied again
        if into.objgen != (0, 0):
            self.kid_lists[into.objgen] = self._kids(into) + moved
        self.spans[into.objgen] = span

    def _set_kids(self, node: Object, kids: list[Kid]) -> None:
        node.K = Array(kids)
        if node.objgen != (0, 0):
            self.kid_lists[node.objgen] = list(kids)

    def _prune(self, node: Object) -> bool:
        """Drop elements with no content below them; whether ``node`` keeps any content."""
        kept = [kid for kid in self._kids(node) if not _is_elem(kid) or self._prune(kid)]
        self._set_kids(node, kept)
        return bool(kept)

    def _owned(self) -> set[tuple[int, int]]:
        return {(p, m) for p, m, _ in self._content(self.tree) if p is not None and m is not None}

    # -- the page streams -----------------------------------------------------------------

    def _rewrite_streams(self, owned: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
        """Content no element owns becomes a pagination artifact; the rest is numbered anew."""
        renumber: dict[tuple[int, int], int] = {}
        for number, (page, (ops, marked)) in enumerate(zip(self.pdf.pages, self.scans)):
            middle, count = _middle(page), 0
            _fill_heights([seq for seq in marked if (number, seq.mcid) not in owned])
            for seq in marked:
                op = ops[seq.index]
                if (number, seq.mcid) in owned:
                    if (number, seq.mcid) not in renumber:
                        renumber[(number, seq.mcid)], count = count, count + 1
                    new = renumber[(number, seq.mcid)]
                    props = Dictionary(dict(op.operands[1].items()))
                    props.MCID = new
                    ops[seq.index] = pikepdf.ContentStreamInstruction([op.operands[0], props], op.operator)
                else:
                    where = Name.Header if seq.y is not None and seq.y > middle else Name.Footer
                    ops[seq.index] = pikepdf.ContentStreamInstruction(
                        [Name.Artifact, Dictionary(Type=Name.Pagination, Subtype=where)], op.operator)
            page.obj.Contents = self.pdf.make_stream(pikepdf.unparse_content_stream(ops))
        return renumber

    def _renumber_tree(self, renumber: dict[tuple[int, int], int]) -> None:
        """MCIDs in the tree follow the streams; an MCID no stream draws is dropped."""

        def visit(elem: Object) -> None:
            kids: list[Kid] = []
            for kid in self._kids(elem):
                if isinstance(kid, int):
                    page = self._page_of(elem)
                    if page is not None and (page, kid) in renumber:
                        kids.append(renumber[(page, kid)])
                elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.MCR:
                    pg = kid.get("/Pg")
                    page = self.pages.get(pg.objgen) if isinstance(pg, Dictionary) else self._page_of(elem)
                    if page is not None and (page, int(kid.MCID)) in renumber:
                        kid.MCID = renumber[(page, int(kid.MCID))]
                        kids.append(kid)
                else:
                    if _is_elem(kid):
                        visit(kid)
                    kids.append(kid)
            self._set_kids(elem, kids)

        for kid in self._kids(self.tree):
            if _is_elem(kid):
                visit(kid)
        self._prune(self.tree)

    def _rebuild_parent_tree(self) -> None:
        """Every MCID of a page to its element, every annotation to its Link: from the tree itself."""
        per_page: dict[int, dict[int, Object]] = {}
        annots: list[tuple[Object, Object]] = []

        def visit(elem: Object) -> None:
            for kid in self._kids(elem):
                if _is_elem(kid):
                    visit(kid)
                elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.OBJR:
                    annots.append((kid.Obj, elem))
            for page, mcid, owner in self._content(elem, deep=False):
                if page is not None and mcid is not None:
                    per_page.setdefault(page, {})[mcid] = owner

        visit(self.tree)
        tagged = {annot.objgen for annot, _ in annots}
        for page in self.pdf.pages:  # an annotation no element holds must not point into the tree
            for annot in page.obj.get("/Annots", Array()):
                if isinstance(annot, Dictionary) and "/StructParent" in annot and annot.objgen not in tagged:
                    del annot.StructParent
        taken = {int(p.obj.StructParents) for p in self.pdf.pages if "/StructParents" in p.obj}
        taken |= {int(a.StructParent) for a, _ in annots if "/StructParent" in a}
        nums: dict[int, Object] = {}
        next_key = max(taken, default=-1) + 1
        for number, page in enumerate(self.pdf.pages):
            owners = per_page.get(number, {})
            if "/StructParents" not in page.obj:
                if not owners:
                    continue
                page.obj.StructParents, next_key = next_key, next_key + 1
            nums[int(page.obj.StructParents)] = Array([owners.get(i) for i in range(max(owners, default=-1) + 1)])
        for annot, owner in annots:
            if "/StructParent" not in annot:
                annot.StructParent, next_key = next_key, next_key + 1
            nums[int(annot.StructParent)] = owner
        flat: list[Kid] = []
        for key in sorted(nums):
            flat += [key, nums[key]]
        self.tree.ParentTree = self.pdf.make_indirect(Dictionary(Nums=Array(flat)))
        self.tree.ParentTreeNextKey = max(nums, default=-1) + 1


def _fill_heights(orphans: list[Marked]) -> None:
    """A sequence that draws nothing (an empty span) sits where its neighbours in the margin do."""
    for ordered in (orphans, orphans[::-1]):
        known: float | None = None
        for seq in ordered:
            seq.y = known = seq.y if seq.y is not None else known


def _middle(page: pikepdf.Page) -> float:
    """Half-way up the page: content above it is a header, below it a footer."""
    box = [float(Decimal(str(v))) for v in page.mediabox]
    return (box[1] + box[3]) / 2
