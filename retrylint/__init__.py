"""retrylint: static auditing and linting for background-job code.

Kept import-free on purpose: `retrylint --version` and `retrylint.guard` must not pull in libcst.
"""

__version__ = "0.1.0"
