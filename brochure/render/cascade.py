"""Cascade: each element's matched declarations and computed values kept per process, not made at every layout.

WeasyPrint 70 matches every element against every stylesheet at each layout (``StyleFor``), makes a
computed style for it and for six pseudo-elements the default stylesheet gives every element
(``::marker``, ``::footnote-call``...), then computes each value the first time layout asks for it
(``ComputedStyle.__missing__``: the most time of its own in a warm build). ``watch``, the studio and
a warm build lay out documents of the same stylesheets and mostly the same elements again and again
(an edited build: print, email, and two sentence-break trials a few words from the print one).
``install()`` puts ``StyleFor.__init__`` here, doing what WeasyPrint's does with two memos per
*generation* (the same stylesheets' selector objects, kept by ``stylesheets``, base URL,
presentational hints, font configuration and its faces, ``shaping.faces``: ``ex``, ``ch``):

- **Matching** (``_Generation.cascades``), by the element's key: what a selector can see of it.
  Its tag, attributes, whether it has text or child elements (``:empty``), its position among its
  siblings and theirs (``+``, ``~``, ``:nth-child``, ``:last-of-type``, ``:has(+ ul)``...), all that
  of its ancestors (the parent's key), the root's language (``:lang()`` reads a ``<meta>`` too). A
  selector that reads more (``_SEEN``: the names each compiled selector reads; ``:has(option)``
  sees descendants) is matched anew for every element, as WeasyPrint does (``_deep``). The answer:
  each pseudo-element's declarations in cascade order, the very objects of the sheets (the
  dictionaries are read, never changed, by WeasyPrint).
- **Computed values** (``_Record``), by what a style is computed from: its parent's record, its
  declarations (matched, and those of its own attributes: ``style``, ``lang``, ``id``...), its
  pseudo-element. A new style is WeasyPrint's, filled beforehand with the values its record holds;
  a value computed for the first time is put in the record, unless WeasyPrint logged meanwhile (a
  later document would miss the message: the record then takes and gives no more). The logger's
  methods count their calls (``_counted``) even while it is off, as it is for the trial layouts.
  Values only: WeasyPrint changes some styles as it builds and lays out boxes (a table's padding,
  the body's overflow, a marker's position), on each document's own objects; a record only ever
  holds what ``__missing__`` returned.

A document whose declarations use a viewport unit (``vw``..., whose value the first page's size
sets, after styles), or styled with presentational hints (a ``cellpadding`` declares its table's cells),
is styled without either memo. Which styles WeasyPrint shares between elements within a document is its own rule.

Bounded: ``MAX_GENERATIONS`` generations, the least recently used dropped first, each of at most
``MAX_ENTRIES`` keys (a fuller one starts afresh); the studio renders in threads: the tables are
only added to (``setdefault``), and a style's values are the same whichever thread computed them.
``BROCHURE_CASCADE=off`` (or ``enabled(False)``) turns it off, to compare with and without it (``memos``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from math import inf
from typing import Any

from . import memos

MAX_GENERATIONS = 4
MAX_ENTRIES = 6_000  # about 7 MiB (the seed's two documents: 1,450, 1.8 MiB by tracemalloc)

# The generations by their stylesheets, base URL, hints and fonts (kept alive with them: their ids are in the key).
GENERATIONS: memos.Kept[tuple[Any, ...], _Generation] = memos.Kept(
    "BROCHURE_CASCADE", lambda: MAX_GENERATIONS, fonts=lambda generation: generation.held[1])
enabled, clear = GENERATIONS.enabled, GENERATIONS.clear
_IDS = itertools.count(1)  # every key's number, never given twice in a process (a dropped table's included)
_LOGGED = [0]  # messages WeasyPrint logged: a value computed while the count changed is not kept
_LOGS = ("debug", "info", "warning", "error", "log")  # the methods of its logger WeasyPrint calls
_SHARED: Any = None  # the ComputedStyle subclass that fills itself from its record (made at install)

# What a compiled cssselect2 selector may read of an element for the key to hold it all:
# its own tag, attributes, text and children (:empty), its siblings (before and after), its ancestors.
_SEEN = frozenset({
    "el", "s", "i", "n", "r", "any", "all", "next", "sum", "len", "tuple", "enumerate", "float", "divmod",
    "split_whitespace", "ascii_lower", "urlparse", "parent", "previous", "ancestors", "previous_siblings",
    "etree_siblings", "etree_children", "etree_element", "index", "local_name", "namespace_url",
    "in_html_document", "id", "classes", "lang", "in_disabled_fieldset", "attrib", "get", "text", "tag",
    "startswith", "endswith", "lower", "iter_siblings", "scheme", "list", "iter_next_siblings"})
_VIEWPORT = ("vw", "vh", "vi", "vb", "vmin", "vmax")  # the endings of viewport units (svw, dvmin...)


@dataclass
class _Record:
    """The computed values of the styles of one key, as ``__missing__`` returned them."""

    values: dict[str, Any] = field(default_factory=dict)
    specified: dict[str, Any] = field(default_factory=dict)  # position, float, display: as WeasyPrint notes them
    open: bool = True  # False once WeasyPrint logged while computing one of its values


@dataclass
class _Generation:
    """The memos of documents styled by the same stylesheets (kept alive here: the key holds their ids)."""

    held: tuple[Any, ...]
    # Per sheet, its selectors that read more of an element than its key holds (``:has()`` of
    # descendants), matched anew for every element, and their places (``order``) in the sheet.
    deep: tuple[tuple[Any, frozenset[int]], ...]
    ids: dict[tuple[Any, ...], int] = field(default_factory=dict)
    cascades: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    records: dict[int, _Record] = field(default_factory=dict)

    def number(self, key: tuple[Any, ...]) -> int:
        found = self.ids.get(key)
        if found is None:
            found = self.ids.setdefault(key, next(_IDS))
        return found

    def size(self) -> int:
        return len(self.ids) + len(self.cascades) + len(self.records)


def _counted(method: Any) -> Any:
    """``method`` of WeasyPrint's logger, counting each call first: whether the logger is off or not
    (a trial layout turns it off; a value computed then is kept too, and must not be one that logs)."""
    import functools

    @functools.wraps(method)
    def log(*args: Any, **kwargs: Any) -> Any:
        _LOGGED[0] += 1  # any thread: a count changed by another's message only keeps a value out
        return method(*args, **kwargs)

    return log


def size() -> int:
    """How many keys, cascades and records are kept (by every generation)."""
    return sum(generation.size() for generation in GENERATIONS.values())


@memos.once
def install() -> None:
    """Put ``StyleFor.__init__`` here; once per process."""
    global _SHARED
    from weasyprint.css import ComputedStyle, StyleFor
    from weasyprint.logger import LOGGER

    _SHARED = _shared_class(ComputedStyle)
    for name in _LOGS:
        setattr(LOGGER, name, _counted(getattr(LOGGER, name)))
    original = StyleFor.__init__

    def __init__(self: Any, html: Any, sheets: Any, presentational_hints: Any, font_config: Any, target_collector: Any) -> None:
        hints = presentational_hints  # a table's cellpadding is its cells' declaration: an ancestor's attribute
        generation = _generation(html, sheets, hints, font_config) if GENERATIONS.on and not hints else None
        if generation is None:
            original(self, html, sheets, presentational_hints, font_config, target_collector)
            return
        _style(self, generation, html, sheets, presentational_hints, font_config, target_collector)

    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    StyleFor.__init__ = __init__


def _shared_class(base: Any) -> Any:
    """WeasyPrint's ``ComputedStyle``, filled from a record and adding to it what it computes."""
    missing = base.__missing__

    class Shared(base):  # type: ignore[misc]
        _record: _Record
        _number: int  # its record's

        def __missing__(self, key: str) -> Any:
            record = self._record
            if record.open and key in record.values:  # computed meanwhile by another style of the record
                if key in record.specified:
                    self.specified[key] = record.specified[key]
                value = self[key] = record.values[key]
                return value
            logged = _LOGGED[0]
            value = missing(self, key)
            if not record.open:
                return value
            if _LOGGED[0] != logged:
                record.open = False
            elif dict.__contains__(self, key):  # kept by WeasyPrint (a `page: auto` is not)
                if key in self.specified:  # before the value: a style filled from the record meanwhile finds both
                    record.specified[key] = self.specified[key]
                record.values[key] = dict.__getitem__(self, key)
            return value

    return Shared


def _generation(html: Any, sheets: Any, hints: Any, font_config: Any) -> _Generation | None:
    """The generation of this document's stylesheets, made when new; None when its declarations
    use a viewport unit (whose value the first page sets, after styles)."""
    from . import shaping

    matchers = tuple(sheet.matcher for sheet, _, _ in sheets)
    key = (tuple((id(sheet.matcher), origin, specificity, tuple(map(repr, sheet.layers)))
                 for sheet, origin, specificity in sheets),
           hints, html.base_url, html.media_type, id(font_config), shaping.faces(font_config))
    generation = GENERATIONS.get(key)
    if generation is not None and generation.size() <= MAX_ENTRIES:
        return generation
    if any(_viewport(matcher) for matcher in matchers):
        return None
    # New, or full: start afresh (a document styling with the old one goes on with it).
    fresh = _Generation((matchers, font_config), tuple(_deep(matcher) for matcher in matchers))
    return GENERATIONS.put(key, fresh, replace=generation is not None)


def _entries(matcher: Any) -> Iterator[tuple[Any, ...]]:
    for group in (matcher.id_selectors, matcher.class_selectors, matcher.lower_local_name_selectors,
                  matcher.namespace_selectors):
        for entries in group.values():
            yield from entries
    yield from matcher.lang_attr_selectors
    yield from matcher.other_selectors


def _deep(matcher: Any) -> tuple[Any, frozenset[int]]:
    """A matcher of the selectors of ``matcher`` that read more of an element than its key holds
    (None when there is none), and their places in the sheet."""
    import cssselect2

    deep = [entry for entry in _entries(matcher) if not _names(entry[0].__code__) <= _SEEN]
    if not deep:
        return None, frozenset()
    orders = frozenset(entry[2] for entry in deep)
    found = cssselect2.Matcher()
    for name in ("id_selectors", "class_selectors", "lower_local_name_selectors", "namespace_selectors"):
        setattr(found, name, {key: kept for key, entries in getattr(matcher, name).items()
                              if (kept := [entry for entry in entries if entry[2] in orders])})
    found.lang_attr_selectors = [entry for entry in matcher.lang_attr_selectors if entry[2] in orders]
    found.other_selectors = [entry for entry in matcher.other_selectors if entry[2] in orders]
    return found, orders


def _names(code: Any) -> set[str]:
    return set(code.co_names).union(*(_names(inner) for inner in code.co_consts if hasattr(inner, "co_names")))


def _viewport(matcher: Any) -> bool:
    """Whether a declaration of the sheet uses a viewport unit (its custom properties and ``var()`` included)."""
    return any(_has_viewport(entry[4]) for entry in _entries(matcher))


def _has_viewport(value: Any, depth: int = 0) -> bool:
    if depth > 40:
        return True  # deeper than any declaration: say yes, the safe answer
    unit = getattr(value, "unit", None)
    if isinstance(unit, str) and unit.lower().endswith(_VIEWPORT):
        return True
    if isinstance(value, (str, int, float, bool)) or value is None:
        return False
    if isinstance(value, (tuple, list, dict)):
        value = list(value.values()) if isinstance(value, dict) else value
        return any(_has_viewport(item, depth + 1) for item in value)
    inner = [getattr(value, name) for name in ("tokens", "arguments", "content", "value")
             if isinstance(getattr(value, name, None), (tuple, list))]
    return any(_has_viewport(item, depth + 1) for item in inner)


def _style(self: Any, generation: _Generation, html: Any, sheets: Any, hints: Any, font_config: Any,
           collector: Any) -> None:
    """``StyleFor.__init__`` (WeasyPrint 70) with ``generation``'s memos: the same styles, in the same order."""
    from weasyprint.css import InitialStyle, declaration_precedence, find_style_attributes
    from weasyprint.css.validation import preprocess_declarations
    from weasyprint.logger import PROGRESS_LOGGER

    cascaded_styles: dict[tuple[Any, Any], dict[str, Any]] = {}
    computed_styles: dict[tuple[Any, Any], Any] = {}
    self._cascaded_styles, self._computed_styles = cascaded_styles, computed_styles
    self.initial_page_sizes = {"box": None, "area": None}
    self._sheets = sheets
    self.font_config = font_config

    PROGRESS_LOGGER.info("Step 3 - Applying CSS")
    elements_declarations = {}
    viewport = False
    for specificity, element, declarations, base_url in find_style_attributes(
            html.etree_element, hints, html.base_url):
        viewport = viewport or _has_viewport(declarations)
        style = cascaded_styles.setdefault((element, None), {})
        elements_declarations[element] = tuple(declarations)
        for name, values, importance in preprocess_declarations(base_url, declarations):
            weight = (declaration_precedence("author", importance), inf, specificity)
            old_weight = style.get(name, (None, None))[1]
            if old_weight is None or old_weight <= weight:
                style[name] = values, weight
    if viewport:  # a viewport unit in a style attribute: this document's values are its own
        generation = _Generation(generation.held, generation.deep)

    root, base = html.etree_element, html.base_url
    keys: dict[Any, int] = {}  # element: its key
    siblings: dict[Any, int] = {}  # parent element: the number of its children's signature
    selected: dict[Any, tuple[Any, ...]] = {}  # element: the selectors it matched
    computed_cache: dict[tuple[Any, ...], Any] = {}
    for element in html.wrapper_element.iter_subtree():
        etree_element = element.etree_element
        parent = element.parent.etree_element if element.parent else None
        parent_style = computed_styles[parent, None] if parent is not None else None
        element_declarations = elements_declarations.get(etree_element)
        matches, selectors, shared_by, styles = _found(generation, _key(generation, element, parent, keys, siblings),
                                                       element, sheets)
        selected[etree_element] = selectors
        if element_declarations is None:
            for pseudo_type, style in styles:  # the same dictionaries, in the order WeasyPrint adds them
                cascaded_styles[etree_element, pseudo_type] = style
        else:
            _cascade(cascaded_styles, etree_element, matches, sheets)
        # WeasyPrint's own rule for sharing one style between elements, unchanged.
        weasy = (id(parent_style) if parent is not None else None, element_declarations, shared_by)
        if weasy in computed_cache:
            computed_styles[etree_element, None] = computed_cache[weasy]
            continue
        own = None if element_declarations is None else (etree_element.tag, tuple(etree_element.attrib.items()))
        number = generation.number(("element", 0 if parent_style is None else parent_style._number, own, selectors))
        style = _new(generation, number, cascaded_styles.get((etree_element, None), {}), None, parent_style,
                     InitialStyle(font_config) if parent is None else computed_styles[root, None],
                     base, font_config, self.initial_page_sizes)
        computed_styles[etree_element, None] = computed_cache[weasy] = style
        if collector and style["anchor"]:
            collector.collect_anchor(style["anchor"])

    for etree_element, pseudo_type in cascaded_styles:  # pseudo-elements: in the order WeasyPrint makes them
        if pseudo_type:
            parent_style = computed_styles[etree_element, None]
            number = generation.number(("pseudo", parent_style._number, pseudo_type, selected[etree_element]))
            style = _new(generation, number, cascaded_styles[etree_element, pseudo_type], pseudo_type,
                         parent_style, computed_styles[root, None], base, font_config, self.initial_page_sizes)
            computed_styles[etree_element, pseudo_type] = style
            if collector and style["anchor"]:
                collector.collect_anchor(style["anchor"])
    self._cascaded_styles.clear()


def _new(generation: _Generation, number: int, cascaded: Any, pseudo_type: Any, parent_style: Any, root_style: Any,
         base_url: Any, font_config: Any, page_sizes: Any) -> Any:
    """A style made as WeasyPrint makes it, filled with the values its record (``number``) holds."""
    style = _SHARED(parent_style, cascaded, pseudo_type, root_style, base_url, font_config, page_sizes)
    record = generation.records.get(number)
    if record is None:
        record = generation.records.setdefault(number, _Record())
    style._record = record
    style._number = number
    if record.open and record.values:
        # Values first: a value's specified one is recorded before it (another thread may add one meanwhile).
        dict.update(style, record.values)
        style.specified.update(record.specified)
    return style


def _key(generation: _Generation, element: Any, parent: Any, keys: dict[Any, int], siblings: dict[Any, int]) -> int:
    """The number of what a selector can see of ``element`` (the module's docstring)."""
    if parent is None:
        number = generation.number(("root", _signature(element.etree_element), element.lang,
                                    element.in_html_document))
    else:
        children = siblings.get(parent)
        if children is None:
            children = siblings[parent] = generation.number(
                ("children", *(_signature(child) for child in element.etree_siblings)))
        number = generation.number((keys[parent], element.index, children))
    keys[element.etree_element] = number
    return number


def _signature(etree: Any) -> tuple[Any, ...]:
    """An element as a selector sees it beside others: tag, attributes, text, whether it holds elements."""
    return (etree.tag, tuple(etree.attrib.items()), bool(etree.text),
            any(isinstance(child.tag, str) for child in etree))


def _found(generation: _Generation, key: int, element: Any, sheets: Any) -> tuple[Any, ...]:
    """What ``element`` matched (``_matched``): the selectors its key tells kept, those that read more matched now."""
    kept = generation.cascades.get(key)
    if kept is None:
        matches = _matches(element, sheets)
        plain = [match for match in matches if match[2] not in generation.deep[match[0]][1]]
        kept = generation.cascades.setdefault(key, _matched(plain, sheets))
        return kept if len(plain) == len(matches) else _matched(matches, sheets)
    more = [(index, *match) for index, (deep, _) in enumerate(generation.deep) if _may_match(deep, element)
            for match in _of_sheet(deep, element, sheets[index][0])]
    if not more:
        return kept
    return _matched(sorted([*kept[0], *more], key=lambda match: match[:3]), sheets)


def _may_match(deep: Any, element: Any) -> bool:
    """Whether a selector of ``deep`` may match ``element``: all are by tag (``option``) and its tag is not one."""
    import cssselect2

    return deep is not None and bool(
        deep.id_selectors or deep.class_selectors or deep.namespace_selectors or deep.lang_attr_selectors
        or deep.other_selectors or cssselect2.ascii_lower(element.local_name) in deep.lower_local_name_selectors)


def _matches(element: Any, sheets: Any) -> list[tuple[Any, ...]]:
    """Every sheet's selectors matching ``element``, in cascade order: (sheet's place, specificity,
    place in the sheet, pseudo-element, declarations, layer's place)."""
    return [(index, *match) for index, (sheet, _, _) in enumerate(sheets)
            for match in _of_sheet(sheet.matcher, element, sheet)]


def _of_sheet(matcher: Any, element: Any, sheet: Any) -> Iterator[tuple[Any, ...]]:
    for specificity, order, pseudo_type, (declarations, layer) in matcher.match(element):
        yield specificity, order, pseudo_type, declarations, inf if layer is None else sheet.layers.index(layer)


def _matched(matches: list[tuple[Any, ...]], sheets: Any) -> tuple[Any, ...]:
    """The matches; the selectors as a key (sheet's place, specificity, declarations, layer,
    pseudo-element); as WeasyPrint's rule for sharing a style compares them (without the
    pseudo-element); each pseudo-element's declarations by weight (WeasyPrint's loop), in the
    order WeasyPrint adds them. Without an element's own declarations: ``_cascade`` adds those."""
    selectors = tuple((index, specificity, id(declarations), layer_order, pseudo_type)
                      for index, specificity, _, pseudo_type, declarations, layer_order in matches)
    styles: dict[Any, dict[str, Any]] = {}
    _cascade(styles, None, matches, sheets)
    return (tuple(matches), selectors, tuple(key[:4] for key in selectors),
            tuple((pseudo_type, style) for (_, pseudo_type), style in styles.items()))


def _cascade(cascaded_styles: dict[Any, Any], etree_element: Any, matches: tuple[Any, ...] | list[Any],
             sheets: Any) -> None:
    """Add the matched declarations to ``etree_element``'s (and its pseudo-elements'), as WeasyPrint does."""
    from weasyprint.css import declaration_precedence

    for index, specificity, _, pseudo_type, declarations, layer_order in matches:
        _, origin, sheet_specificity = sheets[index]
        specificity = sheet_specificity or specificity
        style = cascaded_styles.setdefault((etree_element, pseudo_type), {})
        for name, values, importance in declarations:
            weight = (declaration_precedence(origin, importance), layer_order, specificity)
            old_weight = style.get(name, (None, None))[1]
            if old_weight is None or old_weight <= weight:
                style[name] = values, weight
