"""What the retry-library adapters (tenacity, backoff, stamina, retrying) share.

- ``options``: binding a call's arguments to parameter names with their spans, and provenance;
  reading single values (a library's own names, attempt counts, seconds, exception classes);
- ``delays``: the ``Delay`` of a constant or growing wait, and of several waits combined;
- ``jobs``: finding retry decorators and ``for`` loops over a retry object, and building jobs.

Not an adapter: none of them is listed in ``ADAPTERS``; each library's adapter imports them.
"""
