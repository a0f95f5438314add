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
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeGuard, cast
from urllib.parse import unquote, urlsplit

import pikepdf
from pikepdf import Array, Dictionary, Name, Object, Pdf

# Grouping elements a page break may split; WeasyPrint starts them again on the next page.
CONTAINERS = {"/Part", "/Art", "/Sect", "/Div", "/NonStruct", "/BlockQuote", "/L", "/LI", "/LBody"}
HEADINGS = {"/H", "/H1", "/H2", "/H3", "/H4", "/H5", "/H6"}
_CLOSERS = "\"'”’»)]"
_OPENERS = "\"'“‘«(["
Matrix = tuple[float, float, float, float, float, float]
Kid = Object | int  # an element's /K item: an element, an MCR or OBJR, or an MCID
Operation = pikepdf.ContentStreamInstruction | pikepdf.ContentStreamInlineImage
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


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


def mend(data: bytes, descriptions: Mapping[str, str] | None = None) -> bytes:
    """The PDF ``data`` with footers as artifacts, split elements joined and links described.

    ``descriptions`` maps a link's address (``tel:+19138719888``) to what a screen reader
    says for it; any other link gets ``describe(address)``.
    """
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


def _times(a: Matrix, b: Matrix) -> Matrix:
    """The matrix product a × b (PDF row-vector convention)."""
    return (a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5])


def _matrix(operands: list[Object]) -> Matrix:
    values = [float(Decimal(str(v))) for v in operands]
    return (values[0], values[1], values[2], values[3], values[4], values[5])


class _Fonts:
    """Unicode text of shown strings, from each font's ToUnicode CMap."""

    def __init__(self) -> None:
        self._maps: dict[tuple[int, int], tuple[int, dict[int, str]]] = {}

    def text(self, font: Object | None, raw: bytes) -> str:
        if not isinstance(font, Dictionary):
            return ""
        width, table = self._load(font)
        codes = (int.from_bytes(raw[i:i + width], "big") for i in range(0, len(raw) - width + 1, width))
        return "".join(table.get(code, "") for code in codes)

    def _load(self, font: Object) -> tuple[int, dict[int, str]]:
        if font.objgen not in self._maps or font.objgen == (0, 0):
            width = 2 if font.get("/Subtype") == Name.Type0 else 1
            table: dict[int, str] = {}
            cmap = font.get("/ToUnicode")
            if isinstance(cmap, pikepdf.Stream):
                source = cmap.read_bytes().decode("latin-1")
                for block in re.findall(r"beginbfchar(.*?)endbfchar", source, re.S):
                    for src, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
                        table[int(src, 16)] = _utf16(dst)
                for block in re.findall(r"beginbfrange(.*?)endbfrange", source, re.S):
                    for lo, hi, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(<[0-9a-fA-F]*>|\[[^\]]*\])",
                                                  block):
                        targets = re.findall(r"<([0-9a-fA-F]*)>", dst)
                        for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                            if dst.startswith("["):
                                table[code] = _utf16(targets[offset]) if offset < len(targets) else ""
                            else:
                                table[code] = _utf16(f"{int(targets[0], 16) + offset:0{len(targets[0])}X}")
            self._maps[font.objgen] = (width, table)
        return self._maps[font.objgen]


def _utf16(hexa: str) -> str:
    return bytes.fromhex(hexa).decode("utf-16-be", "replace") if hexa else ""


@dataclass
class _Marked:
    """One marked-content sequence with an MCID: where its BDC is, what it shows, how high it sits."""

    index: int
    mcid: int
    # Each text-showing operator's font and operand, decoded only when the words are asked
    # for (``words``): only paragraphs at a page break are read, not every line of the PDF.
    shown: list[tuple[Object | None, Object]] = field(default_factory=list)
    y: float | None = None
    _words: str | None = None

    def words(self, fonts: _Fonts) -> str:
        """The sequence's text, from each font's ToUnicode CMap."""
        if self._words is None:
            parts = []
            for font, operand in self.shown:
                strings = list(operand) if isinstance(operand, Array) else [operand]
                parts += [fonts.text(font, bytes(s)) for s in strings if isinstance(s, pikepdf.String)]
            self._words = "".join(parts)
        return self._words


def _scan(page: pikepdf.Page) -> tuple[list[Operation], list[_Marked]]:
    """A page's operators and its MCID sequences, with what they show and their height on the page."""
    ops = list(pikepdf.parse_content_stream(page))
    resources = page.obj.get("/Resources", Dictionary())
    font_dict = resources.get("/Font", Dictionary())
    marked: list[_Marked] = []
    stack: list[_Marked | None] = []
    ctm, saved, tm, tlm = _IDENTITY, list[Matrix](), _IDENTITY, _IDENTITY
    font: Object | None = None
    leading = 0.0
    for index, op in enumerate(ops):
        if isinstance(op, pikepdf.ContentStreamInlineImage):
            continue
        name, args = str(op.operator), list(op.operands)
        current = next((m for m in reversed(stack) if m is not None), None)
        if name in ("BDC", "BMC"):
            props = args[1] if name == "BDC" and len(args) > 1 else None
            mcid = cast(Kid | None, props.get("/MCID") if isinstance(props, Dictionary) else None)
            entry = _Marked(index, mcid) if isinstance(mcid, int) else None
            if entry:
                marked.append(entry)
            stack.append(entry)
        elif name == "EMC" and stack:
            stack.pop()
        elif name == "q":
            saved.append(ctm)
        elif name == "Q" and saved:
            ctm = saved.pop()
        elif name == "cm":
            ctm = _times(_matrix(args), ctm)
        elif name == "BT":
            tm = tlm = _IDENTITY
        elif name == "Tm":
            tm = tlm = _matrix(args)
        elif name in ("Td", "TD", "T*", "'", '"'):
            tx, ty = (0.0, -leading) if name in ("T*", "'", '"') else (float(args[0]), float(args[1]))
            leading = -ty if name == "TD" else leading
            tm = tlm = _times((1.0, 0.0, 0.0, 1.0, tx, ty), tlm)
        elif name == "TL":
            leading = float(args[0])
        elif name == "Tf":
            font = font_dict.get(str(args[0]))
        if current is None or name not in ("Tj", "TJ", "'", '"', "Do"):
            continue
        if current.y is None:
            current.y = _times(tm if name != "Do" else _IDENTITY, ctm)[5]
        if name != "Do":
            current.shown.append((font, args[-1] if name != "TJ" else args[0]))
    return ops, marked


class _Mender:
    """One pass over one PDF: artifacts, joins, renumbering, ParentTree."""

    def __init__(self, pdf: Pdf, tree: Object) -> None:
        self.pdf, self.tree = pdf, tree
        self.pages = {page.obj.objgen: number for number, page in enumerate(pdf.pages)}
        self.fonts = _Fonts()
        self.scans = [_scan(page) for page in pdf.pages]
        self.marks = {(n, m.mcid): m for n, (_, ms) in enumerate(self.scans) for m in ms}
        role_map = tree.get("/RoleMap")
        self.roles = {str(k): str(v) for k, v in role_map.items()} if isinstance(role_map, Dictionary) else {}
        # The first and last page of each element's content, kept while pages are joined: a
        # join only widens its target's span, so no element's content is walked twice.
        self.spans: dict[tuple[int, int], tuple[int, int] | None] = {}

    def run(self) -> None:
        top = self.tree
        kids = _kids(top)
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
        for kid in _kids(elem):
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
            self.spans[key] = self._widen(None, elem, _kids(elem))
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
            for kid in _kids(elem):
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
            first = next((k for k in _kids(after) if _is_elem(k)), None)
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
        for kid in _kids(parent):
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
            into.K = Array(_kids(into))
            before = into.K
        last = before[len(before) - 1] if len(before) else None
        seam = last if _is_elem(last) else None
        page, other_page = self._page_of(into), self._page_of(other)
        moved: list[Kid] = []
        for kid in _kids(other):
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
        self.spans[into.objgen] = span

    @staticmethod
    def _set_kids(node: Object, kids: list[Kid]) -> None:
        node.K = Array(kids)

    def _prune(self, node: Object) -> bool:
        """Drop elements with no content below them; whether ``node`` keeps any content."""
        kept = [kid for kid in _kids(node) if not _is_elem(kid) or self._prune(kid)]
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
            for kid in _kids(elem):
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

        for kid in _kids(self.tree):
            if _is_elem(kid):
                visit(kid)
        self._prune(self.tree)

    def _rebuild_parent_tree(self) -> None:
        """Every MCID of a page to its element, every annotation to its Link: from the tree itself."""
        per_page: dict[int, dict[int, Object]] = {}
        annots: list[tuple[Object, Object]] = []

        def visit(elem: Object) -> None:
            for kid in _kids(elem):
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


def _fill_heights(orphans: list[_Marked]) -> None:
    """A sequence that draws nothing (an empty span) sits where its neighbours in the margin do."""
    for ordered in (orphans, orphans[::-1]):
        known: float | None = None
        for seq in ordered:
            seq.y = known = seq.y if seq.y is not None else known


def _middle(page: pikepdf.Page) -> float:
    """Half-way up the page: content above it is a header, below it a footer."""
    box = [float(Decimal(str(v))) for v in page.mediabox]
    return (box[1] + box[3]) / 2
