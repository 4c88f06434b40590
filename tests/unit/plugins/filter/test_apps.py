"""Unit tests of the app-list filters: what each role receives from dockyard_apps and the inventory."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dockyard.django.plugins.filter.apps import (
    app_groups,
    app_limits,
    django_app_entries,
    host_address,
    host_addresses,
    postgres_databases,
    proxy_sites,
)

GROUPS = {
    "shop_web": ["web1", "web2"], "shop_worker": ["worker1"], "shop_beat": ["worker1"],
    "shop": ["web1", "web2", "worker1"],
    "blog_web": ["web2"], "blog": ["web2"],
}
ADDRESSES = {"web1": "10.0.0.11", "web2": "10.0.0.12", "worker1": "10.0.0.13"}
SHOP = {"name": "shop", "image": "registry:5000/shop", "port": 8001, "server_names": ["shop.example.org"],
        "database": {"name": "shop", "user": "shop", "password": "p@ss/w:rd"},
        "env": {"SECRET_KEY": "k", "DEBUG": 0}, "volumes": ["/srv/shop/media:/app/media"],
        "manage_once": [["migrate"]], "client_max_body_size": "20m"}
BLOG = {"name": "blog", "image": "registry:5000/blog", "port": 8011}


def test_app_groups_write_dashes_as_underscores() -> None:
    assert app_groups("my-shop") == {"all": "my_shop", "web": "my_shop_web", "worker": "my_shop_worker",
                                     "beat": "my_shop_beat"}


def test_host_address_prefers_facts_then_ansible_host_then_name() -> None:
    assert host_address({"ansible_facts": {"default_ipv4": {"address": "10.0.0.1"}}, "ansible_host": "x"}) == "10.0.0.1"
    assert host_address({"ansible_facts": {}, "ansible_host": "web1.example.org"}) == "web1.example.org"
    assert host_address({"inventory_hostname": "web1"}) == "web1"
    hostvars = {"a": {"ansible_host": "1.1.1.1"}, "b": {"inventory_hostname": "b"}}
    assert host_addresses(hostvars, ["a", "b"]) == {"a": "1.1.1.1", "b": "b"}


def test_django_app_entries_build_urls_and_keep_role_keys() -> None:
    shop, blog = django_app_entries([SHOP, BLOG], GROUPS, database_address="10.0.0.5",
                                    broker_address="10.0.0.6", broker_password="r/p")
    assert shop["env"]["DATABASE_URL"] == "postgres://shop:p%40ss%2Fw%3Ard@10.0.0.5:5432/shop"
    assert shop["env"]["CELERY_BROKER_URL"] == "redis://:r%2Fp@10.0.0.6:6379/0"
    assert shop["env"]["SECRET_KEY"] == "k" and shop["volumes"] == ["/srv/shop/media:/app/media"]
    # Deploy-only and proxy-only keys do not reach the django_app role.
    assert "manage_once" not in shop and "client_max_body_size" not in shop and "database" not in shop
    # A web-only app runs no Celery: it never receives the broker's password, nor a database URL without a database.
    assert blog["env"] == {}


def test_django_app_entries_without_servers_add_no_urls() -> None:
    (shop,) = django_app_entries([SHOP], GROUPS)
    assert set(shop["env"]) == {"SECRET_KEY", "DEBUG"}


def test_redis_db_defaults_to_the_position_in_the_list() -> None:
    entries = django_app_entries([BLOG, SHOP, dict(SHOP, name="shop2", redis_db=7)],
                                 {**GROUPS, "shop2_worker": ["worker1"]}, broker_address="r", broker_password="p")
    assert entries[1]["env"]["CELERY_BROKER_URL"].endswith("/1")
    assert entries[2]["env"]["CELERY_BROKER_URL"].endswith("/7")


def test_postgres_databases_allow_only_the_apps_hosts() -> None:
    assert postgres_databases([SHOP, BLOG], GROUPS, ADDRESSES) == [{
        "name": "shop", "owner": "shop", "password": "p@ss/w:rd",
        "allowed_hosts": ["10.0.0.11", "10.0.0.12", "10.0.0.13"]}]


def test_proxy_sites_point_each_host_at_its_active_slot() -> None:
    shop, blog = proxy_sites([SHOP, BLOG], GROUPS, ADDRESSES, {"web2": {"shop": "b", "blog": "a"}})
    assert shop == {"name": "shop", "server_names": ["shop.example.org"], "client_max_body_size": "20m",
                    "static_url": "/static/",
                    "upstreams": [{"host": "web1", "address": "10.0.0.11", "port": 8001},
                                  {"host": "web2", "address": "10.0.0.12", "port": 8002}]}
    assert blog["server_names"] == ["blog"] and blog["upstreams"] == [{"host": "web2", "address": "10.0.0.12", "port": 8011}]


def test_app_volumes_add_the_media_mount_once() -> None:
    from ansible_collections.dockyard.django.plugins.filter.apps import app_volumes
    assert app_volumes(BLOG) == []
    assert app_volumes(dict(SHOP, volumes=["/srv/shop/cache:/app/cache"], media_dir="/srv/media/shop")) == [
        "/srv/shop/cache:/app/cache", "/srv/media/shop:/app/media"]
    assert app_volumes(dict(BLOG, media_dir="/srv/media/blog", media_root="/srv/app/media")) == [
        "/srv/media/blog:/srv/app/media"]
    assert app_volumes(dict(BLOG, volumes=["/m:/app/media"], media_dir="/m")) == ["/m:/app/media"]


def test_health_check_and_media_inputs_reach_the_roles() -> None:
    tls = dict(BLOG, tls_certificate="c", tls_certificate_key="k", media_dir="/srv/media/blog", media_url="/uploads/")
    (entry,) = django_app_entries([tls], GROUPS)
    assert (entry["server_names"], entry["tls"], entry["media_dir"]) == (["blog"], True, "/srv/media/blog")
    assert "media_url" not in entry
    (site,) = proxy_sites([tls], GROUPS, ADDRESSES)
    assert (site["media_dir"], site["media_url"]) == ("/srv/media/blog", "/uploads/")
    (shop,) = django_app_entries([SHOP], GROUPS)
    assert (shop["server_names"], shop["tls"]) == (["shop.example.org"], False)


def test_proxy_sites_serve_static_files_unless_the_app_serves_them() -> None:
    own, cdn = proxy_sites([dict(SHOP, static_url="/assets/"), dict(BLOG, static_front=False)], GROUPS, ADDRESSES)
    assert own["static_url"] == "/assets/"
    assert "static_url" not in cdn


def test_database_tls_follows_the_switch_and_the_ca() -> None:
    from ansible_collections.dockyard.django.plugins.filter.apps import database_tls
    assert database_tls(True, "-----BEGIN CERTIFICATE-----") == {
        "sslmode": "verify-full", "ca_file": "/etc/dockyard/postgres-ca.crt"}
    assert database_tls(True, "") == {"sslmode": "require", "ca_file": ""}
    assert database_tls(False, "-----BEGIN CERTIFICATE-----") == {"sslmode": "", "ca_file": ""}


def test_database_url_asks_for_tls_as_told() -> None:
    from ansible_collections.dockyard.django.plugins.filter.apps import database_tls

    def url(tls: dict[str, str] | None) -> str:
        (shop,) = django_app_entries([SHOP], GROUPS, database_address="10.0.0.5", database_tls=tls)
        return shop["env"]["DATABASE_URL"]

    base = "postgres://shop:p%40ss%2Fw%3Ard@10.0.0.5:5432/shop"
    assert url(None) == base
    assert url(database_tls(False)) == base
    assert url(database_tls(True)) == base + "?sslmode=require"
    assert url(database_tls(True, "ca")) == base + "?sslmode=verify-full&sslrootcert=/etc/dockyard/postgres-ca.crt"


def test_app_volumes_mount_the_database_ca_read_only_when_given() -> None:
    from ansible_collections.dockyard.django.plugins.filter.apps import app_volumes
    ca = "/etc/dockyard/postgres-ca.crt"
    assert app_volumes(BLOG, ca) == [f"{ca}:{ca}:ro"]
    assert app_volumes(dict(BLOG, media_dir="/m"), "") == ["/m:/app/media"]


def test_acme_apps_are_tls_and_their_tls_keys_reach_the_front() -> None:
    acme = dict(BLOG, acme=True, tls_redirect=False, hsts=True)
    (entry,) = django_app_entries([acme], GROUPS)
    assert entry["tls"] is True
    (site,) = proxy_sites([acme], GROUPS, ADDRESSES)
    assert (site["acme"], site["tls_redirect"], site["hsts"]) == (True, False, True)


def test_app_limits_give_a_service_its_own_over_the_apps() -> None:
    app = {"name": "shop", "limits": {"memory": "512m", "worker": {"cpus": 2}}}
    assert app_limits(app, "web") == {"memory": "512m"}
    assert app_limits(app, "worker") == {"memory": "512m", "cpus": 2}
    assert app_limits({"name": "blog"}, "manage") == {}


def test_app_limits_refuse_a_bad_value_or_service_by_name() -> None:
    with pytest.raises(AnsibleFilterError, match=r"app shop: limits memory must be at least 6m"):
        app_limits({"name": "shop", "limits": {"memory": "1m"}}, "web")
    with pytest.raises(AnsibleFilterError, match=r"service must be one of web, worker, beat, manage, got 'db'"):
        app_limits({"name": "shop"}, "db")
