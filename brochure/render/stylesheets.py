"""Stylesheets: each one WeasyPrint parses once per process, not once per layout.

WeasyPrint 70 reads, tokenises and validates every ``<link rel=stylesheet>`` and ``<style>``
of a document at each layout: in a tri-fold build with its trial layouts (flow), and in
``watch``, that was about a fifth of the time. ``install()`` wraps ``weasyprint.CSS``: the
stylesheet is still fetched at every layout (through the build's fetcher, so the manifest
records its bytes as read), but when those bytes, its base URL, media type and font
configuration were seen before, what parsing them produced is put back instead of parsing
again: the selectors (a ``cssselect2.Matcher``, only read while matching), the ``@page``
rules and counter styles, the files parsing read (fonts, the CMYK profile:
fetched again, so they stay inputs of this PDF) and WeasyPrint's messages about it (logged
again, so a broken declaration warns at every build, as it did).

Not kept: a stylesheet with ``@import`` or ``@layer`` (what they add depends on more than its
bytes), one with ``@color-profile`` (the profile object is written into the PDF, and writing
changes it: each document needs its own; base.html's is a small inline sheet), one parsed
while WeasyPrint's log is off (its messages would be lost), and any
stylesheet WeasyPrint builds in another way than from a document. One with ``@color-profile``
or parsed while the log is off is parsed again at each layout, but its selectors are those
parsed first from the same bytes (``MATCHERS``): the same objects in every document, as the
kept sheets' are, which the memo of each element's declarations and styles (``cascade``) is keyed by. Selectors hold no colour profile: a
``device-cmyk()`` colour is a value, the profile is looked up by name when the PDF is written.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from . import memos, quiet

# Stylesheets kept per process, the least recently used dropped first: a clinic's documents
# share a handful, but a process that built many (a server's projects, a long watch session
# whose theme changed, a test suite) must keep those of the document it builds now. A cache
# that stopped keeping once full parsed every later sheet anew at each layout, and resume,
# which keeps a trial's cover and back when their declarations are the very objects of the
# sheets both layouts share, then kept no page.
MAX_KEPT = 64


@dataclass
class _Parsed:
    """What parsing one stylesheet added to its document, to add again."""

    matcher: Any
    page_rules: list[Any]
    counter_style: dict[str, Any]
    fetched: list[str] = field(default_factory=list)  # URLs parsing read (@font-face, @color-profile)
    records: list[logging.LogRecord] = field(default_factory=list)  # WeasyPrint's messages
    font_config: Any = None  # kept alive: the key holds its id()
    alone: bool = True  # its selectors depend on its bytes alone (no @import, no @layer)


# The sheets parsed, by their bytes, base URL, media type and font configuration (its id: the entry holds it
# alive); and the selectors parsed from a sheet's bytes (its key), for a sheet parsed again at each layout (its
# colour profile, or WeasyPrint's log off) to give the same objects, each with the font configuration the key
# holds the id of. Each MAX_KEPT, the least recently used dropped first, under its lock (a server's threads);
# dropped with their font configuration (``memos.forget``: one made anew, a clinic's font replaced, is never
# asked for again); ``BROCHURE_STYLESHEETS=off`` (or BROCHURE_MEMOS) parses every sheet as WeasyPrint does.
PARSED: memos.Kept[tuple[Any, ...], _Parsed] = memos.Kept(
    "BROCHURE_STYLESHEETS", lambda: MAX_KEPT, fonts=lambda parsed: parsed.font_config)
MATCHERS: memos.Kept[tuple[Any, ...], tuple[Any, Any]] = memos.Kept(
    "BROCHURE_STYLESHEETS", lambda: MAX_KEPT, fonts=lambda kept: kept[1])
enabled = PARSED.enabled


def clear() -> None:
    """Forget every sheet and selectors kept."""
    PARSED.clear()
    MATCHERS.clear()


class _Records(logging.Handler):
    """The messages of one parse: those of this thread only. The logger is the process's, and
    a message another thread's document logged meanwhile (a server's builds) kept with this
    sheet would be replayed into every later document that uses it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread in (self.thread, None):  # None: logging.logThreads off, nothing to tell them by
            self.records.append(record)


@memos.once
def install() -> None:
    """Wrap ``weasyprint.CSS.__init__``; once per process."""
    from weasyprint import CSS
    from weasyprint.urls import URLFetcher

    original = CSS.__init__

    def __init__(self: Any, guess: Any = None, filename: Any = None, url: Any = None, file_obj: Any = None,
                 string: Any = None, encoding: Any = None, base_url: Any = None, url_fetcher: Any = None,
                 _check_mime_type: bool = False, media_type: str = "print", font_config: Any = None,
                 counter_style: Any = None, color_profiles: Any = None, matcher: Any = None,
                 page_rules: Any = None, layers: Any = None, layer: Any = None) -> None:
        # A document's stylesheet, as find_stylesheets makes it; anything else as before.
        ours = (guess is None and filename is None and file_obj is None and matcher is None and layer is None
                and isinstance(url_fetcher, URLFetcher) and None not in (page_rules, layers, counter_style,
                                                                         color_profiles))
        if not ours or not PARSED.on:
            original(self, guess, filename, url, file_obj, string, encoding, base_url, url_fetcher,
                     _check_mime_type, media_type, font_config, counter_style, color_profiles, matcher,
                     page_rules, layers, layer)
            return
        _init(self, url, string, encoding, base_url, url_fetcher, _check_mime_type, media_type, font_config,
              counter_style, color_profiles, page_rules, layers)

    CSS.__init__ = __init__


def _init(css: Any, url: Any, string: Any, encoding: Any, base_url: Any, url_fetcher: Any, check_mime: bool,
          media_type: str, font_config: Any, counter_style: Any, color_profiles: Any, page_rules: list[Any],
          layers: list[Any]) -> None:
    """``CSS.__init__`` for a document's stylesheet: fetched as WeasyPrint does, parsed once."""
    from weasyprint.urls import select_source

    with select_source(None, None, url, None, string, base_url=base_url, url_fetcher=url_fetcher,
                       check_css_mime_type=check_mime) as (file_obj, base_url, protocol_encoding, _):
        source = file_obj.read()
    key = (source, encoding, protocol_encoding, base_url, media_type, id(font_config))
    css.base_url = base_url
    css.page_rules = page_rules
    css.layers = layers
    parsed = PARSED.get(key)  # the most recently used now
    if parsed is None:
        parsed, keep = _parse(source, encoding, protocol_encoding, base_url, url_fetcher, media_type, font_config,
                              counter_style, color_profiles, page_rules, layers)
        if parsed.alone:  # the selectors first parsed from these bytes, in every document
            parsed.matcher = _matcher(key, parsed.matcher, font_config)
        if keep:
            PARSED.put(key, parsed, replace=True)
        css.matcher = parsed.matcher
        _unreported(parsed.matcher)
        return
    _replay(parsed, css, url_fetcher, counter_style)
    _unreported(parsed.matcher)


def _unreported(matcher: Any) -> None:
    """Let this document warn again about the sheet's ``var()`` values: WeasyPrint's ``Pending``
    warns once per object (``_reported_error``), once per document when each parsed its own; a
    kept sheet's are shared, and a save in ``watch`` lost the warning. Found once per matcher."""
    pendings = getattr(matcher, "_brochure_pendings", None)
    if pendings is None:
        from weasyprint.css.tokens import Pending

        entries = [entry for group in (matcher.id_selectors, matcher.class_selectors,
                                       matcher.lower_local_name_selectors, matcher.namespace_selectors)
                   for kept in group.values() for entry in kept]
        entries += [*matcher.lang_attr_selectors, *matcher.other_selectors]
        pendings = list({id(value): value for entry in entries for _, value, _ in entry[4][0]
                         if isinstance(value, Pending)}.values())
        matcher._brochure_pendings = pendings
    for pending in pendings:
        pending._reported_error = False


def _matcher(key: tuple[Any, ...], matcher: Any, font_config: Any) -> Any:
    """The selectors first parsed from the bytes of ``key`` (``MATCHERS``), else ``matcher``, kept
    for the next parse of them; the page rules, counter styles and colour profiles of each parse stay its document's."""
    found = MATCHERS.get(key)  # the most recently used now
    if found is None:
        found = MATCHERS.put(key, (matcher, font_config))  # another thread's, if it kept one meanwhile
    return found[0]


def _parse(source: str | bytes, encoding: Any, protocol_encoding: Any, base_url: Any, url_fetcher: Any,
           media_type: str, font_config: Any, counter_style: dict[str, Any], color_profiles: dict[str, Any],
           page_rules: list[Any], layers: list[Any]) -> tuple[_Parsed, bool]:
    """Parse as WeasyPrint does, recording what it added and read, and whether it may be kept."""
    import cssselect2
    import tinycss2
    from weasyprint.css import preprocess_stylesheet

    if isinstance(source, str):
        rules = tinycss2.parse_stylesheet(source)
    else:
        rules, _ = tinycss2.parse_stylesheet_bytes(source, environment_encoding=encoding,
                                                    protocol_encoding=protocol_encoding)
    matcher = cssselect2.Matcher()
    logger = logging.getLogger("weasyprint")
    handler = _Records()
    before_rules, before_layers = len(page_rules), list(layers)
    before_counters, before_profiles = dict(counter_style), dict(color_profiles)
    fetched: list[str] = []
    fetch = url_fetcher.fetch

    def recording(url: str, headers: Any = None) -> Any:
        fetched.append(url)
        return fetch(url, headers)

    url_fetcher.fetch = recording
    logger.addHandler(handler)
    try:
        preprocess_stylesheet(media_type, base_url, rules, url_fetcher, matcher, page_rules, layers, font_config,
                              counter_style, color_profiles)
    finally:
        logger.removeHandler(handler)
        del url_fetcher.fetch
    parsed = _Parsed(matcher, page_rules[before_rules:],
                     {k: v for k, v in counter_style.items() if before_counters.get(k) is not v},
                     fetched, handler.records, font_config)
    imports = any(getattr(rule, "lower_at_keyword", None) in ("import", "layer") for rule in rules)
    # A colour profile is written into the PDF from the object itself, which writing changes:
    # each document needs its own (shared, the second PDF's bytes differed).
    profiles = color_profiles.keys() != before_profiles.keys() or any(
        before_profiles[k] is not v for k, v in color_profiles.items())
    parsed.alone = not (imports or layers != before_layers)
    keep = not (imports or profiles or layers != before_layers or logger.disabled or quiet.quiet()
                or not logger.isEnabledFor(logging.WARNING))
    return parsed, keep


def _replay(parsed: _Parsed, css: Any, url_fetcher: Any, counter_style: dict[str, Any]) -> None:
    """Add to this document what parsing the same stylesheet added before."""
    from weasyprint.urls import URLFetchingError, fetch

    css.matcher = parsed.matcher
    css.page_rules.extend(parsed.page_rules)
    counter_style.update(parsed.counter_style)
    record = getattr(url_fetcher, "record", None)  # brochure's fetcher notes a file without a response
    for url in parsed.fetched:  # read again: files this PDF is made from, recorded by the fetcher
        if record is not None:
            record(url)
            continue
        try:
            with fetch(url_fetcher, url):
                pass
        except URLFetchingError:
            pass  # as when it was parsed: the message about it is among the records
    logger = logging.getLogger("weasyprint")
    here = threading.current_thread()
    for record in parsed.records:
        # Said again on this thread, as this document's: a render collects its own thread's messages only (pdf).
        said = logging.makeLogRecord(record.__dict__)
        said.thread, said.threadName = here.ident, here.name
        logger.handle(said)
