# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn the one list of apps (``dockyard_apps``) and the inventory into each role's
input: the django_app role's apps, the postgres role's databases, the proxy role's sites, and the
group names and addresses every playbook shares.

The playbooks hand these results to the roles as their ``<role>_*`` variables; no role reads
``dockyard_apps`` itself (docs/DESIGN.md). Each function is pure and unit-tested
(tests/unit/plugins/filter/test_apps.py); the schema of an app entry is
plugins/plugin_utils/_app_schema.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Callable
from urllib.parse import quote

from ansible.errors import AnsibleFilterError

from ansible_collections.dockyard.django.plugins.plugin_utils._app_schema import (LIMIT_SERVICES, apps_problems,
                                                                                  check_limits, limits_for,
                                                                                  public_entry)

SERVICES = ("web", "worker", "beat")
POSTGRES_PORT = 5432
REDIS_PORT = 6379
DEFAULT_STATIC_URL = "/static/"

# What each role takes from an app entry, beyond what the filters compute.
_DJANGO_APP_KEYS = ("user", "uid", "gid", "web_command", "worker_command", "beat_command", "healthcheck_path",
                    "image_healthcheck", "graceful_timeout", "volumes", "media_dir", "media_root", "limits")
_PROXY_SITE_KEYS = ("client_max_body_size", "tls_certificate", "tls_certificate_key", "tls_certificate_src",
                    "tls_certificate_key_src", "acme", "tls_redirect", "hsts", "media_dir", "media_url")

# Where the image contract (README, "Deploying your own app") puts MEDIA_ROOT.
DEFAULT_MEDIA_ROOT = "/app/media"

# Where the django_app role writes the database server's CA on an app host; every container of
# the apps (services and manage commands) sees it read-only at the same path, for DATABASE_URL's
# sslrootcert.
DATABASE_CA_FILE = "/etc/dockyard/postgres-ca.crt"


def app_groups(name: str) -> dict[str, str]:
    """The inventory groups of an app: ``all`` (the parent) and one per service.

    '-' is written '_' in group names (Ansible's group name rules).
    """
    base = str(name).replace("-", "_")
    return {"all": base, **{service: f"{base}_{service}" for service in SERVICES}}


def host_address(hostvars_of_host: Mapping[str, Any]) -> str:
    """The address other hosts reach a host at: its default IPv4 address when facts were read,
    else ``ansible_host``, else its inventory name.

    The one rule for the front's upstreams (site.yml and the deploy's switch), pg_hba and the
    Redis firewall, so that they can never disagree.
    """
    facts = hostvars_of_host.get("ansible_facts") or {}
    address = (facts.get("default_ipv4") or {}).get("address")
    if address:
        return str(address)
    return str(hostvars_of_host.get("ansible_host") or hostvars_of_host.get("inventory_hostname"))


def host_addresses(hostvars: Mapping[str, Mapping[str, Any]], hosts: Sequence[str]) -> dict[str, str]:
    """``{host: host_address}`` for each of ``hosts``."""
    return {host: host_address(hostvars[host]) for host in hosts}


def _hosts(groups: Mapping[str, Sequence[str]], group: str) -> list[str]:
    return list(groups.get(group) or [])


def _url_part(value: Any) -> str:
    return quote(str(value), safe="")


def server_names(app: Mapping[str, Any]) -> list[str]:
    """The names the front serves an app under: its ``server_names``, else its name."""
    return [str(name) for name in app.get("server_names") or [app["name"]]]


def has_tls(app: Mapping[str, Any]) -> bool:
    """Whether the front serves the app over HTTPS: it has a certificate key (content or path), or
    a certificate from the ACME CA."""
    return bool(app.get("tls_certificate_key") or app.get("tls_certificate_key_src") or app.get("acme"))


def database_tls(enabled: Any = True, ca_certificate: Any = "") -> dict[str, str]:
    """How the apps connect to PostgreSQL (``dockyard_postgres_tls`` and
    ``dockyard_postgres_tls_ca_certificate``): ``sslmode`` ``verify-full`` against the CA mounted
    at ``ca_file`` when a CA is given, ``require`` without one, empty (plain text) when TLS is off;
    ``ca_file`` is empty unless the CA is mounted."""
    if not enabled:
        return {"sslmode": "", "ca_file": ""}
    if ca_certificate:
        return {"sslmode": "verify-full", "ca_file": DATABASE_CA_FILE}
    return {"sslmode": "require", "ca_file": ""}


def _database_url_query(tls: Mapping[str, str] | None) -> str:
    sslmode = (tls or {}).get("sslmode")
    if not sslmode:
        return ""
    ca_file = (tls or {}).get("ca_file")
    return f"?sslmode={sslmode}" + (f"&sslrootcert={ca_file}" if ca_file else "")


def app_volumes(app: Mapping[str, Any], database_ca_file: str = "") -> list[str]:
    """The volume strings of every container of an app, services and manage commands alike: its
    ``volumes``, then ``<media_dir>:<media_root>`` when it has uploaded media, then the database
    CA read-only at its own path when one is given (``database_tls``'s ``ca_file``). One list, so
    that a manage command (a data load, a data migration) writes media where the web service reads
    them and reaches the database as the services do."""
    volumes = [str(volume) for volume in app.get("volumes") or []]
    if app.get("media_dir"):
        media = f"{app['media_dir']}:{app.get('media_root') or DEFAULT_MEDIA_ROOT}"
        if media not in volumes:
            volumes.append(media)
    if database_ca_file:
        volumes.append(f"{database_ca_file}:{database_ca_file}:ro")
    return volumes


def app_limits(app: Mapping[str, Any], service: str) -> dict[str, Any]:
    """The memory and CPU limits of one kind of the app's containers: ``service`` is web,
    worker, beat or manage (the one-shot containers of manage commands); its own ``limits``
    over the app's, only the keys set (an empty dict: no limit)."""
    if service not in LIMIT_SERVICES:
        raise AnsibleFilterError(f"app_limits: service must be one of {', '.join(LIMIT_SERVICES)}, got {service!r}")
    problem = check_limits(app["limits"]) if "limits" in app else None
    if problem:
        raise AnsibleFilterError(f"app {app.get('name', '?')}: limits {problem}")
    return limits_for(app, service)


def django_app_entries(apps: Sequence[Mapping[str, Any]], groups: Mapping[str, Sequence[str]],
                       database_address: str | None = None, broker_address: str | None = None,
                       broker_password: str | None = None, database_tls: Mapping[str, str] | None = None,
                       ) -> list[dict[str, Any]]:
    """The apps as the django_app role takes them, with their 12-factor URLs in ``env``.

    DATABASE_URL for an app with a ``database`` (when there is a database server), asking for TLS
    as ``database_tls`` (the filter of that name) says;
    CELERY_BROKER_URL only for an app that runs Celery (a worker or beat host in the inventory):
    a web-only app never receives the broker's password.
    """
    entries = []
    for index, app in enumerate(apps):
        env = {str(key): value for key, value in (app.get("env") or {}).items()}
        database = app.get("database")
        if database and database_address:
            env["DATABASE_URL"] = (f"postgres://{_url_part(database['user'])}:{_url_part(database['password'])}"
                                   f"@{database_address}:{POSTGRES_PORT}/{database['name']}"
                                   f"{_database_url_query(database_tls)}")
        group = app_groups(app["name"])
        runs_celery = bool(_hosts(groups, group["worker"]) or _hosts(groups, group["beat"]))
        if runs_celery and broker_address and broker_password:
            env["CELERY_BROKER_URL"] = (f"redis://:{_url_part(broker_password)}@{broker_address}:{REDIS_PORT}/"
                                        f"{app.get('redis_db', index)}")
        # The web health check asks as the front does: a server name as Host, the front's scheme.
        entry = {"name": app["name"], "image": app["image"], "port": int(app["port"]), "env": env,
                 "server_names": server_names(app), "tls": has_tls(app)}
        entry.update({key: app[key] for key in _DJANGO_APP_KEYS if key in app})
        entries.append(entry)
    return entries


def postgres_databases(apps: Sequence[Mapping[str, Any]], groups: Mapping[str, Sequence[str]],
                       addresses: Mapping[str, str]) -> list[dict[str, Any]]:
    """One database and login role per app with a ``database``, reachable only from its hosts."""
    databases = []
    for app in apps:
        database = app.get("database")
        if not database:
            continue
        hosts = _hosts(groups, app_groups(app["name"])["all"])
        databases.append({
            "name": database["name"],
            "owner": database["user"],
            "password": database["password"],
            "allowed_hosts": [addresses[host] for host in hosts],
        })
    return databases


def proxy_sites(apps: Sequence[Mapping[str, Any]], groups: Mapping[str, Sequence[str]],
                addresses: Mapping[str, str], active_slots: Mapping[str, Mapping[str, str | None]] | None = None,
                ) -> list[dict[str, Any]]:
    """One nginx site per app, one upstream per web host.

    Each upstream's port is the one of the slot that serves now (``active_slots[host][app]``,
    ``a`` or ``b``, from web_slot_info), so that rerunning site.yml never points the front at
    a stopped slot; a host with no active slot yet gets the app's port (slot a).
    """
    slots = active_slots or {}
    sites = []
    for app in apps:
        port = int(app["port"])
        upstreams = []
        for host in _hosts(groups, app_groups(app["name"])["web"]):
            active = (slots.get(host) or {}).get(app["name"])
            upstreams.append({"host": host, "address": addresses[host], "port": port + (1 if active == "b" else 0)})
        site = {"name": app["name"], "server_names": server_names(app), "upstreams": upstreams}
        site.update({key: app[key] for key in _PROXY_SITE_KEYS if key in app})
        # The front serves the app's static files from its releases (static_front, on by default).
        if app.get("static_front", True):
            site["static_url"] = app.get("static_url", DEFAULT_STATIC_URL)
        sites.append(site)
    return sites


def app_problems(apps: Any) -> list[str]:
    """What is wrong with the app list, one message per problem (empty: nothing)."""
    return apps_problems(apps)


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "app_groups": app_groups,
            "app_limits": app_limits,
            "app_problems": app_problems,
            "app_public": public_entry,
            "app_volumes": app_volumes,
            "database_tls": database_tls,
            "host_address": host_address,
            "host_addresses": host_addresses,
            "django_app_entries": django_app_entries,
            "postgres_databases": postgres_databases,
            "proxy_sites": proxy_sites,
        }
