"""The shared pieces of the playbooks' input checks."""

from __future__ import annotations

from ansible_collections.dockyard.django.plugins.plugin_utils._inputs import shown, whole


def test_whole_reads_digits_and_ints_only() -> None:
    assert [whole(v) for v in (3, "12", " 7 ", "abc", "1.5", True, None, -1)] == [3, 12, 7, None, None, None, None, -1]


def test_shown_quotes_and_cuts_long_values() -> None:
    assert shown("abc") == "'abc'"
    assert shown("x" * 100) == repr("x" * 57 + "...")
