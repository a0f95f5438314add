"""Studio: the handout as a form beside its pages in the preview, saved back into the user's YAML.

``form`` reads a content file into the form's fields and writes them back round-trip;
``store`` writes only the served project's content files, atomically, with a history;
``routes`` are the server's save and restore requests, token and origin checked.
"""
