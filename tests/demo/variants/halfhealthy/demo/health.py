"""VARIANT halfhealthy: /healthz fails on the lab host web2 only (DOCKYARD_HOST), so a rolling
deploy switches web1, serves pages of this release there, then stops at web2 and rolls back.

The checks of the normal image otherwise (demo/health.py), unchanged.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import connections

BROKER_TIMEOUT = 2.0  # seconds; a health check must answer well within the LB's timeout
UNHEALTHY_ON = {"web2"}


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def check_database() -> str | None:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        connection.close_if_unusable_or_obsolete()
        return _describe(exc)
    return None


def check_broker() -> str | None:
    url = settings.CELERY_BROKER_URL
    try:
        if urlsplit(url).scheme in {"redis", "rediss"}:
            import redis

            client = redis.Redis.from_url(url, socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT)
            try:
                client.ping()
            finally:
                client.close()
        else:
            from kombu import Connection

            with Connection(url, connect_timeout=BROKER_TIMEOUT) as conn:
                conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
    except Exception as exc:
        return _describe(exc)
    return None


def run_checks() -> dict[str, str]:
    results: dict[str, str] = {}
    for name, check in (("database", check_database), ("broker", check_broker)):
        results[name] = check() or "ok"
    if settings.DOCKYARD_HOST in UNHEALTHY_ON:
        results["variant"] = f"halfhealthy image: /healthz fails on purpose on {settings.DOCKYARD_HOST}"
    return results
