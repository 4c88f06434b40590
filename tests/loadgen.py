"""Bounded HTTP load through the nginx front, every outcome kept.

Two kinds of clients, used by the deploy tests and the benchmarks:

- LoadGenerator: steady GETs of one URL (e.g. /version) on keep-alive connections.
- PageViewGenerator: browsers on a first visit. Each page view loads the page, then every
  static file it links, each on a new connection; a page view is broken when the page or
  any of its files does not answer 200.

They only ever talk to the lab's own load balancer, and stop by themselves after
max_seconds or max_requests (page views), whichever comes first.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter


@dataclass
class Outcome:
    started: float  # time.monotonic(), for durations
    seconds: float
    status: int | None
    at: float = 0.0  # time.time(), to place the request on a timeline
    release: str | None = None
    host: str | None = None
    error: str | None = None
    # Sent again once because the server closed the reused keep-alive connection it went out on.
    retried: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200


def front_address(container: str = f"{os.environ.get('LAB_PREFIX', 'dockyard-lab')}-lb1") -> str:
    """The lab front's address on the lab network (what the load is sent to)."""
    return subprocess.run(["docker", "inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                           container], text=True, capture_output=True, check=True).stdout.strip()


class _NamedServerAdapter(HTTPAdapter):
    """HTTPS to an address under a name: SNI and certificate check use the name."""

    def __init__(self, server_name: str) -> None:
        self._server_name = server_name
        super().__init__()

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        kwargs["server_hostname"] = self._server_name
        kwargs["assert_hostname"] = self._server_name
        super().init_poolmanager(*args, **kwargs)


def named_session(server_name: str, verify: bool | str = True) -> requests.Session:
    """A session for https://<address>/... that talks to the server as `server_name`, as a
    client that resolved the name to that address would: SNI, certificate check (against
    `verify`: a CA bundle path, True for the system's, False for none) and Host header."""
    session = requests.Session()
    session.mount("https://", _NamedServerAdapter(server_name))
    session.verify = verify
    # Otherwise REQUESTS_CA_BUNDLE (set on some machines) overrides verify, and proxy
    # variables could send lab traffic elsewhere.
    session.trust_env = False
    session.headers["Host"] = server_name
    return session


def closed_keepalive(exc: requests.ConnectionError) -> bool:
    """Whether the server closed the connection under the request (not: refused a new one)."""
    text = repr(exc)
    return "Connection aborted" in text or "RemoteDisconnected" in text or "ConnectionResetError" in text


@dataclass
class _Bounded:
    """Client threads that repeat one action until stopped, max_seconds or max_requests."""

    url: str
    host_header: str
    workers: int = 4
    pause: float = 0.01
    max_seconds: float = 900.0
    max_requests: int = 200_000
    timeout: float = 10.0
    # For https:// URLs (an address): the CA bundle to verify the certificate issued for
    # host_header with, or False not to verify it. The TLS name is host_header.
    verify: bool | str = True
    outcomes: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._deadline = 0.0

    def _worker(self) -> None:
        state = self._client()
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            with self._lock:
                if len(self.outcomes) >= self.max_requests:
                    return
            outcome = self._one(state)
            with self._lock:
                self.outcomes.append(outcome)
            time.sleep(self.pause)

    def _client(self) -> Any:
        """What one client thread keeps between its requests."""
        return None

    def _one(self, state: Any) -> Any:
        raise NotImplementedError

    def start(self) -> "_Bounded":
        self._deadline = time.monotonic() + self.max_seconds
        self._threads = [threading.Thread(target=self._worker, daemon=True) for _worker in range(self.workers)]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> "_Bounded":
        self._stop.set()
        for thread in self._threads:
            # A page view is a page and its files: give it that many timeouts to end.
            thread.join(timeout=self.timeout * 4 + 5)
        return self

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def wait_for(self, count: int) -> None:
        """Block until `count` outcomes are in (or the load's own deadline passed)."""
        while len(self.outcomes) < count and time.monotonic() < self._deadline and not self._stop.is_set():
            time.sleep(0.05)


@dataclass
class LoadGenerator(_Bounded):
    """Steady GETs of one JSON URL (/version) on one keep-alive connection per client."""

    def _client(self) -> requests.Session:
        return named_session(self.host_header, self.verify)

    def _one(self, state: requests.Session) -> Outcome:
        session = state
        started = time.monotonic()
        outcome = Outcome(started=started, seconds=0.0, status=None, at=time.time())
        try:
            try:
                response = session.get(self.url, headers={"Host": self.host_header}, timeout=self.timeout)
            except requests.ConnectionError as exc:
                if not closed_keepalive(exc):
                    raise
                # What browsers and HTTP clients do (RFC 9110, 9.2.2): an idempotent request
                # that went out on a keep-alive connection the server was closing (an old
                # nginx worker after a graceful reload) is sent again, once, on a new one.
                # A server that refuses connections still fails: that is not retried.
                outcome.retried = True
                response = session.get(self.url, headers={"Host": self.host_header}, timeout=self.timeout)
            outcome.status = response.status_code
            if response.status_code == 200:
                body = json.loads(response.text)
                outcome.release, outcome.host = body.get("release"), body.get("host")
        except (requests.RequestException, ValueError) as exc:
            outcome.error = type(exc).__name__
        outcome.seconds = time.monotonic() - started
        return outcome

    # Figures

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def releases(self) -> set[str | None]:
        return {o.release for o in self.outcomes if o.ok}

    def summary(self) -> dict[str, float | int]:
        latencies = sorted(o.seconds for o in self.outcomes) or [0.0]
        quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
        return {
            "sent": len(self.outcomes),
            "failed": len(self.failed),
            "retried": sum(1 for o in self.outcomes if o.retried),
            "p50_ms": round(quantiles[49] * 1000, 1),
            "p99_ms": round(quantiles[98] * 1000, 1),
        }

    def describe_failures(self, limit: int = 5) -> str:
        return "; ".join(f"status={o.status} error={o.error}" for o in self.failed[:limit])


# -- page views -----------------------------------------------------------------------------

# What a page links that a browser loads right away: stylesheets, scripts, images, icons.
_LINKED = re.compile(r"""<(?:link|script|img|source)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"'#?]+)""", re.I)
# The demo page names its release and host (examples/demo notes/index.html).
_RELEASE = re.compile(r'id="release">([^<]*)<')
_HOST = re.compile(r'id="host">([^<]*)<')


def linked_static(html: str, page_url: str, static_prefix: str = "/static/") -> list[str]:
    """The same-site paths under static_prefix the page links, in order, each once."""
    origin = urlsplit(page_url)
    paths: list[str] = []
    for link in _LINKED.findall(html):
        target = urlsplit(urljoin(page_url, link))
        if target.netloc == origin.netloc and target.path.startswith(static_prefix) and target.path not in paths:
            paths.append(target.path)
    return paths


@dataclass
class Asset:
    path: str
    status: int | None
    error: str | None = None
    # A response header of the answer, when asked for (PageViewGenerator.record_header).
    header: str | None = None


@dataclass
class PageView:
    started: float  # time.monotonic()
    seconds: float
    status: int | None  # the page's
    at: float = 0.0  # time.time()
    release: str | None = None
    host: str | None = None
    assets: list[Asset] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whole: the page and every file it links answered 200."""
        return self.status == 200 and all(a.status == 200 for a in self.assets)

    @property
    def why_broken(self) -> str | None:
        if self.status != 200:
            return f"page {self.status or self.error}"
        bad = next((a for a in self.assets if a.status != 200), None)
        return None if bad is None else f"asset {bad.status or bad.error}"


@dataclass
class PageViewGenerator(_Bounded):
    """Browsers on a first visit: the page, then each static file it links, every request
    on a new connection (no keep-alive, no cache), so each may reach another web host."""

    static_prefix: str = "/static/"
    # A response header to keep from each static file's answer (e.g. to see who served it).
    record_header: str | None = None
    max_requests: int = 50_000

    def _get(self, url: str) -> requests.Response:
        # A session of its own: a new connection (and TLS handshake) each time.
        with named_session(self.host_header, self.verify) as session:
            return session.get(url, headers={"Connection": "close"}, timeout=self.timeout)

    def _one(self, state: None) -> PageView:  # pylint: disable=unused-argument  # new connection each
        started = time.monotonic()
        view = PageView(started=started, seconds=0.0, status=None, at=time.time())
        try:
            page = self._get(self.url)
            view.status = page.status_code
            if page.status_code == 200:
                html = page.text
                found = _RELEASE.search(html), _HOST.search(html)
                view.release, view.host = (m.group(1).strip() if m else None for m in found)
                base = urljoin(self.url, "/")
                for path in linked_static(html, self.url, self.static_prefix):
                    asset = Asset(path=path, status=None)
                    try:
                        answer = self._get(urljoin(base, path))
                        asset.status = answer.status_code
                        if self.record_header:
                            asset.header = answer.headers.get(self.record_header)
                    except requests.RequestException as exc:
                        asset.error = type(exc).__name__
                    view.assets.append(asset)
        except requests.RequestException as exc:
            view.error = type(exc).__name__
        view.seconds = time.monotonic() - started
        return view

    # Figures

    @property
    def broken(self) -> list[PageView]:
        return [v for v in self.outcomes if not v.ok]

    def releases(self) -> set[str | None]:
        """Releases of the pages that came back (whole or not)."""
        return {v.release for v in self.outcomes if v.status == 200}

    def summary(self) -> dict[str, Any]:
        return {
            "views": len(self.outcomes),
            "broken": len(self.broken),
            "assets": sum(len(v.assets) for v in self.outcomes),
            "why_broken": dict(Counter(v.why_broken for v in self.broken)),
            "by_release": dict(Counter(v.release for v in self.outcomes if v.status == 200)),
            "broken_by_release": dict(Counter(v.release for v in self.broken)),
        }

    def describe_broken(self, limit: int = 5) -> str:
        return "; ".join(
            f"{v.release}@{v.host}: {v.why_broken} "
            + ",".join(f"{a.path}={a.status or a.error}" for a in v.assets if a.status != 200)
            for v in self.broken[:limit])
