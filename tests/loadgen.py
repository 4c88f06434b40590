"""A bounded HTTP load generator: steady GETs through the nginx front, every outcome kept.

Used by the deploy tests and the benchmarks. It only ever talks to the lab's own load
balancer, and stops by itself after max_seconds or max_requests, whichever comes first.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field

import requests


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


def closed_keepalive(exc: requests.ConnectionError) -> bool:
    """Whether the server closed the connection under the request (not: refused a new one)."""
    text = repr(exc)
    return "Connection aborted" in text or "RemoteDisconnected" in text or "ConnectionResetError" in text


@dataclass
class LoadGenerator:
    url: str
    host_header: str
    workers: int = 4
    pause: float = 0.01
    max_seconds: float = 900.0
    max_requests: int = 200_000
    timeout: float = 10.0
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._deadline = 0.0

    def _worker(self) -> None:
        session = requests.Session()
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            with self._lock:
                if len(self.outcomes) >= self.max_requests:
                    return
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
            with self._lock:
                self.outcomes.append(outcome)
            time.sleep(self.pause)

    def start(self) -> "LoadGenerator":
        self._deadline = time.monotonic() + self.max_seconds
        self._threads = [threading.Thread(target=self._worker, daemon=True) for _worker in range(self.workers)]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> "LoadGenerator":
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)
        return self

    def __enter__(self) -> "LoadGenerator":
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

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
