"""Who must take which check, by when, and where each person stands.

`status` holds the pure rules; `requirements` keeps Requirement rows in step with
assignments and people, inside the caller's transaction; `tally` keeps the status
counts the dashboards read in step with both.
"""
