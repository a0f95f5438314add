"""brochure: patient-education handouts from YAML, ready to print and to email.

The pipeline, one subpackage per stage, orchestrated by the top level::

    content.yaml --content--> Brochure (+ line of every key, one per variant)
                 --render---> HTML (Jinja) --> print PDF (PDF/X-4, tri-fold imposed)
                                           --> email PDF (tagged PDF/UA-1)
                 --checks---> findings from the words and from both PDFs --> report

``build`` runs it for one brochure, ``runner`` for a batch (only what changed), ``watch``
and ``serve`` on every save; ``cli`` is the thin command line over them.
"""

__version__ = "0.2.0"
