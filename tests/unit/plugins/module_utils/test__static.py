"""Pure logic of the static files of releases: paths, manifests, the served union, pruning."""

from __future__ import annotations

import pytest

from ansible_collections.dockyard.django.plugins.module_utils._static import (
    FileEntry,
    check_image_path,
    check_relative_path,
    dump_manifest,
    load_manifest,
    manifest_digest,
    member_path,
    needed_objects,
    object_name,
    resolve_link,
    select_pruning,
    summarise,
    union,
)
from ansible_collections.dockyard.django.plugins.module_utils._validation import ValidationError

A = "a" * 64
B = "b" * 64
C = "c" * 64


def entry(digest: str, size: int = 1, mtime: int = 100) -> FileEntry:
    return FileEntry(digest, size, mtime)


@pytest.mark.parametrize("path", ["css/app.css", "a", "admin/js/vendor/jquery.min.js", ".well-known/x", "a..b"])
def test_relative_paths_accepted(path: str) -> None:
    assert check_relative_path(path) == path


@pytest.mark.parametrize("path", ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a/", "a\\b", "a\0b",
                                  "x" * 4000])
def test_relative_paths_refused(path: str) -> None:
    with pytest.raises(ValidationError):
        check_relative_path(path)


def test_image_path_must_be_an_absolute_directory_below_root() -> None:
    assert check_image_path("/app/staticfiles/") == "/app/staticfiles"
    for bad in ("app/static", "/", "//", ""):
        with pytest.raises(ValidationError, match="path"):
            check_image_path(bad)


def test_member_paths_of_a_directory_archive() -> None:
    assert member_path(".") is None
    assert member_path("./") is None
    assert member_path("./notes/demo.css") == "notes/demo.css"
    assert member_path("notes/.hidden") == "notes/.hidden"
    with pytest.raises(ValidationError):
        member_path("./a/../../etc/passwd")


def test_links_resolve_inside_the_tree_only() -> None:
    assert resolve_link("css/app.css", "app.1234.css") == "css/app.1234.css"
    assert resolve_link("css/app.css", "../vendor/app.css") == "vendor/app.css"
    assert resolve_link("css/app.css", "../../etc/passwd") is None
    assert resolve_link("css/app.css", "/usr/share/app.css") is None
    assert resolve_link("app.css", ".") is None


def test_object_names_are_sharded_by_the_first_two_digits() -> None:
    assert object_name(A) == "aa/" + "a" * 62
    with pytest.raises(ValidationError):
        object_name("../" + "a" * 61)


def test_manifest_round_trip_is_canonical() -> None:
    files = {"b.css": entry(B, 3, 7), "a.css": entry(A, 2, 5)}
    text = dump_manifest(files)
    assert text == dump_manifest(dict(reversed(list(files.items()))))
    assert load_manifest(text) == files
    assert manifest_digest(files) == manifest_digest(load_manifest(text))
    assert manifest_digest(files) != manifest_digest({"a.css": entry(A, 2, 5)})


@pytest.mark.parametrize(("text", "word"), [
    ("nope", "not valid JSON"),
    ('{"format": 2, "files": {}}', "format 1"),
    ('{"format": 1}', "'files'"),
    ('{"format": 1, "files": {"../x": ["' + A + '", 1, 1]}}', "relative"),
    ('{"format": 1, "files": {"x": ["zz", 1, 1]}}', "sha256"),
    ('{"format": 1, "files": {"x": ["' + A + '", -1, 1]}}', "negative"),
    ('{"format": 1, "files": {"x": ["' + A + '", true, 1]}}', "[sha256, size, mtime]"),
    ('{"format": 1, "files": {"a": ["' + A + '", 1, 1], "a/b": ["' + A + '", 1, 1]}}', "both a file and a directory"),
])
def test_bad_manifests_are_refused_naming_the_problem(text: str, word: str) -> None:
    with pytest.raises(ValidationError, match=None) as caught:
        load_manifest(text, "bundle x")
    assert word in str(caught.value) and "bundle x" in str(caught.value)


def test_union_first_release_wins_and_keeps_every_other_name() -> None:
    new = {"app.css": entry(A), "app.111111111111.css": entry(A), "robots.txt": entry(C)}
    old = {"app.css": entry(B), "app.222222222222.css": entry(B), "robots.txt": entry(B)}
    served = union([new, old])
    assert served["app.css"].sha256 == A and served["robots.txt"].sha256 == C  # newest wins
    assert served["app.222222222222.css"].sha256 == B  # the old page's file stays served
    assert union([old, new])["app.css"].sha256 == B
    assert union([]) == {}


def test_union_never_makes_a_file_and_a_directory_of_one_name() -> None:
    first = {"img": entry(A)}
    second = {"img/logo.png": entry(B), "other.css": entry(C)}
    assert union([first, second]) == {"img": entry(A), "other.css": entry(C)}
    assert union([second, first]) == {"img/logo.png": entry(B), "other.css": entry(C)}


def test_needed_objects_counts_each_content_once() -> None:
    files = {"a.css": entry(A, 5), "a.111111111111.css": entry(A, 5), "b.js": entry(B, 7)}
    assert set(needed_objects(files)) == {A, B}
    assert summarise(files) == {"files": 3, "objects": 2, "bytes": 17, "object_bytes": 12}


def test_pruning_keeps_what_is_kept_and_what_is_served() -> None:
    pruning = select_pruning(["r1", "r2", "r3", "r4"], keep=["r4", "r3", "gone"], serving=["r2"])
    assert pruning.removed == ["r1"] and pruning.kept == ["r2", "r3", "r4"]
    assert select_pruning([], ["r1"], []).removed == []
