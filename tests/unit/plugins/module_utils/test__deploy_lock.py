"""Unit tests of the deploy lock file: its place, its content, its reader and its message."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ansible_collections.dockyard.django.plugins.module_utils._deploy_lock import (
    MalformedLock,
    continue_command,
    format_lock,
    held_message,
    lock_path,
    make_lock,
    parse_lock,
    read_lock,
    with_progress,
)

SINCE = datetime(2026, 11, 23, 13, 2, 1, tzinfo=timezone.utc)


def test_one_file_per_app() -> None:
    assert lock_path("/var/lib/dockyard/locks", "shop") == "/var/lib/dockyard/locks/shop.lock"


def test_lock_round_trips_through_its_file(tmp_path: Path) -> None:
    lock = make_lock("shop", "alice@laptop", "run-1", SINCE)
    assert lock["since"] == "2026-11-23T13:02:01Z"
    path = tmp_path / "shop.lock"
    path.write_text(format_lock(lock))
    assert read_lock(str(path)) == lock


def test_no_file_is_no_lock(tmp_path: Path) -> None:
    assert read_lock(str(tmp_path / "shop.lock")) is None


@pytest.mark.parametrize("text", ["garbage", "[]", '{"app": "shop"}', '{"app": 1, "holder": "", "run_id": "", "since": ""}'])
def test_foreign_files_are_refused_without_quoting_them(text: str) -> None:
    with pytest.raises(MalformedLock, match="/l/shop.lock is not a lock file") as exc:
        parse_lock(text, "/l/shop.lock")
    assert "garbage" not in str(exc.value)


def test_held_message_names_holder_age_and_the_way_out() -> None:
    message = held_message(make_lock("shop", "alice@laptop", "run-1", SINCE), SINCE + timedelta(minutes=3, seconds=12))
    assert "held by alice@laptop (run run-1) since 2026-11-23T13:02:01Z (3m12s ago)" in message
    assert message.endswith("release the lock with: ansible-playbook playbooks/unlock.yml -e app=shop")


def test_held_message_tells_how_far_the_run_got_and_how_to_continue_it() -> None:
    lock = make_lock("shop", "alice@laptop", "run-1", SINCE)
    for update in ({"mode": "deploy", "tag": "build-43", "phase": "pull"}, {"phase": "record"},
                   {"phase": "switch web1", "before": {"web1": {"current": "build-42", "previous": None}}}):
        lock = with_progress(lock, update, SINCE)
    assert lock["progress"]["before"] == {"web1": {"current": "build-42", "previous": None}}
    message = held_message(lock, SINCE)
    assert ", a deploy to build-43, which reached phase 'switch web1' (done: pull, record)." in message
    assert message.endswith("continue it with: ansible-playbook playbooks/deploy.yml -e app=shop -e tag=build-43 "
                            "-e takeover=run-1")
    rollback = with_progress(lock, {"mode": "rollback"}, SINCE)
    assert continue_command(rollback) == ("ansible-playbook playbooks/rollback.yml -e app=shop -e tag=build-43 "
                                          "-e takeover=run-1")
    assert parse_lock(format_lock(lock), "/l/shop.lock") == lock
