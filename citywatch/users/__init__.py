"""People who use citywatch: how their passwords are hashed and checked, and their session tokens.

Nothing here touches the database: `citywatch.storage.users` keeps the encoded hashes and token
digests this package produces, so a stolen database reveals neither passwords nor live sessions.
"""
