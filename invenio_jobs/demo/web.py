# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The demo's web server: the combined app on Werkzeug's threaded server.

Good for a demo on one machine; an instance serves the same app with uWSGI
or Gunicorn. The home page is plain HTML that points to the admin UI, the
REST API and the CLI.
"""

import argparse

from flask import Blueprint
from werkzeug.serving import run_simple

from .app import create_demo_app

HOME = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>invenio-jobs demo</title></head>
<body style="font-family: sans-serif; max-width: 46em; margin: 2em auto">
<h1>invenio-jobs demo</h1>
<p>Web app, Celery worker and beat are running.</p>
<ul>
<li>REST API: <a href="/api/jobs">/api/jobs</a>, <a href="/api/tasks">/api/tasks</a>
(log in first: <code>POST /api/login</code> with <code>email</code> and
<code>password</code> as a form; writes then send the <code>csrftoken</code>
cookie's value in an <code>X-CSRFToken</code> header).</li>
<li>CLI: <code>./run-demo.sh invenio jobs list</code>,
<code>./run-demo.sh invenio jobs run "Update affiliations" --wait</code>.</li>
<li>Admin UI: <a href="/administration/jobs">/administration/jobs</a>
(<a href="/login/">log in</a> as the administrator the launcher printed).</li>
</ul>
</body></html>
"""


def home_blueprint() -> Blueprint:
    """The demo's home page, in plain HTML."""
    blueprint = Blueprint("invenio_jobs_demo", __name__)
    blueprint.add_url_rule("/", "home", lambda: HOME)
    return blueprint


def main(argv=None):
    """Serve the UI and the API until stopped."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    app = create_demo_app()
    app.register_blueprint(home_blueprint())
    run_simple(
        args.host,
        args.port,
        app,
        threaded=True,
        use_reloader=False,
        use_debugger=False,
    )


if __name__ == "__main__":
    main()
