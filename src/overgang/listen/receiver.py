"""The webhook receiver: a small HTTP server that verifies each push (Standard Webhooks) and
hands it on, once per `webhook-id`.

One server may take several municipalities' pushes, each on its own path with its own secret
(the simulation does so). Verification uses the exact bytes received; a push that fails it is
answered 401 and never handed on. A `webhook-id` seen before is answered 200 at once (a resend
after a lost answer).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Pushed:
    """A verified push: the inbox message id, its sequence and kind, and the exact body."""

    message_id: str
    sequence: int
    kind: str
    body: bytes


@dataclass
class _Route:
    verifier: Webhook
    take: Callable[[Pushed], None]
    seen: set[str]
    duplicates: int = 0
    refused: int = 0


class WebhookReceiver:
    """Listens on host:port (0: any free port) until `close()`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._routes: dict[str, _Route] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, path: str, *, secret: str, take: Callable[[Pushed], None]) -> str:
        """Take verified pushes to `path` (e.g. "/0851"); returns the full URL."""
        with self._lock:
            self._routes[path] = _Route(verifier=Webhook(secret), take=take, seen=set())
        return self.base_url + path

    def counts(self, path: str) -> tuple[int, int]:
        """(duplicates, refused) on a path."""
        route = self._routes[path]
        return route.duplicates, route.refused

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _receive(self, path: str, headers: dict[str, str], body: bytes) -> int:
        route = self._routes.get(path)
        if route is None:
            return 404
        try:
            route.verifier.verify(body, headers)
            sequence = int(headers.get("overgang-sequence", ""))
        except (WebhookVerificationError, ValueError):
            with self._lock:
                route.refused += 1
            return 401
        message_id = headers["webhook-id"]
        with self._lock:
            if message_id in route.seen:
                route.duplicates += 1
                return 200
            route.seen.add(message_id)
        route.take(Pushed(message_id, sequence, headers.get("overgang-kind", ""), body))
        return 204

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver._receive(self.path, headers, body)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the listener prints its own line per message

        return Handler
