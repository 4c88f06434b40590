"""A stand-in for a Django app image: `run` serves HTTP on port 8000 (/healthz answers 200,
/ answers with the DOCKYARD_APP of the env file); `worker` and `beat` just wait. Every verb
exits promptly on SIGTERM, as gunicorn and Celery do on a graceful stop."""

import http.server
import os
import signal
import sys


def stop(signum, frame):
    sys.exit(0)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok\n" if self.path == "/healthz" else (os.environ.get("DOCKYARD_APP", "") + "\n").encode()
        self.send_response(200)
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
