"""/healthz and /version, answered before anything can call request.get_host().

Load balancers and deploy scripts probe by IP or with their own Host header; such a probe
must not be refused (400) by ALLOWED_HOSTS, redirected by SECURE_SSL_REDIRECT or touch the
session. So this middleware sits first and short-circuits the two paths.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from demo import health


def _json(data: dict[str, object], status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status)
    response["Cache-Control"] = "no-store"
    return response


def version_payload() -> dict[str, object]:
    return {
        "release": settings.DOCKYARD_RELEASE,
        "host": settings.DOCKYARD_HOST,
        "hostname": settings.CONTAINER_HOSTNAME,
        "pid": os.getpid(),
    }


def healthz() -> JsonResponse:
    checks = health.run_checks()
    failed = sorted(name for name, result in checks.items() if result != "ok")
    payload: dict[str, object] = {"status": "fail" if failed else "ok", "checks": checks,
                                  "release": settings.DOCKYARD_RELEASE, "host": settings.DOCKYARD_HOST}
    if failed:
        payload["failed"] = failed
    return _json(payload, status=503 if failed else 200)


class HealthMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info.rstrip("/")
        if path == "/healthz":
            return healthz()
        if path == "/version":
            return _json(version_payload())
        return self.get_response(request)
