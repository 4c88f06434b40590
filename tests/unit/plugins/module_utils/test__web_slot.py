"""Unit tests of the web slot decisions."""

from __future__ import annotations

import pytest

from ansible_collections.dockyard.django.plugins.module_utils._web_slot import (
    MalformedSlotFile,
    SlotState,
    StagePlan,
    describe,
    format_slot_env,
    parse_slot_file,
    plan_stage,
    port_of,
    tag_of_image,
)

SERVING_1 = SlotState(exists=True, running=True, health="healthy", tag="v1")
STOPPED_1 = SlotState(exists=True, running=False, tag="v1")
SERVING_2 = SlotState(exists=True, running=True, health="healthy", tag="v2")
STOPPED_2 = SlotState(exists=True, running=False, tag="v2")
STARTING_2 = SlotState(exists=True, running=True, health="starting", tag="v2")
NONE = SlotState()


@pytest.mark.parametrize("active, slots, tag, expected", [
    # first deploy: slot a starts
    (None, {"a": NONE, "b": NONE}, "v1", StagePlan("a", start=True, switch=True)),
    # the active slot serves the tag: nothing to do (a no-op deploy)
    ("a", {"a": SERVING_1, "b": NONE}, "v1", StagePlan("a", start=False, switch=False)),
    # a new tag goes beside the serving one
    ("a", {"a": SERVING_1, "b": NONE}, "v2", StagePlan("b", start=True, switch=True)),
    ("b", {"a": STOPPED_1, "b": SERVING_2}, "v3", StagePlan("a", start=True, switch=True)),
    # rollback: the stopped slot has the old tag and is started again
    ("b", {"a": STOPPED_1, "b": SERVING_2}, "v1", StagePlan("a", start=True, switch=True)),
    # a rerun after a failure between staging and switching: the staged slot serves already
    ("a", {"a": SERVING_1, "b": SERVING_2}, "v2", StagePlan("b", start=False, switch=True)),
    # staged but not healthy yet: start (compose waits for health)
    ("a", {"a": SERVING_1, "b": STARTING_2}, "v2", StagePlan("b", start=True, switch=True)),
    # the active slot runs the tag but is down (host came back): start the other slot
    ("a", {"a": STOPPED_1, "b": NONE}, "v1", StagePlan("b", start=True, switch=True)),
    # no SLOT record but a slot serves the tag
    (None, {"a": NONE, "b": SERVING_2}, "v2", StagePlan("b", start=False, switch=True)),
])
def test_plan_stage(active: str | None, slots: dict[str, SlotState], tag: str, expected: StagePlan) -> None:
    assert plan_stage(active, slots, tag) == expected


@pytest.mark.parametrize("active, slots, expected", [
    # an env rollout: the serving tag starts again in the other slot, and the front switches
    ("a", {"a": SERVING_1, "b": NONE}, StagePlan("b", start=True, switch=True)),
    ("b", {"a": STOPPED_2, "b": SERVING_1}, StagePlan("a", start=True, switch=True)),
    # the other slot serves the tag already (a rollout cut short): started again, compose
    # recreates it only if its configuration is not the one of the files now
    ("a", {"a": SERVING_1, "b": SERVING_1}, StagePlan("b", start=True, switch=True)),
])
def test_plan_stage_restart(active: str, slots: dict[str, SlotState], expected: StagePlan) -> None:
    assert plan_stage(active, slots, "v1", restart=True) == expected
    # a new tag goes beside the serving one either way
    assert plan_stage(active, slots, "v9", restart=True) == plan_stage(active, slots, "v9")


def test_no_healthcheck_counts_as_serving_when_running() -> None:
    assert SlotState(exists=True, running=True, health=None, tag="v1").serving
    assert not SlotState(exists=True, running=True, health="unhealthy", tag="v1").serving


def test_ports_and_env() -> None:
    assert port_of("a", 8001) == 8001 and port_of("b", 8001) == 8002
    assert format_slot_env("v2", 8002) == "TAG=v2\nWEB_PORT=8002\n"


@pytest.mark.parametrize("image, tag", [
    ("registry:5000/demo:build-2", "build-2"), ("demo:v1", "v1"), ("registry:5000/demo", None),
    ("demo@sha256:abc", None), ("localhost:5000/a/b:x.y", "x.y"),
])
def test_tag_of_image(image: str, tag: str | None) -> None:
    assert tag_of_image(image) == tag


@pytest.mark.parametrize("text", ["a\n", "b", "a"])
def test_slot_file(text: str) -> None:
    assert parse_slot_file(text, "/var/www/x/SLOT") in {"a", "b"}


@pytest.mark.parametrize("text", ["", "c\n", "a\nb\n", "blue"])
def test_malformed_slot_file(text: str) -> None:
    with pytest.raises(MalformedSlotFile, match="/var/www/x/SLOT is malformed"):
        parse_slot_file(text, "/var/www/x/SLOT")


def test_describe() -> None:
    text = describe("b", {"a": STOPPED_1, "b": SERVING_2}, 8001)
    assert text == "active: b\nslot a (port 8001): v1 stopped\nslot b (port 8002): v2 running (healthy)\n"
