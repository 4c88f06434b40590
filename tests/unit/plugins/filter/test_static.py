"""Unit tests of the filters that publish releases' static files to the fronts."""

from __future__ import annotations

from ansible_collections.dockyard.django.plugins.filter.static import common_items


def test_common_items_keeps_the_first_lists_order_once_each() -> None:
    assert common_items([["a", "b", "c", "a"], ["c", "a"], ["a", "x", "c"]]) == ["a", "c"]


def test_common_items_of_one_list_and_of_none() -> None:
    assert common_items([["b", "a"]]) == ["b", "a"]
    assert common_items([]) == []
    assert common_items([["a"], []]) == []
