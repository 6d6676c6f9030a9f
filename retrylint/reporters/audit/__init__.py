"""`retrylint audit`: one report that answers "are our background jobs safe?".

``model.build_audit`` reads a run (jobs, findings, reach) into an ``Audit``; ``render`` turns it
into a self-contained HTML page (inline SVG charts, no script, everything escaped), Markdown or
JSON; ``grading`` holds the grade formula the report prints; ``charts`` the chart geometry.
"""
