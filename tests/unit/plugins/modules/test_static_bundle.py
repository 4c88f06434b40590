"""dockyard.django.static_bundle: bad input fails before Docker; reading a directory archive."""

from __future__ import annotations

import base64
import io
import tarfile
from typing import Any

import pytest
import yaml

from ansible_collections.dockyard.django.plugins.modules import static_bundle
from unit.utils import AnsibleFailJson, set_module_args

REPO = "registry:5000/demo"
GOOD = {"repository": REPO, "tag": "r1", "path": "/app/staticfiles", "dest": "/var/lib/dockyard/b.tar"}


@pytest.fixture(autouse=True)
def no_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("a Docker client was created for invalid input")

    monkeypatch.setattr(static_bundle, "make_client", refuse)


@pytest.mark.parametrize(("args", "word"), [
    ({"tag": "bad tag"}, "not a valid Docker tag"),
    ({"repository": "registry:5000/Demo"}, "not a valid Docker repository"),
    ({"path": "app/staticfiles"}, "absolute path inside the image"),
    ({"path": "/"}, "not the image's root"),
    ({"dest": "b.tar"}, "dest must be an absolute path"),
    ({"exclude": ["abc"]}, "exclude[0]"),
    ({"inline_max": -1}, "inline_max must be 0 or more bytes"),
])
def test_bad_input_fails_clearly_before_docker(args: dict[str, Any], word: str) -> None:
    with set_module_args({**GOOD, **args}), pytest.raises(AnsibleFailJson) as caught:
        static_bundle.main()
    assert word in caught.value.result["msg"] and caught.value.result["changed"] is False


def archive(members: list[tuple[str, bytes | None, str | None, bytes]]) -> list[bytes]:
    """A directory archive as the Engine API streams it ('./...'), in small chunks."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as out:
        for name, data, link, kind in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            info.type = kind
            if link is not None:
                info.linkname = link
            if data is not None:
                info.size = len(data)
            out.addfile(info, io.BytesIO(data) if data is not None else None)
    raw = buffer.getvalue()
    return [raw[i:i + 700] for i in range(0, len(raw), 700)]


class FakeModule:
    params = {**GOOD, "exclude": [], "inline_max": 0}
    check_mode = True

    def fail_json(self, **kwargs: Any) -> None:
        raise AssertionError(kwargs["msg"])


def test_reading_an_archive_follows_links_inside_and_skips_the_rest(tmp_path: Any) -> None:
    stream = archive([
        (".", None, None, tarfile.DIRTYPE),
        ("./css", None, None, tarfile.DIRTYPE),
        ("./css/app.111111111111.css", b"body{}", None, tarfile.REGTYPE),
        ("./css/app.css", None, "app.111111111111.css", tarfile.SYMTYPE),
        ("./css/copy.css", None, "./css/app.111111111111.css", tarfile.LNKTYPE),
        ("./css/chain.css", None, "app.css", tarfile.SYMTYPE),
        ("./outside.css", None, "/etc/passwd", tarfile.SYMTYPE),
        ("./loop.css", None, "loop.css", tarfile.SYMTYPE),
        ("./fifo", None, None, tarfile.FIFOTYPE),
    ])
    bundle = static_bundle.StaticBundle(FakeModule(), client=None, work=str(tmp_path))
    bundle._read_archive(stream)
    assert sorted(bundle.files) == ["css/app.111111111111.css", "css/app.css", "css/chain.css", "css/copy.css"]
    assert len({entry.sha256 for entry in bundle.files.values()}) == 1
    assert bundle.files["css/app.css"].mtime == 1_700_000_000
    assert sorted(s.split(":")[0] for s in bundle.left_out) == ["fifo", "loop.css", "outside.css"]
    # The content was spooled once, named by its digest.
    assert sorted(p.name for p in tmp_path.iterdir()) == [bundle.files["css/app.css"].sha256]


def test_a_small_bundle_is_returned_a_larger_one_written(tmp_path: Any) -> None:
    """inline_max: the bundle in the result up to that size (and no file), else the file at dest."""
    work = tmp_path / "work"
    work.mkdir()
    stream = archive([(".", None, None, tarfile.DIRTYPE), ("./a.css", b"a" * 3000, None, tarfile.REGTYPE)])
    module = FakeModule()
    module.params = {**GOOD, "dest": str(tmp_path / "out" / "b.tar"), "exclude": [], "inline_max": 0}
    bundle = static_bundle.StaticBundle(module, client=None, work=str(work))
    bundle._read_archive(stream)
    sent = static_bundle.needed_objects(bundle.files)
    assert bundle.inline(sent) is None
    bundle.write(sent)
    written = (tmp_path / "out" / "b.tar").read_bytes()

    module.params["inline_max"] = len(written)
    content = bundle.inline(sent)
    assert content is not None and base64.b64decode(content) == written
    module.params["inline_max"] = len(written) - 1
    assert bundle.inline(sent) is None


def test_documented_options_match_the_argument_spec() -> None:
    documented = set(yaml.safe_load(static_bundle.DOCUMENTATION)["options"])
    assert documented == {"repository", "tag", "path", "dest", "exclude", "inline_max"}
