"""Unit tests of the image module's pure logic: references, retention, retries, errors."""

from __future__ import annotations

import pytest

from ansible_collections.dockyard.django.plugins.module_utils._image import (
    AUTH,
    NOT_FOUND,
    OTHER,
    TLS,
    TRANSIENT,
    UNREACHABLE,
    LocalTag,
    RetriesExhausted,
    backoff_delays,
    classify_error,
    describe_error,
    parse_created,
    registry_of,
    repo_digest,
    select_retention,
    split_reference,
    tag_lines,
    tags_of,
    with_retries,
)

REPO = "registry:5000/demo"


def tags(*specs: tuple[str, str, float]) -> list[LocalTag]:
    return [LocalTag(tag, image_id, created) for tag, image_id, created in specs]


# -- references ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("registry:5000/demo", ("registry:5000/demo", None, None)),
        ("registry:5000/demo:b1", ("registry:5000/demo", "b1", None)),
        ("demo:latest", ("demo", "latest", None)),
        ("registry:5000/a/b@sha256:abc", ("registry:5000/a/b", None, "sha256:abc")),
        ("registry:5000/a/b:t@sha256:abc", ("registry:5000/a/b", "t", "sha256:abc")),
        ("localhost:5000/x", ("localhost:5000/x", None, None)),
    ],
)
def test_split_reference(reference: str, expected: tuple[str, str | None, str | None]) -> None:
    assert split_reference(reference) == expected


@pytest.mark.parametrize(
    ("repository", "registry"),
    [("registry:5000/demo", "registry:5000"), ("ghcr.io/o/r", "ghcr.io"), ("localhost/x", "localhost"),
     ("library/debian", "docker.io"), ("debian", "docker.io")],
)
def test_registry_of(repository: str, registry: str) -> None:
    assert registry_of(repository) == registry


def test_tags_of_keeps_only_this_repository() -> None:
    repo_tags = [f"{REPO}:a", "registry:5000/demo2:b", f"{REPO}:c", "other/demo:d", "<none>:<none>"]
    assert tags_of(repo_tags, REPO) == ["a", "c"]
    assert tags_of(None, REPO) == []


def test_repo_digest_picks_this_repository() -> None:
    digests = ["registry:5000/other@sha256:1", f"{REPO}@sha256:2"]
    assert repo_digest(digests, REPO) == f"{REPO}@sha256:2"
    assert repo_digest([], REPO) is None


def test_parse_created_orders_within_one_second() -> None:
    early = parse_created("2026-11-23T13:15:06.468390132Z")
    late = parse_created("2026-11-23T13:15:06.900000000Z")
    assert early < late
    assert parse_created("2026-11-23T13:15:06Z") == 1795439706.0
    assert parse_created("2026-11-23T14:15:06+01:00") == 1795439706.0
    assert parse_created(1795439706) == 1795439706.0
    with pytest.raises(ValueError):
        parse_created("yesterday")


# -- retention -------------------------------------------------------------------------


def test_keeps_newest_n_and_removes_the_rest() -> None:
    local = tags(("b1", "i1", 1), ("b2", "i2", 2), ("b3", "i3", 3), ("b4", "i4", 4))
    result = select_retention(local, keep=2)
    assert result.kept == ["b4", "b3"]
    assert result.removed == ["b2", "b1"]


def test_protected_tag_is_kept_on_top_of_keep() -> None:
    local = tags(("b1", "i1", 1), ("b2", "i2", 2), ("b3", "i3", 3), ("b4", "i4", 4))
    result = select_retention(local, keep=2, protect=["b1", "not-local"])
    assert result.kept == ["b4", "b3", "b1"]
    assert result.removed == ["b2"]


def test_tag_used_by_container_is_kept_by_id_and_by_name() -> None:
    local = tags(("b1", "i1", 1), ("b2", "i2", 2), ("b3", "i3", 3), ("b4", "i4", 4))
    assert select_retention(local, keep=1, in_use_ids=["i2"]).removed == ["b3", "b1"]
    assert select_retention(local, keep=1, in_use_tags=["b1"]).removed == ["b3", "b2"]


def test_each_tag_counts_once_and_shared_images_stay_together() -> None:
    # i3 carries two tags: they fill both places of keep=2.
    local = tags(("b1", "i1", 1), ("b2", "i2", 2), ("b3", "i3", 3), ("b3-alias", "i3", 3))
    result = select_retention(local, keep=2)
    assert result.kept == ["b3-alias", "b3"]
    assert result.removed == ["b2", "b1"]


def test_never_untags_an_image_a_protected_tag_shares() -> None:
    local = tags(("old-alias", "i1", 1), ("old", "i1", 1), ("b2", "i2", 2), ("b3", "i3", 3))
    result = select_retention(local, keep=1, protect=["old"])
    assert "old-alias" in result.kept and "old" in result.kept
    assert result.removed == ["b2"]


def test_nothing_to_remove_is_stable() -> None:
    local = tags(("b1", "i1", 1), ("b2", "i2", 2))
    result = select_retention(local, keep=5)
    assert result.removed == [] and result.kept == ["b2", "b1"]
    assert select_retention([], keep=1).kept == []


def test_ties_in_time_break_by_tag_name() -> None:
    local = tags(("a", "i1", 5), ("c", "i3", 5), ("b", "i2", 5))
    assert select_retention(local, keep=1).kept == ["c"]


def test_keep_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="keep"):
        select_retention([], keep=0)


# -- retries ---------------------------------------------------------------------------


def test_backoff_doubles_and_caps() -> None:
    assert backoff_delays(3, 2) == [2, 4, 8]
    assert backoff_delays(0, 2) == []
    assert backoff_delays(8, 2)[-2:] == [60, 60]
    assert backoff_delays(2, 0) == [0, 0]
    with pytest.raises(ValueError):
        backoff_delays(-1, 2)


class Flaky:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def test_retries_transient_errors_with_the_schedule() -> None:
    slept: list[float] = []
    action = Flaky([OSError("blip"), OSError("blip")])
    result, attempts = with_retries(action, [2, 4, 8], lambda exc: True, sleep=slept.append)
    assert (result, attempts, slept) == ("ok", 3, [2, 4])


def test_gives_up_after_the_last_retry() -> None:
    slept: list[float] = []
    action = Flaky([OSError(str(n)) for n in range(5)])
    with pytest.raises(RetriesExhausted) as caught:
        with_retries(action, [1, 2], lambda exc: True, sleep=slept.append)
    assert caught.value.attempts == 3 and slept == [1, 2] and str(caught.value.error) == "2"


def test_permanent_error_is_not_retried() -> None:
    slept: list[float] = []
    with pytest.raises(RetriesExhausted) as caught:
        with_retries(Flaky([KeyError("x")]), [1, 2], lambda exc: False, sleep=slept.append)
    assert caught.value.attempts == 1 and slept == []


# -- error classification (daemon messages as the lab's engine writes them) --------------


@pytest.mark.parametrize(
    ("status", "message", "kind"),
    [
        (404, "manifest unknown: manifest unknown", NOT_FOUND),
        (404, "manifest for registry:5000/demo:nope not found: manifest unknown: manifest unknown", NOT_FOUND),
        (401, "unauthorized: authentication required", AUTH),
        (500, "unauthorized: authentication required", AUTH),
        (500, 'Head "https://registry:5000/v2/demo/manifests/t": no basic auth credentials', AUTH),
        (403, "denied", AUTH),
        (500, 'Get "https://nosuchhost:5000/v2/": dial tcp: lookup nosuchhost on 127.0.0.11:53: no such host',
         UNREACHABLE),
        (500, 'Get "https://registry:5999/v2/": dial tcp 172.18.0.7:5999: connect: connection refused', UNREACHABLE),
        (500, "net/http: TLS handshake timeout", UNREACHABLE),
        (500, "tls: failed to verify certificate: x509: certificate signed by unknown authority", TLS),
        (429, "toomanyrequests: slow down", TRANSIENT),
        (503, "Service Unavailable", TRANSIENT),
        (500, "unexpected EOF", TRANSIENT),
        (400, "invalid reference format", OTHER),
    ],
)
def test_classify_error(status: int, message: str, kind: str) -> None:
    assert classify_error(status, message) == kind


def test_messages_tell_the_failures_apart() -> None:
    assert describe_error(NOT_FOUND, REPO, "b9", "x").startswith(f"tag b9 not found in repository {REPO}")
    assert "refused the credentials" in describe_error(AUTH, REPO, "b9", "x")
    assert "unreachable" in describe_error(UNREACHABLE, REPO, "b9", "x")


# -- release files ---------------------------------------------------------------------


def test_tag_lines_are_sorted() -> None:
    assert tag_lines(["b", "a"]) == "a\nb\n"
    assert tag_lines([]) == ""
