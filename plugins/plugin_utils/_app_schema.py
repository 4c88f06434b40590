# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one schema of an app entry (an item of ``dockyard_apps``), and its checker.

Every key an app entry takes is declared here, once: its type, whether it is required, what it
means, and whether its value is secret. ``docs/APPS.md`` documents the same keys (a unit test
keeps the two in step); ``playbooks/site.yml`` and the deploy's pre-flight refuse an entry with
an unknown, misspelt or ill-typed key before anything changes.

Messages name keys and what is allowed; they never quote the value of a secret key (database
password, env values, TLS keys).

Private to this collection (the leading underscore): no compatibility promise.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable

from ansible_collections.dockyard.django.plugins.module_utils._validation import (
    APP_RE,
    REPOSITORY_RE,
    ValidationError,
    cpu_nanos,
    memory_bytes,
)

ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
PATH_RE = re.compile(r"^/[A-Za-z0-9._~/%?=&+-]*$")
SIZE_RE = re.compile(r"^[0-9]+[kKmMgG]?$")
SERVER_NAME_RE = re.compile(r"^[^\s;{}]+$")
# A directory on a host or in a container: absolute, plain components (it also goes into a
# Compose volume string and an nginx alias), no . or .. component.
DIR_RE = re.compile(r"^(/[A-Za-z0-9_-][A-Za-z0-9._-]*)+/?$")
URL_PREFIX_RE = re.compile(r"^/([A-Za-z0-9._~-]+/)+$")
IMAGE_PATH_RE = re.compile(r"^/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$")
PORT_MIN, PORT_MAX = 1024, 65534

# Keys of earlier releases, and what they are called now.
RENAMED = {
    "manage": "manage_prefix",
    "oneshot": "manage_once",
    "per_host": "manage_per_host",
    "extra_volumes": "volumes",
    "per_host_volumes": "volumes",
}


@dataclass(frozen=True)
class Key:
    """One key of an app entry."""

    kind: str  # how the value is checked: see CHECKS
    description: str
    required: bool = False
    secret: bool = False


SCHEMA: dict[str, Key] = {
    "name": Key("app_name", "The app's name: [a-z][a-z0-9_-]{0,31}; its inventory groups are <name>, "
                "<name>_web, <name>_worker and <name>_beat, with '-' written '_'.", required=True),
    "image": Key("repository", "The image repository without a tag, e.g. registry.example.com/shop.",
                 required=True),
    "port": Key("port", f"The web port on the app's hosts ({PORT_MIN}-{PORT_MAX}); the app also "
                "reserves port + 1, for the second web slot of a rolling switch.", required=True),
    "server_names": Key("server_names", "The names the nginx front serves the app under (default: [name]); "
                        "the web health check sends the first plain one as Host, so it must be in ALLOWED_HOSTS."),
    "env": Key("env", "The app's environment, {KEY: value}, written to /etc/default/<name> "
               "(values are secret: use vault).", secret=True),
    "database": Key("database", "{name, user, password}: the app's PostgreSQL database and login role "
                    "on the postgres_servers host; the app gets DATABASE_URL.", secret=True),
    "redis_db": Key("redis_db", "The Redis database number (0-15) of the app's Celery broker URL "
                    "(default: the app's position in the list)."),
    "user": Key("user", "The system user that owns the app's files (default: the name)."),
    "uid": Key("id", "A fixed uid for that user; when set, the containers run as uid:gid."),
    "gid": Key("id", "A fixed gid for the user's group (default: uid)."),
    "web_command": Key("argv", "The command of the web service (default: [run])."),
    "worker_command": Key("argv", "The command of the Celery worker service (default: [worker])."),
    "beat_command": Key("argv", "The command of the Celery beat service (default: [beat])."),
    "healthcheck_path": Key("path", "The path the web health check requests (default: /healthz)."),
    "image_healthcheck": Key("bool", "The image's HEALTHCHECK fits worker and beat: the deploy waits "
                             "for them to be healthy (default: false)."),
    "graceful_timeout": Key("positive_int", "Seconds gunicorn gives requests in flight when the web "
                            "service stops (default: django_app_graceful_timeout)."),
    "volumes": Key("volumes", "Compose volume strings mounted into every service and every manage "
                   "command's container, e.g. [/srv/shop/cache:/app/cache]."),
    "media_dir": Key("dir", "Host directory of the app's uploaded media, mounted at media_root into every "
                     "service and every manage command's container and served by the front at media_url; "
                     "the same storage on every host of the app and on the front (one machine, or a "
                     "shared mount such as NFS). Needs uid, which owns it."),
    "media_root": Key("dir", "Where the containers see media_dir: the app's MEDIA_ROOT (default: /app/media)."),
    "media_url": Key("url_prefix", "The URL path the front serves media_dir at: the app's MEDIA_URL "
                     "(default: /media/)."),
    "manage_prefix": Key("argv", "What runs manage.py in the image (default: [python, manage.py])."),
    "manage_once": Key("argv_list", "manage.py commands run once per deploy, on the first web host, "
                       "before any host switches (default: [[migrate, --noinput]])."),
    "manage_per_host": Key("argv_list", "manage.py commands run on every web host before it switches "
                           "(default: none)."),
    "static_front": Key("bool", "The front serves the app's static files itself, from the releases it may "
                        "still route to, so pages stay whole during a rolling deploy (default: true); false: "
                        "the app serves them (e.g. behind a CDN)."),
    "static_url": Key("url_prefix", "The URL prefix of the app's static files, its STATIC_URL (default: "
                      "/static/)."),
    "static_root": Key("image_path", "The directory of the collected static files in the image (default: the "
                       "app's STATIC_ROOT, read from the release's settings)."),
    "maintenance_allow": Key("addresses", "Client addresses or CIDR networks that reach the app while it is in "
                             "maintenance (playbooks/maintenance.yml, restore.yml), e.g. "
                             "[10.0.0.5, 192.168.1.0/24] (default: none)."),
    "maintenance_page": Key("text", "Controller path of the HTML page the front shows while the app is in "
                            "maintenance (default: the proxy role's page)."),
    "client_max_body_size": Key("size", "The largest request body the front accepts, e.g. 10m "
                                "(default: proxy_client_max_body_size)."),
    "tls_certificate": Key("text", "PEM certificate chain the front serves for server_names.", secret=True),
    "tls_certificate_key": Key("text", "PEM private key of tls_certificate. With a key the front serves "
                               "HTTPS (and redirects HTTP), and the web health check sends X-Forwarded-Proto "
                               "https, as the front does.", secret=True),
    "tls_certificate_src": Key("text", "Controller path of the PEM certificate chain (instead of "
                               "tls_certificate)."),
    "tls_certificate_key_src": Key("text", "Controller path of the PEM private key (instead of "
                                   "tls_certificate_key)."),
    "acme": Key("bool", "The front gets and renews a certificate for every server name from the ACME CA "
                "(proxy_acme_directory, Let's Encrypt by default; HTTP-01) instead of tls_certificate: "
                "the app is served over HTTPS, as with a key (default: false)."),
    "tls_redirect": Key("bool", "With HTTPS, plain HTTP answers 301 to https:// (default: proxy_tls_redirect, "
                        "true)."),
    "hsts": Key("bool", "With HTTPS, the front sends Strict-Transport-Security: browsers then refuse plain "
                "HTTP for the name for proxy_tls_hsts_max_age seconds (default: proxy_tls_hsts, false)."),
    "limits": Key("limits", "Memory and CPU limits of the app's containers: {memory: 512m, cpus: 1.5} for every "
                  "one (web, worker, beat, and the one-shot containers of manage commands), and under web, "
                  "worker, beat or manage the values of that kind of container, over the app's, e.g. "
                  "{memory: 512m, worker: {memory: 1g, cpus: 2}}. Docker stops a container that needs more "
                  "memory (out of memory) and holds it to its CPUs (default: no limit)."),
}

DATABASE_KEYS = ("name", "user", "password")
IDENTIFIER_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _as_int(value: Any) -> int | None:
    """An int, or a string of digits (inventories written as INI give strings)."""
    if _is_int(value):
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _is_str_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str) and all(isinstance(v, str) for v in value)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_app_name(value: Any) -> str | None:
    if isinstance(value, str) and APP_RE.match(value):
        return None
    return f"must match [a-z][a-z0-9_-]{{0,31}}, got {_shown(value)}"


def _check_repository(value: Any) -> str | None:
    if isinstance(value, str) and REPOSITORY_RE.match(value) and len(value) <= 255:
        return None
    return f"must be an image repository without a tag or digest, got {_shown(value)}"


def _check_port(value: Any) -> str | None:
    port = _as_int(value)
    if port is not None and PORT_MIN <= port <= PORT_MAX:
        return None
    return f"must be a port in {PORT_MIN}-{PORT_MAX} (the app also reserves port + 1), got {_shown(value)}"


def _check_server_names(value: Any) -> str | None:
    if _is_str_list(value) and value and all(SERVER_NAME_RE.match(name) for name in value):
        return None
    return "must be a non-empty list of names without spaces or ; { } characters"


def _check_env(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return "must be a mapping of KEY: value"
    bad = sorted(str(key) for key in value if not isinstance(key, str) or not ENV_KEY_RE.match(key))
    if bad:
        return f"keys must match {ENV_KEY_RE.pattern}: {', '.join(bad)}"
    # Only key names ever reach a message: the values are secrets.
    not_scalar = sorted(key for key, item in value.items() if isinstance(item, (Mapping, list, tuple)) or item is None)
    if not_scalar:
        return f"values must be strings, numbers or booleans: {', '.join(not_scalar)}"
    multiline = sorted(key for key, item in value.items() if re.search(r"[\r\n\x00]", str(item)))
    if multiline:
        return f"values must be one line: {', '.join(multiline)}"
    return None


def _check_database(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return "must be a mapping with name, user and password"
    unknown = sorted(set(map(str, value)) - set(DATABASE_KEYS))
    missing = [key for key in DATABASE_KEYS if key not in value]
    if unknown or missing:
        parts = ([f"unknown key(s) {', '.join(unknown)}"] if unknown else []) + (
            [f"missing {', '.join(missing)}"] if missing else [])
        return f"takes exactly name, user and password: {'; '.join(parts)}"
    for key in ("name", "user"):
        if not isinstance(value[key], str) or not IDENTIFIER_RE.match(value[key]):
            return f"{key} must match {IDENTIFIER_RE.pattern}, got {_shown(value[key])}"
    if not isinstance(value["password"], str) or not value["password"]:
        return "password must be a non-empty string"
    return None


def _check_redis_db(value: Any) -> str | None:
    number = _as_int(value)
    return None if number is not None and 0 <= number <= 15 else f"must be 0-15, got {_shown(value)}"


def _check_user(value: Any) -> str | None:
    return None if isinstance(value, str) and USER_RE.match(value) else f"must match {USER_RE.pattern}, got {_shown(value)}"


def _check_id(value: Any) -> str | None:
    number = _as_int(value)
    return None if number is not None and 0 < number < 2**31 else f"must be a positive integer, got {_shown(value)}"


def _check_argv(value: Any) -> str | None:
    if _is_str_list(value) and value:
        return None
    return f"must be a non-empty list of strings (an argv), got {_shown(value)}"


def _check_argv_list(value: Any) -> str | None:
    if isinstance(value, Sequence) and not isinstance(value, str) and all(
            _is_str_list(argv) and argv for argv in value):
        return None
    return f"must be a list of argv lists, e.g. [[migrate, --noinput]], got {_shown(value)}"


def _check_path(value: Any) -> str | None:
    return None if isinstance(value, str) and PATH_RE.match(value) else f"must be a URL path matching {PATH_RE.pattern}, got {_shown(value)}"


def _check_url_prefix(value: Any) -> str | None:
    if isinstance(value, str) and URL_PREFIX_RE.match(value):
        return None
    return f"must be a URL path starting and ending with /, like /static/ or /media/, got {_shown(value)}"


def _check_image_path(value: Any) -> str | None:
    if isinstance(value, str) and IMAGE_PATH_RE.match(value) and "/../" not in value + "/":
        return None
    return f"must be an absolute directory inside the image, like /app/staticfiles, got {_shown(value)}"


def _check_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, got {_shown(value)}"


def _check_positive_int(value: Any) -> str | None:
    number = _as_int(value)
    return None if number is not None and number > 0 else f"must be a positive integer, got {_shown(value)}"


def _check_volumes(value: Any) -> str | None:
    if _is_str_list(value) and all(":" in volume and "\n" not in volume for volume in value):
        return None
    return "must be a list of Compose volume strings, source:target[:mode]"


def _check_dir(value: Any) -> str | None:
    if isinstance(value, str) and DIR_RE.match(value) and not re.search(r"(^|/)[.]{1,2}(/|$)", value):
        return None
    return f"must be an absolute path of letters, digits and . _ - (no . or .. component), got {_shown(value)}"


def _check_size(value: Any) -> str | None:
    return None if isinstance(value, str) and SIZE_RE.match(value) else f"must be a size such as 10m, got {_shown(value)}"


def _check_addresses(value: Any) -> str | None:
    if _is_str_list(value):
        try:
            for item in value:
                ipaddress.ip_network(item, strict=False)
            return None
        except ValueError:
            pass
    return f"must be a list of IP addresses or CIDR networks, e.g. [10.0.0.5, 192.168.1.0/24], got {_shown(value)}"


LIMIT_KEYS = ("memory", "cpus")
LIMIT_SERVICES = ("web", "worker", "beat", "manage")


def _limit_problem(value: Mapping[str, Any], allowed: Sequence[str], where: str) -> str | None:
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        owner = f"{where.rstrip('.')} " if where else ""
        return f"{owner}takes {', '.join(allowed)}; unknown: {', '.join(unknown)}"
    try:
        if value.get("memory") is not None:
            memory_bytes(value["memory"], f"{where}memory")
        if value.get("cpus") is not None:
            cpu_nanos(value["cpus"], f"{where}cpus")
    except ValidationError as exc:
        return str(exc)
    return None


def check_limits(value: Any) -> str | None:
    """What is wrong with an app's ``limits`` (None when nothing is)."""
    if not isinstance(value, Mapping):
        return "must be a mapping such as {memory: 512m, cpus: 1.5, worker: {memory: 1g}}"
    problem = _limit_problem(value, LIMIT_KEYS + LIMIT_SERVICES, "")
    if problem:
        return problem
    for service in LIMIT_SERVICES:
        if value.get(service) is not None:
            if not isinstance(value[service], Mapping):
                return f"{service} must be a mapping such as {{memory: 1g, cpus: 2}}"
            problem = _limit_problem(value[service], LIMIT_KEYS, f"{service}.")
            if problem:
                return problem
    return None


def limits_for(entry: Mapping[str, Any], service: str) -> dict[str, Any]:
    """The memory and CPU limits of one kind of container of a checked app entry (web, worker,
    beat, manage): the service's own over the app's; only the keys that are set."""
    limits = entry.get("limits") or {}
    own = limits.get(service) or {}
    # None stands for "not set" (what a role's argument spec fills in for an absent option).
    return {key: own[key] if own.get(key) is not None else limits[key]
            for key in LIMIT_KEYS if own.get(key) is not None or limits.get(key) is not None}


def _check_text(value: Any) -> str | None:
    return None if isinstance(value, str) and value else "must be a non-empty string"


CHECKS: dict[str, Callable[[Any], str | None]] = {
    "app_name": _check_app_name,
    "repository": _check_repository,
    "port": _check_port,
    "server_names": _check_server_names,
    "env": _check_env,
    "database": _check_database,
    "redis_db": _check_redis_db,
    "user": _check_user,
    "id": _check_id,
    "argv": _check_argv,
    "argv_list": _check_argv_list,
    "path": _check_path,
    "url_prefix": _check_url_prefix,
    "image_path": _check_image_path,
    "bool": _check_bool,
    "positive_int": _check_positive_int,
    "volumes": _check_volumes,
    "dir": _check_dir,
    "size": _check_size,
    "text": _check_text,
    "addresses": _check_addresses,
    "limits": check_limits,
}


def _unknown_key_message(key: str) -> str:
    if key in RENAMED:
        return f"unknown key '{key}': it is called '{RENAMED[key]}' now"
    close = difflib.get_close_matches(key, SCHEMA, n=1, cutoff=0.7)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown key '{key}'{hint}"


def entry_problems(entry: Any) -> list[str]:
    """What is wrong with one app entry (empty when nothing is): one message per problem."""
    if not isinstance(entry, Mapping):
        return [f"must be a mapping of keys (see docs/APPS.md), got a {type(entry).__name__}"]
    problems: list[str] = []
    for key in entry:
        if key not in SCHEMA:
            problems.append(_unknown_key_message(str(key)))
    for key, spec in SCHEMA.items():
        if key not in entry:
            if spec.required:
                problems.append(f"missing required key '{key}'")
            continue
        problem = CHECKS[spec.kind](entry[key])
        if problem:
            problems.append(f"{key} {problem}")
    return problems


def public_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The entry without its secret keys: what may be carried in facts and shown in output."""
    return {key: value for key, value in entry.items() if not (key in SCHEMA and SCHEMA[key].secret)}


def apps_problems(apps: Any) -> list[str]:
    """What is wrong with the whole app list: every entry's problems, then duplicates.

    Each message starts with the entry it is about (its name, or its position when it has none).
    """
    if not isinstance(apps, Sequence) or isinstance(apps, str):
        return [f"dockyard_apps must be a list of app entries, got a {type(apps).__name__}"]
    problems: list[str] = []
    for index, entry in enumerate(apps):
        name = entry.get("name") if isinstance(entry, Mapping) else None
        label = f"dockyard_apps entry '{name}'" if isinstance(name, str) and name else f"dockyard_apps[{index}]"
        problems.extend(f"{label}: {problem}" for problem in entry_problems(entry))
    names = [entry.get("name") for entry in apps if isinstance(entry, Mapping) and isinstance(entry.get("name"), str)]
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name.replace("-", "_"), []).append(name)
    for same in groups.values():
        if len(same) > 1:
            problems.append(f"dockyard_apps: app names must be unique, also with '-' written '_' as in "
                            f"group names: {', '.join(same)}")
    return problems
