"""Host health (psutil locally, /proc over SSH remotely) and the per-host SSH connection.

No Textual here: updates leave as frozen dataclasses through a `publish` callback.
"""
