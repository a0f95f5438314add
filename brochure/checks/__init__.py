"""Checks stage: what a patient-education reviewer would flag, as ``Finding`` lines.

``findings`` names every kind once; ``text`` reads the words as a reader meets them;
``reading``, ``terms`` and ``required`` judge them; ``pdfread`` reads the built PDFs (its
colours through ``inks``, its fonts through ``pdffonts``), which ``layout``, ``design`` and ``accessibility`` judge;
``review`` runs them all for one brochure, and ``report`` prints the result. The checks report; they never change the clinic's text.
"""
