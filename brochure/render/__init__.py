"""Render stage: a ``Brochure`` to PDF bytes.

``paper`` holds the geometry; ``markup`` turns Markdown bodies into safe HTML; ``html``
renders the Jinja templates, one document per output; ``pdf`` runs WeasyPrint (PDF/X-4
for print, tagged PDF/UA-1 for email); ``trifold`` imposes the six panel pages on a sheet.
"""
