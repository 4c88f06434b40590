"""Unit tests of the app_volumes filter."""

from __future__ import annotations

from ansible_collections.dockyard.django.plugins.filter.app_volumes import app_volumes


def test_no_volumes_no_media() -> None:
    assert app_volumes({"name": "shop"}) == []


def test_own_volumes_then_media_at_the_default_root() -> None:
    app = {"name": "shop", "volumes": ["/srv/cache:/cache:ro"], "media_dir": "/srv/media/shop"}
    assert app_volumes(app) == ["/srv/cache:/cache:ro", "/srv/media/shop:/app/media"]


def test_media_root_and_the_former_key() -> None:
    app = {"extra_volumes": ["/a:/b"], "media_dir": "/srv/media/blog", "media_root": "/srv/app/media"}
    assert app_volumes(app) == ["/a:/b", "/srv/media/blog:/srv/app/media"]


def test_media_given_as_a_volume_too_is_mounted_once() -> None:
    app = {"volumes": ["/srv/media/shop:/app/media"], "media_dir": "/srv/media/shop"}
    assert app_volumes(app) == ["/srv/media/shop:/app/media"]
