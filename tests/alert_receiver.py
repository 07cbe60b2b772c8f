# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A webhook receiver for the alerts' tests: a real HTTP server on a free port."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from invenio_jobs.worker.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER


class Receiver:
    """Records each POST and answers as told: ``answers`` in turn, then 200.

    ``"hang"`` as an answer keeps the request without answering for a few
    seconds (a receiver that times out).
    """

    def __init__(self, answers=()):
        """Start serving on 127.0.0.1, on a port of the system's choosing."""
        self.answers = list(answers)
        self.received = []
        self.answered = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.answers.pop(0) if receiver.answers else 200
                if status == "hang":
                    threading.Event().wait(3)
                    return
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if status < 300:
                    receiver.answered.append((dict(self.headers), body))

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, secret) -> list:
        """``(kind, event)`` of each POST answered 2xx, its signature checked."""
        found = []
        for headers, body in self.answered:
            assert signed_by(secret, headers, body)
            payload = json.loads(body)
            found.append((payload["kind"], payload["event"]))
        return found

    def close(self):
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


def signed_by(secret, headers, body) -> bool:
    """A receiver's check: HMAC-SHA256 of ``<timestamp>.<body>`` under ``secret``."""
    timestamp = headers[TIMESTAMP_HEADER]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(headers.get(SIGNATURE_HEADER, ""), f"sha256={expected}")
