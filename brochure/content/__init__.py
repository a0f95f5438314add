"""Content stage: ``content.yaml`` to validated ``Brochure`` objects, every mistake located.

``source`` reads the YAML keeping each key's line; ``model`` is the typed content (``named``: the
files it names, checked from bytes read once);
``messages`` words validation errors; ``load`` ties them together; ``variants`` expands a
file into one brochure per location.
"""

from .load import load, load_with_source, validate
from .model import (
           Brochure,
           Checks,
           Clinic,
           FontFamily,
           Image,
           Section,
           Theme,
           json_schema,
)
from .named import IMAGE_TYPES
from .source import Path_, Source, dotted, read_source
from .variants import variants

__all__ = ["IMAGE_TYPES", "Brochure", "Checks", "Clinic", "FontFamily", "Image", "Path_", "Section", "Source",
           "Theme", "dotted", "json_schema", "load", "load_with_source", "read_source", "validate", "variants"]
