# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Settings of a plain instance on loopback HTTP: the demo's and the UI tests'.

Importing this module has no side effect (``app`` registers SQLite hooks for
the demo's processes), so the browser tests can share these settings.
"""

_SESSIONS = None


def shared_session_store(app):
    """One in-memory session store for the UI and the API app of this process.

    Without a Redis URL, invenio-accounts gives each app a store of its own,
    so the API would not know the session of a user logged in on the UI,
    and the admin pages' API calls would be refused.
    """
    global _SESSIONS
    if _SESSIONS is None:
        from simplekv.memory import DictStore

        _SESSIONS = DictStore()
    return _SESSIONS


def secure_headers() -> dict:
    """Talisman's settings for plain HTTP on loopback.

    The content security policy lets the built scripts and styles of the
    site run, and the theme's fonts and images load from ``data:`` URLs.
    """
    return {
        "force_https": False,
        "force_https_permanent": False,
        "force_file_save": False,
        "frame_options": "sameorigin",
        "frame_options_allow_from": None,
        "strict_transport_security": False,
        "content_security_policy": {
            "default-src": ["'self'", "'unsafe-inline'"],
            "font-src": ["'self'", "data:"],
            "img-src": ["'self'", "data:"],
            "object-src": ["'none'"],
        },
        "content_security_policy_report_uri": None,
        "content_security_policy_report_only": False,
        "session_cookie_secure": False,
        "session_cookie_http_only": True,
    }
