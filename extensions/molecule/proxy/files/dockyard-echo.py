#!/usr/bin/python3
"""A tiny HTTP backend for the proxy scenario: answers every request with JSON naming
itself and echoing the request headers, so the tests see what nginx forwarded and which
backend answered. Standard library only. Usage: dockyard-echo.py PORT"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
NAME = f"backend-{PORT}"


class Echo(BaseHTTPRequestHandler):
    # HTTP/1.1 so nginx can keep its upstream connections alive.
    protocol_version = "HTTP/1.1"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = json.dumps({
            "backend": NAME,
            "method": self.command,
            "path": self.path,
            "version": self.request_version,
            "headers": {k.lower(): v for k, v in self.headers.items()},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("0.0.0.0", PORT), Echo).serve_forever()
