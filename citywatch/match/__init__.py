"""Watchlists, enrolment and exact 1:N matching against the active watchlists."""
