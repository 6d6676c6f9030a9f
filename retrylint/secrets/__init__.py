"""Secrets in job payloads and logs (RL501, RL502, RL503).

- ``names``: the secret-name heuristics (words, word sequences, benign modifiers), read from the
  knowledge pack ``rules/secret_names.yaml`` and the user's ``extra-secret-names`` packs
  (``packs``).
- ``values``: which secret names an expression carries into a call (an argument named
  ``password``, a dict built with ``"Authorization"``, a local bound to ``settings.API_KEY``).
- ``sinks``: which calls write to a log, to stdout or into an exception message;
  ``exceptions``: which arguments of a project exception class reach its message.
- ``scan``: the per-file pass the three rules share (computed once per file).
- ``masking``: secret literals in retrylint's own output are never shown in full.
"""
