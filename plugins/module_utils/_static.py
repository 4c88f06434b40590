# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the static files a release's image brings to the front (static_bundle,
static_store, static_store_info): manifests, bundle layout, the union the front serves,
and which releases and objects retention removes.

A release's static tree is described by a manifest: every file's path (relative, '/'
separated) with the sha256 of its content, its size and its mtime. Contents travel and are
stored once, named by that digest (content-addressed); the trees of the releases and the
union nginx serves are hard links to the stored objects, so files shared between releases
take their space once.

Nothing here touches Docker or the file system, so all of it is unit-tested without either.

Private to this collection (the leading underscore): no compatibility promise.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.dockyard.django.plugins.module_utils._validation import ValidationError

MANIFEST_FORMAT = 1
# Names inside a bundle (a plain tar file): one manifest and the objects it needs.
BUNDLE_MANIFEST = "manifest.json"
BUNDLE_OBJECTS = "objects/"

DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")
# One path component of a static file: anything but '/', NUL, '.' and '..'.
_BAD_COMPONENTS = {"", ".", ".."}
# Longest relative path accepted (Linux PATH_MAX less room for the store's own prefix).
MAX_PATH = 3072


@dataclass(frozen=True)
class FileEntry:
    """One file of a release's static tree."""

    sha256: str
    size: int
    mtime: int


def check_digest(digest: object, what: str = "digest") -> str:
    if not isinstance(digest, str) or not DIGEST_RE.match(digest):
        raise ValidationError(f"{what} must be 64 lower-case hex digits (a sha256), got {str(digest)[:80]!r}")
    return digest


def check_relative_path(path: object, what: str = "path") -> str:
    """A file path inside a static tree: relative, '/' separated, no '.', '..' or empty parts."""
    if not isinstance(path, str) or not path:
        raise ValidationError(f"{what} must be a non-empty string")
    if len(path) > MAX_PATH or "\0" in path or "\\" in path:
        raise ValidationError(f"{what} {path[:80]!r} is not a valid static file path (too long, NUL or backslash)")
    if path.startswith("/") or any(part in _BAD_COMPONENTS for part in path.split("/")):
        raise ValidationError(f"{what} {path[:80]!r} must be relative, without empty, '.' or '..' components")
    return path


def check_image_path(path: object, what: str = "path") -> str:
    """An absolute directory inside an image."""
    if not isinstance(path, str) or not path.startswith("/") or "\0" in path:
        raise ValidationError(f"{what} must be an absolute path inside the image, got {str(path)[:80]!r}")
    normal = posixpath.normpath(path)
    if normal.strip("/") == "":
        raise ValidationError(f"{what} must be a directory below /, not the image's root")
    return normal


def member_path(name: str) -> str | None:
    """The path inside the static tree of a member of the archive Docker returns for
    '<directory>/.' (members '.', './a', './a/b'). None for the directory itself;
    ValidationError for a name that leaves it."""
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if not parts:
        return None
    return check_relative_path("/".join(parts), "archive member")


def resolve_link(path: str, target: str) -> str | None:
    """Where a symbolic link at `path` (relative to the tree) points inside the tree, or None
    when it points outside it (absolute targets are outside: they name the image's files)."""
    if target.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    if joined.startswith("../") or joined in (".", ".."):
        return None
    return joined


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def object_name(digest: str) -> str:
    """Where an object lives under the store's objects/ (and in a bundle): ab/cdef..."""
    check_digest(digest)
    return f"{digest[:2]}/{digest[2:]}"


def dump_manifest(files: Mapping[str, FileEntry]) -> str:
    """The manifest as canonical JSON (sorted, compact): equal trees give equal text."""
    document = {
        "format": MANIFEST_FORMAT,
        "files": {path: [entry.sha256, entry.size, entry.mtime] for path, entry in sorted(files.items())},
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")) + "\n"


def manifest_digest(files: Mapping[str, FileEntry]) -> str:
    """A release's identity on the front: the sha256 of its canonical manifest."""
    return sha256_hex(dump_manifest(files).encode())


def load_manifest(text: str, where: str = "manifest") -> dict[str, FileEntry]:
    """Parse and check a manifest; a bad one raises ValidationError naming `where`."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != MANIFEST_FORMAT:
        raise ValidationError(f"{where} is not a static manifest of format {MANIFEST_FORMAT}")
    raw = document.get("files")
    if not isinstance(raw, dict):
        raise ValidationError(f"{where} has no 'files' object")
    files: dict[str, FileEntry] = {}
    for path, value in raw.items():
        check_relative_path(path, f"{where}: path")
        if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, int) for v in value[1:])
                and not any(isinstance(v, bool) for v in value[1:])):
            raise ValidationError(f"{where}: entry of {path[:80]!r} must be [sha256, size, mtime]")
        digest, size, mtime = value
        check_digest(digest, f"{where}: sha256 of {path[:80]!r}")
        if size < 0:
            raise ValidationError(f"{where}: size of {path[:80]!r} is negative")
        files[path] = FileEntry(digest, size, mtime)
    check_no_prefix_clash(files, where)
    return files


def check_no_prefix_clash(paths: Iterable[str], where: str = "manifest") -> None:
    """No file may also be a directory of another file (a/b and a/b/c cannot both exist)."""
    names = set(paths)
    for path in names:
        parent = posixpath.dirname(path)
        while parent:
            if parent in names:
                raise ValidationError(f"{where}: {parent[:80]!r} is both a file and a directory")
            parent = posixpath.dirname(parent)


def union(manifests: Sequence[Mapping[str, FileEntry]]) -> dict[str, FileEntry]:
    """The tree the front serves from several releases, the first given winning for a path
    several have (the release going live or live now comes first: for names that are not
    hashed, the newest wins). A path that is a file in one release and a directory in an
    earlier one is left out of the later one."""
    served: dict[str, FileEntry] = {}
    directories: set[str] = set()
    for files in manifests:
        for path, entry in sorted(files.items()):
            if path in served or path in directories:
                continue
            parents = []
            parent = posixpath.dirname(path)
            while parent:
                parents.append(parent)
                parent = posixpath.dirname(parent)
            if any(p in served for p in parents):
                continue
            served[path] = entry
            directories.update(parents)
    return served


def needed_objects(files: Mapping[str, FileEntry]) -> dict[str, FileEntry]:
    """One entry per distinct content: digest -> the first (by path) entry with it."""
    needed: dict[str, FileEntry] = {}
    for _path, entry in sorted(files.items()):
        needed.setdefault(entry.sha256, entry)
    return needed


@dataclass(frozen=True)
class Pruning:
    """Which releases the retention removes and which it keeps (sorted)."""

    removed: list[str]
    kept: list[str]


def select_pruning(present: Iterable[str], keep: Iterable[str], serving: Iterable[str]) -> Pruning:
    """Releases not in `keep` go, except those the front serves now (never pulled from under
    nginx: the union changes first)."""
    staying = set(keep) | set(serving)
    present_set = set(present)
    return Pruning(removed=sorted(present_set - staying), kept=sorted(present_set & staying))


def release_lines(releases: Iterable[str]) -> str:
    """A list of releases as diff text, one a line, in the order given."""
    return "".join(f"{release}\n" for release in releases)


def summarise(files: Mapping[str, FileEntry]) -> dict[str, Any]:
    """Counts for a result: files, distinct objects, bytes (of files and of objects)."""
    objects = needed_objects(files)
    return {
        "files": len(files),
        "objects": len(objects),
        "bytes": sum(entry.size for entry in files.values()),
        "object_bytes": sum(entry.size for entry in objects.values()),
    }
