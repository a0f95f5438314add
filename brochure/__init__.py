"""brochure: patient-education handouts from YAML, ready to print and to email.

The pipeline, one module per stage::

    content.yaml --source--> data + line numbers --content--> Brochure
                 --html--> HTML (Jinja, one per output) --pdf--> print PDF + email PDF

``build`` runs it for one file; ``cli`` is the thin command line over it.
"""

__version__ = "0.2.0"
