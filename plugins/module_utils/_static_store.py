# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The front's store of static files of an app's releases (static_store, static_store_info).

Layout under <root>/<app>/ (every directory 0755, every file 0644, readable by nginx):

    objects/ab/cdef...      each distinct content once, named by its sha256
    releases/<tag>.json     each published release's manifest (_static.dump_manifest)
    union/g<N>/...          a generation of the served tree: hard links to objects/
    live -> union/g<N>      what nginx serves (alias <root>/<app>/live/), swapped atomically
    serving.json            {"releases": [...], "generation": "g<N>"}

A generation is never changed once live: a new union is built beside it and `live` is
swapped to it with one rename, so nginx sees the old tree or the new one, never a half. The
previous generation stays until the next swap, so a request that resolved the old link just
before a swap still finds its file.

Private to this collection (the leading underscore): no compatibility promise.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.dockyard.django.plugins.module_utils._release import atomic_write
from ansible_collections.dockyard.django.plugins.module_utils._static import (
    BUNDLE_MANIFEST,
    BUNDLE_OBJECTS,
    DIGEST_RE,
    FileEntry,
    dump_manifest,
    load_manifest,
    needed_objects,
    object_name,
)
from ansible_collections.dockyard.django.plugins.module_utils._validation import ValidationError, check_tag

CHUNK = 1 << 16
_GENERATION_RE = re.compile(r"^g([0-9]+)$")


class StoreError(Exception):
    """The store or a bundle is not as it must be; the message says what and where."""


def _makedirs(path: str) -> None:
    os.makedirs(path, mode=0o755, exist_ok=True)


class Store:
    """One app's store on the front: read it, and change it one safe step at a time."""

    def __init__(self, root: str, app: str) -> None:
        self.root = root
        self.app = app
        self.base = os.path.join(root, app)
        self.objects = os.path.join(self.base, "objects")
        self.releases_dir = os.path.join(self.base, "releases")
        self.union_dir = os.path.join(self.base, "union")
        self.live = os.path.join(self.base, "live")
        self.serving_file = os.path.join(self.base, "serving.json")

    # -- reading -------------------------------------------------------------------------

    def exists(self) -> bool:
        return os.path.isdir(self.base)

    def releases(self) -> list[str]:
        try:
            names = os.listdir(self.releases_dir)
        except FileNotFoundError:
            return []
        return sorted(name[:-5] for name in names if name.endswith(".json") and not name.startswith("."))

    def manifest_text(self, release: str) -> str | None:
        try:
            with open(os.path.join(self.releases_dir, f"{check_tag(release, 'release')}.json"),
                      encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def manifest(self, release: str) -> dict[str, FileEntry] | None:
        text = self.manifest_text(release)
        if text is None:
            return None
        try:
            return load_manifest(text, f"{self.releases_dir}/{release}.json")
        except ValidationError as exc:
            raise StoreError(str(exc)) from None

    def serving(self) -> tuple[list[str], str | None]:
        """The releases the live union was built from (precedence order) and its generation."""
        try:
            with open(self.serving_file, encoding="utf-8") as handle:
                document = json.load(handle)
        except FileNotFoundError:
            return [], None
        except ValueError as exc:
            raise StoreError(f"{self.serving_file} is not valid JSON: {exc}") from None
        releases, generation = document.get("releases"), document.get("generation")
        if not isinstance(releases, list) or not all(isinstance(r, str) for r in releases) \
                or not (generation is None or isinstance(generation, str) and _GENERATION_RE.match(generation)):
            raise StoreError(f"{self.serving_file} is not a dockyard serving record")
        return releases, generation

    def live_generation(self) -> str | None:
        """The generation `live` points at, when it exists."""
        try:
            target = os.readlink(self.live)
        except OSError:
            return None
        name = os.path.basename(target)
        if _GENERATION_RE.match(name) and os.path.isdir(os.path.join(self.union_dir, name)):
            return name
        return None

    def generations(self) -> list[str]:
        try:
            names = os.listdir(self.union_dir)
        except FileNotFoundError:
            return []
        return sorted((n for n in names if _GENERATION_RE.match(n)), key=lambda n: int(n[1:]))

    def object_path(self, digest: str) -> str:
        return os.path.join(self.objects, object_name(digest))

    def has_object(self, digest: str) -> bool:
        return os.path.isfile(self.object_path(digest))

    def object_digests(self) -> dict[str, int]:
        """Every stored content: digest -> size."""
        found: dict[str, int] = {}
        try:
            prefixes = os.listdir(self.objects)
        except FileNotFoundError:
            return found
        for prefix in prefixes:
            directory = os.path.join(self.objects, prefix)
            if len(prefix) != 2 or not os.path.isdir(directory):
                continue
            for rest in os.listdir(directory):
                digest = prefix + rest
                if DIGEST_RE.match(digest):
                    found[digest] = os.path.getsize(os.path.join(directory, rest))
        return found

    # -- bundles -------------------------------------------------------------------------

    @staticmethod
    def read_bundle(path: str) -> tuple[dict[str, FileEntry], dict[str, tarfile.TarInfo]]:
        """A bundle's manifest and the objects it carries (digest -> member)."""
        try:
            archive = tarfile.open(path, mode="r:")
        except FileNotFoundError:
            raise StoreError(f"bundle {path} does not exist") from None
        except (tarfile.TarError, OSError) as exc:
            raise StoreError(f"bundle {path} is not a tar file: {exc}") from None
        with archive:
            carried: dict[str, tarfile.TarInfo] = {}
            manifest: dict[str, FileEntry] | None = None
            for member in archive.getmembers():
                if member.name == BUNDLE_MANIFEST and member.isreg():
                    handle = archive.extractfile(member)
                    try:
                        manifest = load_manifest(handle.read().decode("utf-8"), f"bundle {path}: {BUNDLE_MANIFEST}")
                    except (ValidationError, UnicodeDecodeError) as exc:
                        raise StoreError(str(exc)) from None
                elif member.name.startswith(BUNDLE_OBJECTS) and member.isreg():
                    digest = member.name[len(BUNDLE_OBJECTS):].replace("/", "")
                    if DIGEST_RE.match(digest) and member.name == BUNDLE_OBJECTS + object_name(digest):
                        carried[digest] = member
        if manifest is None:
            raise StoreError(f"bundle {path} has no {BUNDLE_MANIFEST}")
        return manifest, carried

    def missing_objects(self, files: Mapping[str, FileEntry], carried: Iterable[str]) -> dict[str, FileEntry]:
        """Contents the release needs that neither the store nor the bundle has."""
        carried_set = set(carried)
        return {digest: entry for digest, entry in needed_objects(files).items()
                if digest not in carried_set and not self.has_object(digest)}

    def to_ingest(self, files: Mapping[str, FileEntry], carried: Iterable[str]) -> dict[str, FileEntry]:
        """Contents the bundle brings that the store does not have yet."""
        carried_set = set(carried)
        return {digest: entry for digest, entry in needed_objects(files).items()
                if digest in carried_set and not self.has_object(digest)}

    # -- changing ------------------------------------------------------------------------

    def _prepare(self) -> None:
        for directory in (self.root, self.base, self.objects, self.releases_dir, self.union_dir):
            _makedirs(directory)

    def ingest(self, bundle: str, wanted: Mapping[str, FileEntry]) -> int:
        """Copy the wanted objects out of the bundle, checking each one's sha256; returns bytes."""
        self._prepare()
        added = 0
        with tarfile.open(bundle, mode="r:") as archive:
            for digest, entry in sorted(wanted.items()):
                member = archive.getmember(BUNDLE_OBJECTS + object_name(digest))
                target = self.object_path(digest)
                _makedirs(os.path.dirname(target))
                fd, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".in.")
                try:
                    check = hashlib.sha256()
                    source = archive.extractfile(member)
                    with os.fdopen(fd, "wb") as out:
                        while True:
                            chunk = source.read(CHUNK)
                            if not chunk:
                                break
                            check.update(chunk)
                            out.write(chunk)
                    if check.hexdigest() != digest:
                        raise StoreError(f"bundle {bundle}: object {digest[:12]}... does not match its sha256")
                    os.chmod(temporary, 0o644)
                    # The first release that brings a content sets its mtime (nginx's Last-Modified).
                    os.utime(temporary, (entry.mtime, entry.mtime))
                    os.rename(temporary, target)
                except BaseException:
                    if os.path.exists(temporary):
                        os.unlink(temporary)
                    raise
                added += member.size
        return added

    def write_release(self, release: str, files: Mapping[str, FileEntry]) -> None:
        self._prepare()
        atomic_write(os.path.join(self.releases_dir, f"{check_tag(release, 'release')}.json"),
                     dump_manifest(files), prepare=lambda tmp: os.chmod(tmp, 0o644))

    def build_generation(self, files: Mapping[str, FileEntry]) -> str:
        """A new generation of the served tree (hard links to the objects), not yet live."""
        self._prepare()
        numbers = [int(name[1:]) for name in self.generations()]
        current = self.serving()[1]
        if current is not None:
            numbers.append(int(current[1:]))
        name = f"g{max(numbers, default=0) + 1}"
        building = tempfile.mkdtemp(dir=self.union_dir, prefix=f".{name}.")
        try:
            os.chmod(building, 0o755)
            for path, entry in sorted(files.items()):
                target = os.path.join(building, path)
                _makedirs(os.path.dirname(target))
                os.link(self.object_path(entry.sha256), target)
            os.rename(building, os.path.join(self.union_dir, name))
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        return name

    def switch(self, generation: str, releases: list[str]) -> None:
        """Make a generation live (one rename of a symbolic link), record it, and drop every
        generation but this one and the one it replaced."""
        previous = self.live_generation()
        link = os.path.join(self.base, f".live.{os.getpid()}")
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(os.path.join("union", generation), link)
        os.rename(link, self.live)
        atomic_write(self.serving_file, json.dumps({"releases": releases, "generation": generation}) + "\n",
                     prepare=lambda tmp: os.chmod(tmp, 0o644))
        for name in self.generations():
            if name not in (generation, previous):
                shutil.rmtree(os.path.join(self.union_dir, name), ignore_errors=True)

    def remove_release(self, release: str) -> None:
        os.unlink(os.path.join(self.releases_dir, f"{check_tag(release, 'release')}.json"))

    def collect_garbage(self, referenced: Iterable[str]) -> tuple[int, int]:
        """Remove the objects no kept release names; returns (objects, bytes) freed. Hard links
        of the live and previous generations keep their data on disk until those go."""
        keep = set(referenced)
        count = freed = 0
        for digest, size in self.object_digests().items():
            if digest not in keep:
                os.unlink(self.object_path(digest))
                count += 1
                freed += size
        return count, freed

    def remove_all(self) -> None:
        shutil.rmtree(self.base)


def describe(store: Store, digests: bool = False) -> dict[str, Any]:
    """What static_store_info returns (and static_store reads before acting)."""
    releases = []
    for release in store.releases():
        files = store.manifest(release) or {}
        objects = needed_objects(files)
        releases.append({
            "release": release,
            "files": len(files),
            "bytes": sum(entry.size for entry in files.values()),
            "objects": len(objects),
            "manifest_digest": hashlib.sha256(dump_manifest(files).encode()).hexdigest(),
        })
    serving, generation = store.serving()
    stored = store.object_digests()
    result: dict[str, Any] = {
        "exists": store.exists(),
        "releases": releases,
        "serving": serving,
        "generation": generation if store.live_generation() == generation else None,
        "objects": len(stored),
        "object_bytes": sum(stored.values()),
    }
    if digests:
        result["digests"] = sorted(stored)
    return result
