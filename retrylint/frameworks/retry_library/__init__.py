"""What the retry-library adapters (tenacity, backoff, stamina, retrying) share.

- ``options``: binding a call's arguments to parameter names with their spans, and provenance;
  reading single values (a library's own names, attempt counts, seconds, exception classes);
- ``delays``: the ``Delay`` of a constant or growing wait, and of several waits combined;
- ``jobs``: finding retry decorators, ``for`` loops over a retry object and decorators applied
  as calls, stacking retries, and building jobs; ``Library``, what each adapter says of itself;
- ``shared``: policies a project defines once and applies across modules (a shared decorator,
  a factory returning one). An adapter of its own (``ADAPTERS`` lists
  ``retry_library.shared``): the modules using such a policy need not import the library.

The others are not adapters; each library's adapter imports them.
"""
