"""Secrets in job payloads and logs (RL501, RL502, RL503).

- ``names``: the secret-name heuristics (words, word sequences, benign modifiers), read from the
  knowledge pack ``rules/secret_names.yaml`` and the user's ``extra-secret-names`` packs
  (``packs``).
"""
