"""The front's static store on a real (temporary) file system: bundles in, union out, pruning."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from ansible_collections.dockyard.django.plugins.module_utils._static import (
    BUNDLE_MANIFEST,
    BUNDLE_OBJECTS,
    FileEntry,
    dump_manifest,
    object_name,
    union,
)
from ansible_collections.dockyard.django.plugins.module_utils._static_store import Store, StoreError, describe


def make_bundle(path: Path, files: dict[str, bytes], exclude: set[str] = frozenset(), mtime: int = 1_700_000_000,
                corrupt: str | None = None) -> Path:
    """A bundle as static_bundle writes it: objects (those not excluded), then the manifest."""
    entries = {name: FileEntry(hashlib.sha256(data).hexdigest(), len(data), mtime) for name, data in files.items()}
    with tarfile.open(path, "w") as out:
        done = set()
        for name, data in sorted(files.items()):
            digest = entries[name].sha256
            if digest in exclude or digest in done:
                continue
            done.add(digest)
            body = b"tampered" if corrupt == name else data
            info = tarfile.TarInfo(BUNDLE_OBJECTS + object_name(digest))
            info.size = len(body)
            out.addfile(info, io.BytesIO(body))
        manifest = dump_manifest(entries).encode()
        info = tarfile.TarInfo(BUNDLE_MANIFEST)
        info.size = len(manifest)
        out.addfile(info, io.BytesIO(manifest))
    return path


def publish(store: Store, release: str, bundle: Path) -> dict[str, FileEntry]:
    files, carried = store.read_bundle(str(bundle))
    assert not store.missing_objects(files, carried)
    store.ingest(str(bundle), store.to_ingest(files, carried))
    store.write_release(release, files)
    return files


R1 = {"notes/demo.111111111111.css": b"body{}", "notes/demo.css": b"body{}", "admin/base.css": b"admin",
      "robots.txt": b"v1"}
R2 = {"notes/demo.222222222222.css": b"body{color:red}", "notes/demo.css": b"body{color:red}",
      "admin/base.css": b"admin", "robots.txt": b"v2"}


def test_publish_serve_and_share_contents(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "static"), "demo")
    assert describe(store) == {"exists": False, "releases": [], "serving": [], "generation": None, "objects": 0,
                               "object_bytes": 0}
    publish(store, "r1", make_bundle(tmp_path / "b1", R1))
    # r2 is sent without what the store has already (static_bundle's exclude).
    r2 = publish(store, "r2", make_bundle(tmp_path / "b2", R2, exclude=set(store.object_digests())))
    assert store.releases() == ["r1", "r2"]
    # admin/base.css is one content: stored once.
    assert len(store.object_digests()) == 5

    files = union([store.manifest("r2"), store.manifest("r1")])
    generation = store.build_generation(files)
    store.switch(generation, ["r2", "r1"])
    live = Path(store.live)
    assert (live / "notes/demo.111111111111.css").read_bytes() == b"body{}"
    assert (live / "notes/demo.222222222222.css").read_bytes() == b"body{color:red}"
    assert (live / "robots.txt").read_bytes() == b"v2"  # newest wins
    # Hard links: the served file is the stored object.
    assert os.stat(live / "admin/base.css").st_ino == os.stat(store.object_path(r2["admin/base.css"].sha256)).st_ino
    assert os.stat(live / "robots.txt").st_mtime == 1_700_000_000
    assert oct(os.stat(live / "robots.txt").st_mode & 0o777) == "0o644"
    info = describe(store, digests=True)
    assert info["serving"] == ["r2", "r1"] and info["generation"] == generation
    assert [r["release"] for r in info["releases"]] == ["r1", "r2"] and len(info["digests"]) == 5


def test_a_swap_keeps_the_previous_generation_and_drops_older_ones(tmp_path: Path) -> None:
    store = Store(str(tmp_path), "demo")
    publish(store, "r1", make_bundle(tmp_path / "b1", R1))
    publish(store, "r2", make_bundle(tmp_path / "b2", R2))
    names = []
    for releases in (["r1"], ["r2", "r1"], ["r2"]):
        name = store.build_generation(union([store.manifest(r) for r in releases]))
        store.switch(name, releases)
        names.append(name)
    assert names == ["g1", "g2", "g3"]
    assert store.generations() == ["g2", "g3"] and store.live_generation() == "g3"
    assert os.readlink(store.live) == "union/g3"
    assert store.serving() == (["r2"], "g3")


def test_a_tampered_object_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    store = Store(str(tmp_path), "demo")
    bundle = make_bundle(tmp_path / "b", R1, corrupt="robots.txt")
    files, carried = store.read_bundle(str(bundle))
    with pytest.raises(StoreError, match="does not match its sha256"):
        store.ingest(str(bundle), store.to_ingest(files, carried))
    # The store holds no half-written object.
    assert all(not name.startswith(".in.") for _root, _dirs, names in os.walk(store.objects) for name in names)
    assert store.releases() == []


def test_a_bundle_that_lacks_contents_is_told_apart(tmp_path: Path) -> None:
    store = Store(str(tmp_path), "demo")
    bundle = make_bundle(tmp_path / "b", R1, exclude={hashlib.sha256(b"admin").hexdigest()})
    files, carried = store.read_bundle(str(bundle))
    missing = store.missing_objects(files, carried)
    assert list(missing) == [hashlib.sha256(b"admin").hexdigest()]


@pytest.mark.parametrize(("content", "word"), [(b"not a tar", "not a tar file"), (None, "does not exist")])
def test_unreadable_bundles(tmp_path: Path, content: bytes | None, word: str) -> None:
    path = tmp_path / "b.tar"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(StoreError, match=word):
        Store(str(tmp_path), "demo").read_bundle(str(path))


def test_a_bundle_without_manifest(tmp_path: Path) -> None:
    path = tmp_path / "b.tar"
    with tarfile.open(path, "w"):
        pass
    with pytest.raises(StoreError, match="has no manifest.json"):
        Store(str(tmp_path), "demo").read_bundle(str(path))


def test_garbage_collection_frees_contents_no_kept_release_names(tmp_path: Path) -> None:
    store = Store(str(tmp_path), "demo")
    publish(store, "r1", make_bundle(tmp_path / "b1", R1))
    r2 = publish(store, "r2", make_bundle(tmp_path / "b2", R2))
    store.remove_release("r1")
    count, freed = store.collect_garbage(entry.sha256 for entry in r2.values())
    assert count == 2 and freed == len(b"body{}") + len(b"v1")
    assert store.releases() == ["r2"] and len(store.object_digests()) == 3


def test_a_broken_serving_record_is_reported(tmp_path: Path) -> None:
    store = Store(str(tmp_path), "demo")
    os.makedirs(store.base)
    Path(store.serving_file).write_text(json.dumps({"releases": "r1", "generation": "../x"}))
    with pytest.raises(StoreError, match="not a dockyard serving record"):
        store.serving()
