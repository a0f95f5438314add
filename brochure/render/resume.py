"""Resume: a layout that keeps the pages of another its HTML cannot change (a trial's cover, back; a build's).

The sentence-break search (``flow``) lays out the whole document again for each fix it tries,
though a fix changes only the article: the cover (about 13% of a layout, a flex column) and the
back panel come out as they were. WeasyPrint 70 can keep a page already made when the state a
page starts from is the same (``layout.page.make_all_pages``, for its own repagination); this
module hands it the pages of the layout the fix was made on (the parent) for those panels:

- ``recording()``: a layout made within it keeps what a later trial needs (``Kept``): its pages
  before WeasyPrint's last pass (margin boxes, backgrounds), each page's starting state, the
  page sizes page 1 set, its styles, and whether anything crosses a page in WeasyPrint's
  context (footnotes, running elements, target counters, floats broken across a page).
- ``recording(kept, keep)``: the next layout starts from that state and keeps the pages in
  ``keep`` (the cover, the back: ``unchanged``) when WeasyPrint finds each one's starting state
  unchanged, every element on it (its ancestors, and what it holds without a box) styled by
  the same declarations and built into the same boxes (``_signatures``: the text box building
  computes in document order, such as counters, quotes and markers, pictures, links), the
  elements opening the next page styled alike (``_same_next``: where a page ends depends on
  the break before the next), its ``@page`` rules the same, every file
  both layouts read of the same bytes (``read``: a picture saved mid-build), and the parent's
  context clean. Anything else is laid out afresh, as without this module.

A build resumes the same way from the last build's layouts of the same document (``previous``): the same
HTML keeps every page, an edit the parts it left as they were; the elements of kept pages are matched to
the new tree by ``aligned`` (``Kept.elements``: what ``flow`` measures by).

The wrapper is one of ``patches``' (installed there, with its reason); outside ``recording`` it
only calls WeasyPrint's. ``flow`` decides which pages may be kept (``unchanged``): only those whose HTML is the same
text in both documents (the head included); tests/test_trials.py checks, for every tri-fold we have, that
each trial's pages and lines are those of a full layout and the PDFs are the same bytes.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .aligned import matched

_Origin = tuple[Any, Any, dict[Any, tuple[Any, ...]]]  # a document's (root, style_for, box signatures)
ATTRIBUTE = "_brochure_kept"  # on a layout: what a layout resumed from it needs (``Kept``)


@dataclass
class Kept:
    """What a layout leaves for a trial resumed from it."""

    pages: list[Any] = field(default_factory=list)  # page boxes before WeasyPrint's last pass
    page_maker: list[Any] = field(default_factory=list)  # each page's starting state
    page_sizes: dict[str, Any] = field(default_factory=dict)  # set by page 1 (viewport units)
    origins: list[_Origin] = field(default_factory=list)  # each page's tree, styles and boxes as built
    clean: bool = False  # nothing in the context crosses from one page to the next
    reused: frozenset[int] = frozenset()  # the pages this layout kept from its parent's
    leaves: list[bool] = field(default_factory=list)  # each page left floats or footnotes for the next
    files: dict[Any, set[str]] = field(default_factory=dict)  # each file its pages were made from: hashes read
    # The elements of the pages it kept (of the document each was made in), each with this document's in its
    # place: what measures a layout by its boxes' elements (flow) finds the ones of its own tree.
    elements: dict[Any, Any] = field(default_factory=dict)


class Unkept(Exception):
    """A page was kept that the page before it left boxes for: the layout must be made in full."""


@dataclass
class _Plan:
    kept: Kept | None  # resume from this layout's pages...
    keep: frozenset[int]  # ...keeping these
    record: Kept | None  # and record this layout here
    boxes: dict[Any, tuple[Any, ...]] = field(default_factory=dict)  # its box tree as built, by element


def read(path: Any, digest: str) -> None:
    """``path`` read (the hash of its bytes) by the layout being made: a page kept from a layout
    that read other bytes (a picture or stylesheet saved mid-build) is not kept. The fetcher calls it."""
    plan = _PLAN.get()
    if plan is not None and plan.record is not None:
        plan.record.files.setdefault(path, set()).add(digest)


def _other_files(kept: dict[Any, set[str]], now: dict[Any, set[str]]) -> bool:
    """Whether a file read now had other bytes when ``kept``'s pages were made (or changed within either)."""
    return any(len(digests) > 1 or (path in kept and kept[path] != digests) for path, digests in now.items()) \
        or any(len(digests) > 1 for digests in kept.values())


_PLAN: contextvars.ContextVar[_Plan | None] = contextvars.ContextVar("brochure_resume", default=None)
_INSTALLED = False
_LOCK = threading.Lock()


@contextlib.contextmanager
def recording(kept: Kept | None = None, keep: frozenset[int] = frozenset()) -> Iterator[_Plan]:
    """Layouts made within record a ``Kept`` (the plan's ``record``); with ``kept``, the first
    one resumes from it, keeping the pages in ``keep`` that can be kept."""
    install()  # patches.install() has done it for any render; a layout made on its own too
    plan = _Plan(kept, keep, Kept())
    token = _PLAN.set(plan)
    try:
        yield plan
    finally:
        _PLAN.reset(token)


def install() -> None:
    """Wrap WeasyPrint's ``make_all_pages`` once (it is called by name from ``layout_document``)."""
    with _LOCK:  # a server's threads: wrapped once, never twice
        if not _INSTALLED:
            _wrap()


def _wrap() -> None:
    global _INSTALLED
    import weasyprint.layout as layout_module

    original = layout_module.make_all_pages

    @functools.wraps(original)
    def make_all_pages(context: Any, root_box: Any, html: Any, pages: list[Any]) -> Iterator[Any]:
        plan = _PLAN.get()
        if plan is None:
            yield from original(context, root_box, html, pages)
            return
        if not pages and plan.record is not None:  # the box tree as built, before layout sets sizes on it
            plan.boxes = _signatures(root_box)
        offered: dict[int, tuple[Any, _Origin]] = {}  # kept pages offered: (page box, where it was made)
        kept_files: dict[Any, set[str]] = {}
        if plan.kept is not None and not pages:  # the first pass of a resumed layout
            kept, plan.kept = plan.kept, None  # only the first layout within resumes
            seeded = _seed(context, html, kept, plan.keep, plan)
            if seeded is not None:
                pages, keep = seeded
                offered = {i: (pages[i], kept.origins[i]) for i in keep}
                kept_files = kept.files
        footnotes = bool(context.footnotes)  # all of them, before pages take theirs
        made: list[Any] = []
        leaves: list[bool] = []  # after each page: floats or footnotes it left for the next
        for page in original(context, root_box, html, pages):
            index = len(made)
            if index in offered and page is offered[index][0] and index and leaves[-1]:
                raise Unkept(index)  # the page before left it boxes that the page kept never had
            made.append(page)
            yield page
            leaves.append(bool(context.broken_out_of_flow) or bool(context.reported_footnotes))
        # WeasyPrint yields a page it kept as it was given: the same object.
        reused = {i: offered[i][1] for i, page in enumerate(made) if i in offered and page is offered[i][0]}
        if reused and plan.record is not None and _other_files(kept_files, plan.record.files):
            raise Unkept(min(reused))  # a file read while making the other pages has other bytes now
        if plan.record is not None:
            for path, digests in kept_files.items() if reused else ():  # what the kept pages were made from
                plan.record.files.setdefault(path, set()).update(digests)
            _record(plan.record, context, html, made, reused, plan.boxes)
            plan.record.leaves = leaves
            plan.record.clean = plan.record.clean and not footnotes

    layout_module.make_all_pages = make_all_pages
    _INSTALLED = True


def _detached(page: Any) -> Any:
    """A copy of a page box as the pages loop leaves it, before ``layout_document``'s last pass
    replaces its children (margin boxes) and its root's (fixed boxes): a later layout runs
    that pass on the copy again, and the original stays as its own document drew it."""
    root, *rest = page.children
    kept_root = copy.copy(root)
    kept_root.children = list(root.children)
    kept = copy.copy(page)
    kept.children = (kept_root, *rest)
    return kept


def _record(kept: Kept, context: Any, html: Any, pages: list[Any], reused: dict[int, _Origin],
            boxes: dict[Any, tuple[Any, ...]]) -> None:
    """What a trial resumed from this layout needs; ``reused``: the pages it kept, and where each
    was made (a kept page still holds the elements and styles of that document)."""
    here = (html.etree_element, context.style_for, boxes)
    kept.pages = [_detached(page) for page in pages]
    kept.origins = [reused.get(i, here) for i in range(len(pages))]
    kept.reused = frozenset(reused)
    kept.page_maker = [_state(entry) for entry in context.page_maker]
    kept.page_sizes = dict(context.style_for.initial_page_sizes)
    kept.clean = (not context.footnotes and not context.reported_footnotes and not context.broken_out_of_flow
                  and not any(context.running_elements.values())
                  and not context.target_collector.counter_lookup_items)


def _state(entry: Any) -> Any:
    resume_at, next_page, right_page, page_state, _ = entry
    return copy.deepcopy((resume_at, next_page, right_page, page_state))


def _seed(context: Any, html: Any, kept: Kept, keep: frozenset[int], plan: _Plan) -> tuple[list[Any], frozenset[int]] | None:
    """Start ``context`` from ``kept``'s page states, its pages in ``keep`` to be kept as they
    are (WeasyPrint keeps one when the state it starts from is unchanged); None when nothing
    may be kept (then the layout is made as WeasyPrint makes it)."""
    from weasyprint.layout.page import set_page_type_computed_styles

    if not kept.clean or not kept.pages or len(kept.page_maker) != len(kept.pages) + 1:
        return None
    if plan.record is None or _other_files(kept.files, plan.record.files):
        return None  # a stylesheet or picture read so far has other bytes than when those pages were made
    first = context.page_maker[0]
    if _state(first) != kept.page_maker[0]:
        return None
    aligned: dict[Any, Any] = {}  # each pair of trees compared, aligned once for all the pages compared
    elements: dict[Any, Any] = {}  # each kept page's elements, with the new document's in their place
    kept_here = set()
    for i in sorted(keep):
        if i >= len(kept.pages) or i >= len(kept.leaves) or kept.leaves[i] or (i and kept.leaves[i - 1]):
            continue
        pairs = _same_styles(kept.origins[i], context, html, kept.pages[i], aligned)
        if pairs is not None and _same_boxes(kept.origins[i], plan.boxes, pairs) \
                and _same_next(kept, i, context, html, aligned):
            elements.update(pairs)
            kept_here.add(i)
    keep = frozenset(kept_here)
    if not keep:
        return None
    plan.record.elements = elements
    context.page_maker[:] = [
        (*copy.deepcopy(state), {"content_changed": i not in keep, "pages_wanted": False, "anchors": [],
                                 "content_lookups": []})
        for i, state in enumerate(kept.page_maker)]
    context.page_maker[-1][-1]["content_changed"] = False  # after the last page: nothing to make
    if 0 in keep:
        context.style_for.initial_page_sizes.update(kept.page_sizes)  # what page 1 sets
    for i in sorted(keep):  # the styles of each kept page's type, as making it would set them
        set_page_type_computed_styles(kept.pages[i].page_type, html, context.style_for)
    # Copies each time: WeasyPrint's last pass sets the children of the pages it is given, and
    # the same layout is resumed from again for each option the search tries on it.
    return [_detached(page) for page in kept.pages], keep


def _same_styles(origin: _Origin, context: Any, html: Any, page: Any,
                 aligned: dict[Any, Any] | None = None) -> dict[Any, Any] | None:
    """Each element with a box on ``page`` (and each of its ancestors), of the document it was
    made in (``origin``), with the new document's element in its place, when all have the same
    cascaded declarations in both, and so has the page's type (``@page`` rules, margin boxes);
    None when one has not. Same declarations: the same computed styles."""
    root, style_for, _ = origin
    on_page = {box.element for box in page.descendants() if getattr(box, "element", None) is not None}
    aligned = {} if aligned is None else aligned
    ancestors = aligned.get(("ancestors", id(root)), (None, None))[1]
    if ancestors is None:
        ancestors = _ancestors(root)
        aligned["ancestors", id(root)] = (root, ancestors)  # the root kept alive: its id is no other's meanwhile
    compared = on_page | {a for e in on_page for a in ancestors.get(e, ())} | _hidden(on_page, origin[2])
    pairs = matched(origin, html, compared, aligned)
    if pairs is None or any(len(element) != len(pairs[element]) for element in on_page) \
            or not _same_cascade(origin, context, pairs, aligned):
        return None  # elsewhere, or an element on the page with other children: one inserted there
    context.style_for.add_page_declarations(page.page_type)  # as making the page would (the same again)
    same_page = _same_declarations(_page_rules(style_for, page.page_type), _page_rules(context.style_for, page.page_type))
    return pairs if same_page else None


def _hidden(on_page: set[Any], boxes: dict[Any, Any]) -> set[Any]:
    """The elements without a box (``display: none``) among the children of those on a page,
    with all they hold: a fix's ``:has()`` or sibling selector can show one (a clinic's note),
    which a full layout would set on the page, though nothing of it was there to compare. Of the
    ``<head>``, itself alone: what it holds is shown only with it (its declarations compared), and
    ``unchanged`` keeps no page of a document whose head differs but for its title and metadata
    (a title edit changes ``<meta name="description">``: in the tree, where it would stop the alignment)."""
    found: set[Any] = set()
    for element in on_page:
        for child in element:
            if isinstance(child.tag, str) and child not in boxes:
                found.update([child] if child.tag == "head" else
                             (inner for inner in child.iter() if isinstance(inner.tag, str)))
    return found


def _same_next(kept: Kept, index: int, context: Any, html: Any, aligned: dict[Any, Any] | None = None) -> bool:
    """Whether the elements that open the page after page ``index`` (its first box and the first
    box of each, down the tree) have the same declarations in both documents: where WeasyPrint
    ends a page depends on the breaks between it and the next (``break-before``, ``avoid``),
    and a fix adds its break there. After the last page: nothing."""
    if index + 1 >= len(kept.pages):
        return True
    box, opening = kept.pages[index + 1], set()
    while getattr(box, "children", None):
        box = box.children[0]
        if getattr(box, "element", None) is not None:
            opening.add(box.element)
    pairs = matched(kept.origins[index + 1], html, opening, aligned)
    return pairs is not None and _same_cascade(kept.origins[index + 1], context, pairs, aligned)


def _same_cascade(origin: _Origin, context: Any, pairs: dict[Any, Any], aligned: dict[Any, Any] | None = None) -> bool:
    """Whether each element of ``pairs`` (in ``origin``'s document) has the same cascaded
    declarations (its pseudo-elements' too) as its match in the new one."""
    old_styles, new_styles = _cascaded(origin[1], aligned), _cascaded(context.style_for, aligned)
    return all(_same_declarations(old_styles.get(element, {}), new_styles.get(match, {}))
               for element, match in pairs.items())


def _page_rules(style_for: Any, page_type: Any) -> dict[str, Any]:
    """The declarations of the ``@page`` rules (and their margin boxes) a page of ``page_type`` matches."""
    return {str(pseudo): {name: value for name, (value, _) in declarations.items()}
            for (owner, pseudo), declarations in style_for.get_cascaded_styles().items() if owner == page_type}


def _same_boxes(origin: _Origin, boxes: dict[Any, tuple[Any, ...]], pairs: dict[Any, Any] | None) -> bool:
    """Whether each element of ``pairs`` had the same boxes built in the document a kept page was
    made in (``origin``) as its match in the new one (``boxes``): their text with what box
    building computes in document order (counters, quotes, markers, string-set, bookmarks),
    pictures, links. A clinic's counter that runs from the article into a kept page differs."""
    return pairs is not None and all(origin[2].get(old) == boxes.get(new) for old, new in pairs.items())


_NOT_BOXES = frozenset({"children", "element", "style"})  # the tree (each element has its own), styles (compared)


def _signatures(root_box: Any) -> dict[Any, tuple[Any, ...]]:
    """Each element's boxes as built, in tree order: their kind and every value box building
    set on them (text, generated content, images, links...), comparable between documents."""
    found: dict[Any, list[Any]] = {}
    for box in root_box.descendants(placeholders=True):
        values = tuple(sorted((name, _value(value)) for name, value in vars(box).items() if name not in _NOT_BOXES))
        found.setdefault(box.element, []).append((type(box).__name__, values))
    return {element: tuple(signatures) for element, signatures in found.items()}


class _Unlike:
    """A value not known to be comparable between documents: equal to nothing (the page is made again)."""

    def __eq__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return 0

    def __lt__(self, other: object) -> bool:
        return False


def _value(value: Any) -> Any:
    """``value`` as comparable between two documents' boxes."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (tuple, list)):
        return tuple(_value(item) for item in value)
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(map(repr, value))) if all(isinstance(item, str) for item in value) else _Unlike()
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return tuple(sorted((key, _value(item)) for key, item in value.items()))
    module = type(value).__module__
    if module == "weasyprint.css.computed_values" or module == "weasyprint.css" or module.startswith("weasyprint.css."):
        return "style"  # first-letter, first-line: the element's pseudo-elements' declarations are compared
    if module == "weasyprint.images":
        if _draws_files(value):
            return _Unlike()
        # Its bytes are the file's, compared by hash (``read``); its URL is in the declarations or attributes.
        return type(value).__name__, _value(getattr(value, "id", None)), getattr(value, "width", None), \
            getattr(value, "height", None)
    if callable(value) and getattr(value, "__closure__", True) is None:
        return "function", value.__code__  # a constant lambda (flex items' is_floated): the same code
    return _Unlike()


def _draws_files(image: Any) -> bool:
    """Whether ``image`` is an SVG with an ``<image>`` of a file, which WeasyPrint fetches only when it draws, through
    the layout the SVG was made in: a page kept with it would draw that file as that layout read it (stale)."""
    tree = getattr(getattr(getattr(image, "_svg", None), "tree", None), "_etree_node", None)
    return tree is not None and any(
        isinstance(node.tag, str) and node.tag.rsplit("}", 1)[-1] == "image"
        and not (node.get("{http://www.w3.org/1999/xlink}href") or node.get("href") or "").strip().startswith("data:")
        for node in tree.iter())


def _ancestors(root: Any) -> dict[Any, list[Any]]:
    """Each element's ancestors, the root first."""
    found: dict[Any, list[Any]] = {}
    todo: list[tuple[Any, list[Any]]] = [(root, [])]
    while todo:
        element, above = todo.pop()
        found[element] = above
        todo += [(child, [*above, element]) for child in element]
    return found


def _cascaded(style_for: Any, aligned: dict[Any, Any] | None = None) -> dict[Any, dict[str, Any]]:
    """For each element styled, the declarations that styled it and each of its pseudo-elements (before, after,
    marker...), by pseudo-element; kept in ``aligned`` for the other pages compared (the styles made meanwhile:
    page types' only, by ``_same_styles``)."""
    key = ("cascaded", id(style_for))
    if aligned is not None and key in aligned:
        return aligned[key][1]  # type: ignore[no-any-return]
    found: dict[Any, dict[str, Any]] = {}
    for (owner, pseudo), style in style_for._computed_styles.items():
        found.setdefault(owner, {})[str(pseudo)] = getattr(style, "cascaded", None)
    if aligned is not None:
        aligned[key] = (style_for, found)  # held: its id is no other's meanwhile
    return found


def _same_declarations(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether two elements' declarations say the same: most values are the very objects of a
    stylesheet both documents share; the others (a ``<style>`` of each document) by what they say."""
    if old.keys() != new.keys():
        return False
    for pseudo, declarations in old.items():
        other = new[pseudo]
        if declarations is None or other is None:
            if declarations is not other:
                return False
            continue
        if declarations.keys() != other.keys():
            return False
        if any(declarations[name] != other[name] and _plain(declarations[name]) != _plain(other[name])
               for name in declarations):
            return False
    return True


def _plain(value: Any) -> Any:
    """``value`` comparable by what it says: CSS tokens (custom properties keep them as parsed,
    a new object per document) by their text, containers item by item, and a declaration
    with ``var()`` (WeasyPrint validates it as each element's style is computed, from its tokens
    with the variables of that element, compared as the element's and its ancestors' are) by
    its kind, property and tokens, and for a shorthand its expander and the sheet's base URL.
    A stylesheet parsed again (one with ``@import``, such as office.css; one no longer kept,
    ``stylesheets``) makes new such objects that say the same."""
    from weasyprint.css.tokens import Pending

    if isinstance(value, dict):
        return sorted((str(key), _plain(item)) for key, item in value.items())
    if isinstance(value, (tuple, list)):
        return tuple(_plain(item) for item in value)
    if type(value).__module__.startswith("tinycss2"):
        return type(value).__name__, value.serialize()
    if isinstance(value, Pending):
        return type(value), value.name, _plain(value.tokens), _partial(getattr(value, "validator", None))
    return value


def _partial(validator: Any) -> Any:
    """A shorthand's expander (``functools.partial`` of a WeasyPrint function), by what it calls with what."""
    if validator is None:
        return None
    if not isinstance(validator, functools.partial):
        return _Unlike()
    return validator.func, _plain(validator.args), _plain(validator.keywords)
