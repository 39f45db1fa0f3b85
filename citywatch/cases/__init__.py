"""Cases: the authority for everything face-related, where and when they may look, and who may act.

`policy` holds the authorization matrix (role x action, then the per-case rules) that every
service checks before it acts; `scope` decides whether a camera and a moment fall inside a case's
scope, and reads and writes scopes for the CLI and the store.
"""
