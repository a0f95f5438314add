"""brochure: patient-education handouts from YAML, ready to print and to email.

The pipeline, one subpackage per stage, orchestrated by the top level::

    content.yaml --content--> Brochure (+ line of every key, one per variant)
                 --render---> HTML (Jinja) --> print PDF (PDF/X-4, tri-fold imposed)
                                           --> email PDF (tagged PDF/UA-1)
                 --checks---> findings from the words and from both PDFs --> report

``build`` runs it for one brochure, ``runner`` for a batch (only what changed), ``watch``
and ``serve`` on every save; ``cli`` is the thin command line over them.

Stages (a stage imports only those above it in this list, and the leaves)::

    leaves   errors (Problem, ContentError) ; files (atomic writes, hashes) ; outputs (output kinds)
             discover (a file's project and root, its translations: without YAML)
             settings (Settings: one run's --out, --force, --jobs..., made once by cli, read below it)
    content  source -> model -> load -> variants, translations (translated: lock files) ;
             described.load_described (cached)
    render   html (Jinja) -> job (one PDF) -> pdf (WeasyPrint) -> trifold, marks, tagging
    checks   text, terms, reading ... -> review (content + PDFs) -> report
    top      build (one unit: plan, render, record, commit, review) -> runner (a batch; cluster
             and bundle only with --scheduler) -> watch, serve, proof, catalog, approval -> cli
             (starter: the files of ``new``)
             studio (the form beside the preview's pages: form, store, routes; read by serve)
             importer (brochure import: .docx, .md, .txt, .html -> a content file)

Registries (a new one is one record there)::

    output kinds   outputs.KINDS           print, email, office: template, options, links, tags, QR, CMYK, sheet, trim
    commands       cli.COMMANDS            build, check, watch, proof, serve (studio), import, translated, new, schema
    form fields    studio.form.FIELDS      the editor's controls: key, label, kind, hint
    finding kinds  checks.findings.KINDS   each check's kind and its title
    languages      checks.languages.KNOWN  word lists, patterns and advice per language
    papers, bleeds render.paper.SHEETS, BLEEDS
    content keys   content.model.Brochure  (content.schema.json is made from it: build.py schema --write)
    project keys   content.project.Project (brochure.schema.json: build.py schema --project --write)
"""

__version__ = "0.2.0"
