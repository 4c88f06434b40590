"""Unit tests of the release files' pure logic: TAG format, history, atomic writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ansible_collections.dockyard.django.plugins.module_utils._release import (
    MalformedFile,
    Releases,
    atomic_write,
    format_history,
    format_tag_file,
    make_entry,
    parse_history,
    parse_tag_file,
    read_releases,
    render_state,
    rotate,
)


@pytest.mark.parametrize("tag", ["build-42", "v1.2.3", "_x", "a" * 128])
def test_tag_file_round_trips(tag: str) -> None:
    text = format_tag_file(tag)
    assert text == f"export TAG={tag}\n"
    assert parse_tag_file(text, "/x/TAG") == tag


@pytest.mark.parametrize("text", ["export TAG=build-1", "TAG=build-1\n", "TAG=build-1"])
def test_tag_file_accepts_missing_newline_and_bare_form(text: str) -> None:
    assert parse_tag_file(text, "/x/TAG") == "build-1"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "found 0 lines"),
        ("export TAG=a\nexport TAG=b\n", "found 2 lines"),
        ("export TAG=a\n\n", "found 2 lines"),
        ("export  TAG=a\n", "does not have the form"),
        ("export TAG='a'\n", "not a valid Docker tag"),
        ("export TAG=\n", "not a valid Docker tag"),
        ("export TAG=-a\n", "not a valid Docker tag"),
        ("export TAG=a b\n", "not a valid Docker tag"),
        ("export TAG=" + "a" * 129 + "\n", "not a valid Docker tag"),
        ("export TAG=a; rm -rf /\n", "not a valid Docker tag"),
        ("garbage\n", "does not have the form"),
        ("\r\nexport TAG=a", "found 2 lines"),
    ],
)
def test_malformed_tag_file_names_the_file_and_why(text: str, why: str) -> None:
    with pytest.raises(MalformedFile) as err:
        parse_tag_file(text, "/srv/app/TAG")
    message = str(err.value)
    assert message.startswith("/srv/app/TAG is malformed")
    assert why in message


def test_malformed_tag_file_message_does_not_quote_content() -> None:
    with pytest.raises(MalformedFile) as err:
        parse_tag_file("export TAG=s3cr3t password\n", "/srv/app/TAG")
    assert "s3cr3t" not in str(err.value)


def test_history_round_trips_and_is_stable() -> None:
    history = [make_entry("b", "a", "deployed", "alice", ["m1"], time="2026-01-01T00:00:00Z")]
    text = format_history(history)
    assert text.endswith("\n")
    assert parse_history(text, "/x/HISTORY.json") == history
    assert format_history(parse_history(text, "/x/HISTORY.json")) == text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "not valid JSON"),
        ("{not json", "not valid JSON (line 1)"),
        ('{"tag": "a"}', "expected a JSON list"),
        ("[1]", "entry 0 is not a JSON object"),
        ('[{"tag": "a"}, {"no": "tag"}]', "entry 1 has no valid 'tag'"),
        ('[{"tag": "-bad"}]', "entry 0 has no valid 'tag'"),
    ],
)
def test_malformed_history_names_the_file_and_why(text: str, why: str) -> None:
    with pytest.raises(MalformedFile) as err:
        parse_history(text, "/srv/app/HISTORY.json")
    assert str(err.value).startswith("/srv/app/HISTORY.json is malformed")
    assert why in str(err.value)


def test_entry_has_every_key() -> None:
    entry = make_entry("b", None, "deployed", "alice")
    assert set(entry) == {"tag", "previous", "time", "deployer", "result", "migrations"}
    assert entry["previous"] is None
    assert entry["migrations"] == []


def test_entry_time_is_iso_8601_utc() -> None:
    now = make_entry("b", None, "deployed", "alice")["time"]
    assert len(now) == 20 and now.endswith("Z") and now[10] == "T"


def test_rotate_appends_newest_last_and_caps() -> None:
    history: list[dict[str, object]] = []
    for number in range(1, 8):
        history = rotate(history, {"tag": f"t{number}"}, 3)
    assert [entry["tag"] for entry in history] == ["t5", "t6", "t7"]


def test_rotate_does_not_mutate_its_input() -> None:
    history = [{"tag": "t1"}]
    rotate(history, {"tag": "t2"}, 5)
    assert history == [{"tag": "t1"}]


def test_rotate_rejects_size_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        rotate([], {"tag": "t"}, 0)


def test_render_state_shows_missing_files() -> None:
    assert render_state("b", None) == "TAG: b\nREVERT: (none)\n"
    assert render_state(None, None) == "TAG: (none)\nREVERT: (none)\n"


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "TAG"
    target.write_text("export TAG=old\n")
    atomic_write(str(target), "export TAG=new\n", lambda tmp: os.chmod(tmp, 0o640))
    assert target.read_text() == "export TAG=new\n"
    assert (target.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["TAG"]


def test_atomic_write_keeps_old_file_when_rename_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "TAG"
    target.write_text("export TAG=old\n")

    def broken_rename(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "rename", broken_rename)
    with pytest.raises(OSError):
        atomic_write(str(target), "export TAG=new\n")
    assert target.read_text() == "export TAG=old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["TAG"]


def test_atomic_write_fsyncs_file_and_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[bool] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.path.isdir(f"/proc/self/fd/{fd}") if os.path.exists("/proc/self/fd") else True)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    atomic_write(str(tmp_path / "HISTORY.json"), json.dumps([]))
    assert len(synced) == 2
    if os.path.exists("/proc/self/fd"):
        assert synced == [False, True]  # the file first, then the directory holding the rename


def test_read_releases_of_a_missing_directory_is_empty(tmp_path: Path) -> None:
    assert read_releases(str(tmp_path / "shop")) == Releases()


def test_read_releases_parses_each_file(tmp_path: Path) -> None:
    entry = make_entry("b2", "b1", "deployed", "alice")
    (tmp_path / "TAG").write_text("export TAG=b2\n")
    (tmp_path / "REVERT").write_text("TAG=b1\n")  # the older bare form reads too
    (tmp_path / "HISTORY.json").write_text(format_history([entry]))
    assert read_releases(str(tmp_path)) == Releases("b2", "b1", [entry])


def test_read_releases_names_a_malformed_file(tmp_path: Path) -> None:
    (tmp_path / "TAG").write_bytes(b"\xff\n")
    with pytest.raises(MalformedFile, match=f"{tmp_path}/TAG is malformed: it is not UTF-8"):
        read_releases(str(tmp_path))
