"""A stand-in for a Django app image: `run` serves HTTP on port 8000 (/healthz answers 200,
/ answers with the DOCKYARD_APP of the env file); `worker` and `beat` just wait. Every verb
exits promptly on SIGTERM, as gunicorn and Celery do on a graceful stop.

Like Django behind a TLS front, with PROBE_ALLOWED_HOSTS (comma-separated) a request for
another Host answers 400, and with PROBE_SSL_REDIRECT=1 a request whose X-Forwarded-Proto is
not https answers 301 to the https URL (SECURE_SSL_REDIRECT with SECURE_PROXY_SSL_HEADER)."""

import http.server
import os
import signal
import sys


def stop(signum, frame):
    sys.exit(0)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0]
        allowed = [name for name in os.environ.get("PROBE_ALLOWED_HOSTS", "").split(",") if name]
        if allowed and host not in allowed:
            return self.answer(400, b"Bad Request\n")
        if os.environ.get("PROBE_SSL_REDIRECT") == "1" and self.headers.get("X-Forwarded-Proto") != "https":
            return self.answer(301, b"", {"Location": f"https://{host}{self.path}"})
        body = b"ok\n" if self.path == "/healthz" else (os.environ.get("DOCKYARD_APP", "") + "\n").encode()
        self.answer(200, body)

    def answer(self, status, body, headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def main(verb):
    signal.signal(signal.SIGTERM, stop)
    if verb == "run":
        http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
    elif verb in ("worker", "beat"):
        while True:
            signal.pause()
    else:
        sys.exit(f"unknown verb: {verb}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "run")
