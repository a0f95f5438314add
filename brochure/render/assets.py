"""Assets: where the bundled templates, stylesheets and fonts are.

Apart from ``html`` so that the manifest and watch can name them without importing Jinja.
"""

from __future__ import annotations

from pathlib import Path

# Inside the installed package (the wheel maps the repository's top-level templates/
# there), else beside the package in a source checkout.
_PACKAGE = Path(__file__).resolve().parent.parent
BUNDLED = next((p for p in (_PACKAGE / "templates", _PACKAGE.parent / "templates") if p.is_dir()),
               _PACKAGE.parent / "templates")
