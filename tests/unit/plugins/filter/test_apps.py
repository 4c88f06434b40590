"""Unit tests of the app-list filters: what each role receives from dockyard_apps and the inventory."""

from __future__ import annotations

from ansible_collections.dockyard.django.plugins.filter.apps import (
    app_groups,
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
