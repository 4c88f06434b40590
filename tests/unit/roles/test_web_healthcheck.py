"""The django_app role's web health check (roles/django_app/files/web_healthcheck.py), run as
Compose runs it (python3 -c <file> HOST PROTO PATH TIMEOUT) against a local HTTP server that
answers like Django behind a TLS front."""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

CHECK = (Path(__file__).resolve().parents[3] / "roles" / "django_app" / "files" / "web_healthcheck.py").read_text()


class Django(http.server.BaseHTTPRequestHandler):
    """ALLOWED_HOSTS = [shop.lab]; SECURE_SSL_REDIRECT with SECURE_PROXY_SSL_HEADER; /login
    redirects to a relative URL; /boom fails."""

    def do_GET(self) -> None:
        if self.headers["Host"] != "shop.lab":
            self.reply(400)
        elif self.headers.get("X-Forwarded-Proto") != "https":
            self.reply(301, {"Location": f"https://shop.lab{self.path}"})
        elif self.path == "/login":
            self.reply(302, {"Location": "/accounts/login/?next=/login"})
        elif self.path == "/boom":
            self.reply(500)
        else:
            self.reply(200)

    def reply(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Django)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def check(port: int, host: str, proto: str, path: str) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-c", CHECK, host, proto, path, "4", str(port)],
                          capture_output=True, text=True, timeout=30, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def test_healthy_when_asked_as_the_front_asks(port: int) -> None:
    assert check(port, "shop.lab", "https", "/healthz") == (0, "", "")


@pytest.mark.parametrize("host, proto, path, line", [
    ("shop.lab", "http", "/healthz", "health path answered 301 to https://shop.lab/healthz: GET /healthz (Host "
     "shop.lab, X-Forwarded-Proto http); the app insists on HTTPS, but the front serves it over plain HTTP"),
    ("shop.lab", "https", "/login", "health path answered 302 to /accounts/login/?next=/login: GET /login (Host "
     "shop.lab, X-Forwarded-Proto https); a health path must answer 2xx itself, without a redirect"),
    ("other.lab", "https", "/healthz", "health path answered 400: GET /healthz (Host other.lab, X-Forwarded-Proto "
     "https); is other.lab in ALLOWED_HOSTS?"),
    ("shop.lab", "https", "/boom", "health path answered 500 Internal Server Error: GET /boom (Host shop.lab, "
     "X-Forwarded-Proto https)"),
])
def test_a_failure_is_one_plain_line(port: int, host: str, proto: str, path: str, line: str) -> None:
    assert check(port, host, proto, path) == (1, line + "\n", "")


def test_an_app_that_does_not_trust_the_front_is_named(port: int) -> None:
    """Behind TLS the check sends https; an app redirecting anyway ignores the proxy SSL header."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Always", (Django,), {
        "do_GET": lambda self: self.reply(301, {"Location": f"https://shop.lab{self.path}"})}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        rc, out, _err = check(server.server_address[1], "shop.lab", "https", "/healthz")
    finally:
        server.shutdown()
    assert rc == 1 and out.endswith("the app does not trust the front's X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER)\n")


def test_nothing_listening_is_one_plain_line() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    rc, out, err = check(free, "shop.lab", "https", "/healthz")
    assert rc == 1 and err == "" and out.count("\n") == 1
    assert out.startswith("health path unreachable: GET /healthz (Host shop.lab, X-Forwarded-Proto https): ConnectionRefusedError")
