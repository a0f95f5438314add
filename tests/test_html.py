"""HTML: what the Jinja templates make of content, before any PDF is drawn.

Rendered exactly as ``brochure.build.build_file`` does: ``content.load`` then
``html.render(brochure, output, content_dir, stamp)`` for each of ``html.outputs``.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest
from conftest import make_content
from markupsafe import escape

STAMP = "2026-11-25T00:00:00+00:00"
INJECTION = "<b>x</b> {{ 7*7 }} {% if x %}"


def render_all(path: Path) -> dict[str, str]:
    """``{"print": html, "email": html}`` for the content file at ``path``."""
    from brochure import content
    from brochure.render import html

    brochure = content.load(path)
    return {o.name: html.render(brochure, o, path.parent, STAMP) for o in html.outputs(brochure)}


def render(path: Path, output: str = "email") -> str:
    return render_all(path)[output]


def hrefs(document: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)"', document)


def section(body: str, heading: str = "Plain heading") -> list[dict]:
    return [{"heading": heading, "body": body}]


# --- template injection and escaping --------------------------------------------------

@pytest.fixture(scope="module")
def injected(tmp_path_factory) -> dict[str, str]:
    path = make_content(tmp_path_factory.mktemp("inject"), title=INJECTION, subtitle=INJECTION,
                        sections=section(INJECTION, heading=INJECTION), clinic={"name": INJECTION},
                        intro=INJECTION, disclaimer=INJECTION)
    return render_all(path)


@pytest.mark.parametrize("output", ["print", "email"])
def test_template_syntax_in_content_is_printed_literally(injected, output):
    document = injected[output]
    shown = str(escape(INJECTION))
    assert shown == "&lt;b&gt;x&lt;/b&gt; {{ 7*7 }} {% if x %}"
    assert f"<title>{shown}</title>" in document
    assert re.search(rf"<h1>\s*{re.escape(shown)}\s*</h1>", document)
    assert f"<h2>{shown}</h2>" in document                       # section heading
    assert f'<p class="clinic-name">{shown}</p>' in document     # clinic name on the cover
    assert f'<p class="contact-name">{shown}</p>' in document    # and in the contact block
    assert f'<p class="subtitle">{shown}</p>' in document
    assert f'<p class="disclaimer">{shown}</p>' in document
    assert f"<p>{shown}</p>" in document                         # Markdown intro and body
    assert "<b>x</b>" not in document
    without_css = re.sub(r"<style\b.*?</style>|<link\b[^>]*>", "", document, flags=re.S)
    assert "49" not in without_css, "template syntax from content was evaluated"


def test_injection_in_attributes_is_escaped(injected):
    document = injected["email"]
    shown = str(escape(INJECTION))
    assert f'<meta name="author" content="{shown}">' in document
    assert f'alt="{shown} logo"' in document


def test_raw_html_in_markdown_is_escaped(tmp_path):
    body = ('Before <script>alert(1)</script> and <img src="x" onerror="alert(2)">.\n\n'
            '<div style="color:red">block html</div>\n\n'
            "[click me](javascript:alert(3))\n")
    document = render(make_content(tmp_path, sections=section(body)))
    assert "<script" not in document
    assert "<img src=\"x\"" not in document and "onerror=\"alert" not in document
    assert "<div style" not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    assert "&lt;div style=&quot;color:red&quot;&gt;block html&lt;/div&gt;" in document
    assert "javascript:" not in " ".join(hrefs(document))


def test_markdown_bullets_become_a_list(tmp_path):
    body = "Some effects:\n\n- Fast relief\n- Fewer **symptoms**\n- One to three sessions\n"
    document = render(make_content(tmp_path, sections=section(body)))
    assert re.search(r"<ul( class=\"[^\"]*\")?>\s*<li>Fast relief</li>\s*<li>Fewer <strong>symptoms</strong></li>\s*"
                     r"<li>One to three sessions</li>\s*</ul>", document)
    assert "- Fast relief" not in document


def test_markdown_paragraphs(tmp_path):
    document = render(make_content(tmp_path, sections=section("First paragraph.\n\nSecond paragraph.\n")))
    assert re.search(r"<p>First paragraph.</p>\s*<p>Second paragraph.</p>", document)


# --- live links -----------------------------------------------------------------------

def test_phone_email_and_web_in_body_become_links(tmp_path):
    body = ("Call (913) 871-9888 or +44 20 7946 0958, write to hello@example.com, "
            "visit www.example.com or https://example.org/care/ketamine. In a crisis call 988.\n")
    document = render(make_content(tmp_path, sections=section(body)))
    links = hrefs(document)
    for want in ("tel:+19138719888", "mailto:hello@example.com", "https://www.example.com",
                 "https://example.org/care/ketamine", "tel:988"):
        assert want in links, (want, links)
    assert '<a href="tel:+19138719888">(913) 871-9888</a>' in document
    # The shown address may wrap after "/" and "." (zero-width spaces); the target stays plain.
    match = re.search(r'<a href="https://example.org/care/ketamine">([^<]*)</a>\.', document)
    assert match and match[1].replace("\u200b", "") == "https://example.org/care/ketamine", document
    assert "\u200b" in match[1]


def test_phone_in_the_seed_body_is_a_tel_link(tmp_path):
    """The seed's last section ends "... at (913) 871-9888." in running text."""
    document = render(make_content(tmp_path))
    assert '<a href="tel:+19138719888">(913) 871-9888</a>' in document


def test_markdown_link_is_kept_not_linkified_twice(tmp_path):
    body = "See [our page at www.example.com](https://example.com/a).\n"
    document = render(make_content(tmp_path, sections=section(body)))
    assert hrefs(document).count("https://example.com/a") == 1
    assert "https://www.example.com" not in hrefs(document)


def test_contact_block_links(tmp_path):
    path = make_content(tmp_path, clinic={"phone": "(913) 871-9888", "email": "care@balancedketamine.com",
                                          "website": "balancedketamine.com"})
    document = render(path)
    assert '<a href="tel:+19138719888">(913) 871-9888</a>' in document
    # The shown address may break after "@" and "." (zero-width spaces); the link stays plain.
    assert '<a href="mailto:care@balancedketamine.com">care@&#8203;balancedketamine.&#8203;com</a>' in document
    assert '<a href="https://balancedketamine.com">balancedketamine.&#8203;com</a>' in document


# --- document frame -------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en-US", "es"])
def test_html_lang_and_title(tmp_path, lang):
    path = make_content(tmp_path, lang=lang, title="Ketamine & You")
    for output, document in render_all(path).items():
        assert re.search(rf'<html lang="{lang}"[ >]', document), output
        assert "<title>Ketamine &amp; You</title>" in document, output


def test_paper_and_output_classes(tmp_path):
    documents = render_all(make_content(tmp_path, paper="a4"))
    assert re.search(r'<html [^>]*class="print paper-a4"', documents["print"])
    assert re.search(r'<html [^>]*class="email paper-a4"', documents["email"])


def test_theme_colours_reach_the_css(tmp_path):
    document = render(make_content(tmp_path, theme={"primary": "#AB3060", "accent": "#123456"}))
    assert "--primary: #ab3060;" in document
    assert "--accent: #123456;" in document


# --- a clinic's own templates ---------------------------------------------------------

OWN_CONTACT = """\
{% extends "bundled/handout.html" %}
{% block contact %}<div class="clinic-own-contact">Ask for {{ clinic.name }} at the front desk</div>{% endblock %}
"""


def test_own_template_overrides_one_block(tmp_path):
    path = make_content(tmp_path)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "handout.html").write_text(OWN_CONTACT)
    from brochure import content

    brochure = content.load(path)
    for output, document in render_all(path).items():
        assert f'<div class="clinic-own-contact">Ask for {brochure.clinic.name} at the front desk</div>' \
            in document, output
        assert "Questions? Contact us" not in document, output          # the bundled block is replaced
        assert re.search(rf"<h1>\s*{re.escape(str(escape(brochure.title)))}\s*</h1>", document), output
        for part in brochure.sections:                                   # the rest is still bundled
            assert f"<h2>{escape(part.heading)}</h2>" in document, output
        assert 'class="running-footer"' in document, output
        assert "/templates/css/brochure.css" in document, output


def test_without_own_templates_the_bundled_contact_is_used(tmp_path):
    document = render(make_content(tmp_path))
    assert "Questions? Contact us" in document
    assert "clinic-own-contact" not in document


def test_own_stylesheet_is_preferred(tmp_path):
    path = make_content(tmp_path)
    (tmp_path / "templates" / "css").mkdir(parents=True)
    (tmp_path / "templates" / "css" / "email.css").write_text("h1 { color: red; }\n")
    document = render(path, "email")
    own = (tmp_path / "templates" / "css" / "email.css").resolve().as_uri()
    assert f'<link rel="stylesheet" href="{own}">' in document
    assert re.search(r'<link rel="stylesheet" href="file://[^"]*/templates/css/brochure.css">', document)


@pytest.mark.parametrize("expression", ["{{ no_such_variable }}", "{{ clinic.fax }}"])
def test_undefined_variable_in_own_template_is_an_error(tmp_path, expression):
    """StrictUndefined: a typo in a template raises, never a silent blank; in the clinic's own
    template, the build reports it at the template's file and line."""
    from brochure import content
    from brochure.build import build_file
    from brochure.errors import ContentError
    from brochure.render import html

    path = make_content(tmp_path)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "handout.html").write_text(
        '{% extends "bundled/handout.html" %}{% block contact %}' + expression + "{% endblock %}")
    brochure = content.load(path)
    for output in html.outputs(brochure):
        with pytest.raises(jinja2.UndefinedError):
            html.render(brochure, output, tmp_path, STAMP)
    with pytest.raises(ContentError) as raised:
        build_file(path, tmp_path / "out")
    name = expression.strip("{} ").split(".")[-1]
    assert [str(p) for p in raised.value.problems] == [f"templates/handout.html:1: template error: "
                                                       f"{raised.value.problems[0].message.split(': ', 1)[1]}"]
    assert name in raised.value.problems[0].message
    assert not (tmp_path / "out").exists()
