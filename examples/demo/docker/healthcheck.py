"""The image's HEALTHCHECK: what "healthy" means depends on what PID 1 runs.

- gunicorn (verb `run`): GET http://127.0.0.1:8000/healthz answers 200;
- Celery worker or beat: the broker answers a Redis PING (they have no HTTP port);
- anything else (manage commands, shells): healthy while it runs.
Exit 0 healthy, 1 unhealthy (Docker's convention). Standard library only, except redis.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path

TIMEOUT = 4.0


def pid1_argv() -> list[str]:
    try:
        return [arg.decode(errors="replace") for arg in Path("/proc/1/cmdline").read_bytes().split(b"\0") if arg]
    except OSError:
        return []


def http_ok() -> bool:
    try:
        with urllib.request.urlopen("http://127.0.0.1:8000/healthz", timeout=TIMEOUT) as response:
            return response.status == 200
    except OSError as exc:  # HTTPError (503), URLError, timeouts
        print(f"/healthz: {exc}", file=sys.stderr)
        return False


def broker_ok() -> bool:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith(("redis://", "rediss://")):
        return True
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT).ping())
    except redis.RedisError as exc:
        print(f"broker: {exc}", file=sys.stderr)
        return False


def main() -> int:
    argv = pid1_argv()
    names = {Path(arg).name for arg in argv[:3]}
    if "gunicorn" in names:
        return 0 if http_ok() else 1
    if "celery" in names and ("worker" in argv or "beat" in argv):
        return 0 if broker_ok() else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
