"""Unit tests of the manage module: argument validation and the run, with a fake Engine."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import pytest
from docker.errors import ImageNotFound, NotFound
from requests.exceptions import ReadTimeout

from ansible_collections.dockyard.django.plugins.module_utils import _docker
from ansible_collections.dockyard.django.plugins.modules import manage
from unit.utils import AnsibleExitJson, AnsibleFailJson, set_module_args

SECRET = "s3cr3t-Key-0123456789"


class FakeContainer:
    def __init__(self, name: str, kwargs: dict[str, Any]) -> None:
        self.name = name
        self.kwargs = kwargs
        self.status = "created"


class FakeEngine:
    """Enough of the low-level docker.APIClient for the module, with a scripted outcome."""

    def __init__(self) -> None:
        self.behaviour = "exit"
        self.rc = 0
        self.stdout = ""
        self.stderr = ""
        self.images: set[str] = {"registry:5000/shop/web:v1"}
        self.pulled: list[str] = []
        self.containers: dict[str, FakeContainer] = {}
        self.created: list[FakeContainer] = []
        self.removed: list[str] = []
        self.wait_timeout: float | None = None
        self.closed = False

    # images
    def inspect_image(self, ref: str) -> dict[str, Any]:
        if ref not in self.images:
            raise ImageNotFound("no such image")
        return {"Id": "sha256:1"}

    def pull(self, repository: str, tag: str, stream: bool, decode: bool,
             auth_config: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
        self.pulled.append(f"{repository}:{tag}")
        self.images.add(f"{repository}:{tag}")
        return iter([{"status": "Downloaded newer image"}])

    # containers
    def create_host_config(self, **kwargs: Any) -> dict[str, Any]:
        return kwargs

    def create_container(self, image: str, **kwargs: Any) -> dict[str, Any]:
        container = FakeContainer(kwargs["name"], {"image": image, **kwargs})
        self.containers[container.name] = container
        self.created.append(container)
        return {"Id": container.name}

    def start(self, container: str) -> None:
        self.containers[container].status = "running"

    def wait(self, container: str, timeout: float | None = None) -> dict[str, Any]:
        self.wait_timeout = timeout
        if self.behaviour == "timeout":
            raise ReadTimeout("read timed out")
        if self.behaviour == "sigterm":
            os.kill(os.getpid(), signal.SIGTERM)
        self.containers[container].status = "exited"
        return {"StatusCode": self.rc}

    def inspect_container(self, container: str) -> dict[str, Any]:
        return {"State": {"Status": self.containers[container].status, "ExitCode": self.rc}}

    def logs(self, container: str, stdout: bool = True, stderr: bool = True) -> bytes:
        return (self.stdout if stdout else self.stderr).encode()

    def remove_container(self, name: str, force: bool = False, v: bool = False) -> None:
        assert force
        if name not in self.containers:
            raise NotFound("no such container")
        del self.containers[name]
        self.removed.append(name)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def app_files(tmp_path: Path) -> dict[str, str]:
    """A release record and an env file, as on a real server."""
    root = tmp_path / "www"
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "TAG").write_text("export TAG=v1\n")
    env_file = tmp_path / "shop.env"
    env_file.write_text(f"# shop\nSECRET_KEY='{SECRET}'\nexport DEBUG=0\n")
    env_file.chmod(0o600)
    return {"root": str(root), "env_file": str(env_file)}


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    monkeypatch.setattr(manage, "connect", lambda _module: fake)
    return fake


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach Docker is a test failure."""
    def refuse(_module: Any) -> None:
        raise AssertionError("the Docker client must not be created for bad inputs")
    monkeypatch.setattr(manage, "connect", refuse)


def args(app_files: dict[str, str], **overrides: Any) -> dict[str, Any]:
    return {"app": "shop", "image": "registry:5000/shop/web", "argv": ["migrate", "--noinput"], **app_files,
            **overrides}


def run(module_args: dict[str, Any]) -> dict[str, Any]:
    with set_module_args(module_args), pytest.raises((AnsibleExitJson, AnsibleFailJson)) as info:
        manage.main()
    return info.value.result


# -- bad inputs: clear message, Docker never touched ----------------------------------------------

@pytest.mark.parametrize("overrides, message", [
    ({"tag": "bad tag"}, "not a valid Docker tag"),
    ({"tag": "-x"}, "not a valid Docker tag"),
    ({"app": "../x"}, "not a valid app name"),
    ({"app": "a b"}, "not a valid app name"),
    ({"app": "x;y"}, "not a valid app name"),
    ({"image": "registry:5000/shop/web:v1"}, "must not carry a tag"),
    ({"image": "Shop/Web"}, "not a valid Docker repository"),
    ({"argv": []}, "argv must be a non-empty list"),
    ({"argv": ["--noinput"]}, "must start with the command name"),
    ({"timeout": 0}, "timeout must be a positive"),
    ({"timeout": -5}, "timeout must be a positive"),
    ({"volumes": ["/srv/static"]}, "is not 'src:dst"),
    ({"volumes": ["/srv/static:static"]}, "must be absolute"),
    ({"network": ""}, "network must be"),
    ({"limits": {"memory": "lots"}}, "limits.memory must be a size such as 512m"),
    ({"limits": {"cpus": 0}}, "limits.cpus must be a number of CPUs from 0.01"),
])
def test_bad_inputs_fail_before_docker(no_engine: None, app_files: dict[str, str],
                                       overrides: dict[str, Any], message: str) -> None:
    result = run(args(app_files, **overrides))
    assert result["failed"]
    assert message in result["msg"]


def test_missing_tag_file_is_named(no_engine: None, app_files: dict[str, str]) -> None:
    tag_file = Path(app_files["root"]) / "shop" / "TAG"
    tag_file.unlink()
    result = run(args(app_files))
    assert result["failed"]
    assert str(tag_file) in result["msg"] and "does not exist" in result["msg"]


@pytest.mark.parametrize("content", ["v1\n", "export TAG=v1;rm -rf /\n", "export TAG=a\nexport TAG=b\n", ""])
def test_malformed_tag_file_is_named(no_engine: None, app_files: dict[str, str], content: str) -> None:
    tag_file = Path(app_files["root"]) / "shop" / "TAG"
    tag_file.write_text(content)
    result = run(args(app_files))
    assert result["failed"]
    assert str(tag_file) in result["msg"]


def test_missing_env_file_is_named(no_engine: None, app_files: dict[str, str], tmp_path: Path) -> None:
    missing = str(tmp_path / "nope")
    result = run(args(app_files, env_file=missing))
    assert result["failed"]
    assert missing in result["msg"] and "does not exist" in result["msg"]


def test_malformed_env_file_hides_its_content(no_engine: None, app_files: dict[str, str]) -> None:
    Path(app_files["env_file"]).write_text(f"SECRET_KEY={SECRET}\nnot a line {SECRET}\n")
    result = run(args(app_files))
    assert result["failed"]
    assert "line 2" in result["msg"]
    assert SECRET not in repr(result)


def test_env_file_defaults_to_etc_default(no_engine: None, app_files: dict[str, str]) -> None:
    module_args = args(app_files, app="nosuchappxyz")
    del module_args["env_file"]
    module_args["tag"] = "v1"
    result = run(module_args)
    assert "/etc/default/nosuchappxyz" in result["msg"]


def test_missing_docker_sdk(monkeypatch: pytest.MonkeyPatch, app_files: dict[str, str]) -> None:
    monkeypatch.setattr(manage, "connect", _docker.connect)
    monkeypatch.setattr(_docker, "DOCKER_IMPORT_ERROR", "Traceback: No module named 'docker'")
    result = run(args(app_files))
    assert result["failed"]
    assert "docker" in result["msg"] and "Python" in result["msg"]


# -- runs ---------------------------------------------------------------------------------------

def test_migrate_applies_and_reports(engine: FakeEngine, app_files: dict[str, str]) -> None:
    engine.stdout = ("Operations to perform:\n  Apply all migrations: notes\nRunning migrations:\n"
                     "  Applying notes.0002_seed_note... OK\n")
    result = run(args(app_files, volumes=["/srv/shop/data:/data"], user="1000"))
    assert result["changed"] and not result.get("failed")
    assert result["applied"] == ["notes.0002_seed_note"]
    assert result["tag"] == "v1"
    assert result["cmd"] == ["python", "manage.py", "migrate", "--noinput"]
    assert isinstance(result["duration"], float)
    (container,) = engine.created
    assert container.kwargs["image"] == "registry:5000/shop/web:v1"
    assert container.kwargs["environment"] == {"SECRET_KEY": SECRET, "DEBUG": "0"}
    assert container.kwargs["labels"] == {"dockyard.django.task": "shop"}
    assert container.kwargs["host_config"] == {"network_mode": "none", "binds": ["/srv/shop/data:/data"]}
    assert container.kwargs["user"] == "1000"
    assert engine.removed == [container.name] and not engine.containers
    assert engine.pulled == []
    assert engine.wait_timeout == 600


def test_limits_reach_the_container_in_dockers_units(engine: FakeEngine, app_files: dict[str, str]) -> None:
    engine.stdout = "No migrations to apply.\n"
    run(args(app_files, limits={"memory": "512m", "cpus": 1.5}))
    (container,) = engine.created
    assert container.kwargs["host_config"] == {"network_mode": "none", "binds": [], "mem_limit": 512 * 1024**2,
                                               "nano_cpus": 1_500_000_000}


def test_migrate_without_work_is_not_changed(engine: FakeEngine, app_files: dict[str, str]) -> None:
    engine.stdout = "Operations to perform:\n  Apply all migrations: notes\nRunning migrations:\n  No migrations to apply.\n"
    result = run(args(app_files))
    assert not result["changed"]
    assert result["applied"] == []


def test_explicit_tag_is_pulled_when_missing(engine: FakeEngine, app_files: dict[str, str]) -> None:
    engine.stdout = "\n0 static files copied to '/static', 3 unmodified.\n"
    result = run(args(app_files, tag="v2", argv=["collectstatic", "--noinput"]))
    assert engine.pulled == ["registry:5000/shop/web:v2"]
    assert result["tag"] == "v2" and not result["changed"]


def test_pull_never_fails_on_missing_image(engine: FakeEngine, app_files: dict[str, str]) -> None:
    result = run(args(app_files, tag="v2", pull="never"))
    assert result["failed"] and "registry:5000/shop/web:v2" in result["msg"]
    assert not engine.created


def test_other_commands_follow_changes(engine: FakeEngine, app_files: dict[str, str]) -> None:
    assert run(args(app_files, argv=["compress"]))["changed"]
    assert not run(args(app_files, argv=["compress"], changes=False))["changed"]


def test_read_only_commands_never_change(engine: FakeEngine, app_files: dict[str, str]) -> None:
    assert not run(args(app_files, argv=["check", "--deploy"]))["changed"]
    engine.stdout = "Planned operations:\nnotes.0003_x\n    Add field x\n"
    assert not run(args(app_files, argv=["migrate", "--plan"]))["changed"]


def test_check_mode_runs_django_read_only_commands(engine: FakeEngine, app_files: dict[str, str]) -> None:
    result = run(args(app_files, argv=["showmigrations"], _ansible_check_mode=True))
    assert not result["changed"] and result["rc"] == 0 and not result.get("skipped") and engine.created


def test_custom_manage_prefix(engine: FakeEngine, app_files: dict[str, str]) -> None:
    result = run(args(app_files, manage=[], argv=["compress"]))
    assert result["cmd"] == ["compress"]
    assert engine.created[0].kwargs["command"] == ["compress"]


def test_env_option_overrides_file_and_is_masked(engine: FakeEngine, app_files: dict[str, str]) -> None:
    engine.stdout = "token=extra-token-value\n"
    result = run(args(app_files, argv=["x"], env={"DEBUG": "1", "TOKEN": "extra-token-value"}))
    assert engine.created[0].kwargs["environment"]["DEBUG"] == "1"
    assert "extra-token-value" not in result["stdout"]


def test_nonzero_exit_fails_with_rc_and_masked_stderr(engine: FakeEngine, app_files: dict[str, str]) -> None:
    engine.rc = 3
    engine.stderr = f"Traceback (most recent call last):\n  ...\nRuntimeError: bad key {SECRET}\n"
    result = run(args(app_files, argv=["fail"]))
    assert result["failed"] and result["rc"] == 3
    assert result["msg"] == "manage.py fail failed (exit 3): RuntimeError: bad key ********"
    assert SECRET not in repr(result)
    assert "********" in result["msg"] and "********" in result["stderr"]
    assert not engine.containers


def test_secret_printed_on_purpose_is_masked(engine: FakeEngine, app_files: dict[str, str]) -> None:
    engine.stdout = f"SECRET_KEY is {SECRET}\n"
    result = run(args(app_files, argv=["printsecret"]))
    assert result["stdout"] == "SECRET_KEY is ********\n"
    assert SECRET not in repr(result)


def test_timeout_kills_removes_and_names_it(engine: FakeEngine, app_files: dict[str, str]) -> None:
    engine.behaviour = "timeout"
    result = run(args(app_files, argv=["sleep", "60"], timeout=7))
    assert result["failed"]
    assert "timeout of 7 seconds" in result["msg"]
    assert engine.wait_timeout == 7
    assert len(engine.removed) == 1 and not engine.containers


def test_sigterm_removes_the_container(engine: FakeEngine, app_files: dict[str, str]) -> None:
    engine.behaviour = "sigterm"
    before = signal.getsignal(signal.SIGTERM)
    result = run(args(app_files, argv=["sleep", "60"]))
    assert result["failed"] and "SIGTERM" in result["msg"]
    assert len(engine.removed) == 1 and not engine.containers
    assert signal.getsignal(signal.SIGTERM) is before


# -- check mode ---------------------------------------------------------------------------------

def test_check_mode_migrate_runs_the_plan(engine: FakeEngine, app_files: dict[str, str]) -> None:
    engine.stdout = "Planned operations:\nnotes.0002_seed_note\n    Raw Python operation\n"
    result = run(args(app_files, _ansible_check_mode=True))
    assert result["changed"] and result["pending"] == ["notes.0002_seed_note"]
    assert engine.created[0].kwargs["command"] == ["python", "manage.py", "migrate", "--noinput", "--plan"]
    assert "applied" not in result


def test_check_mode_migrate_nothing_pending(engine: FakeEngine, app_files: dict[str, str]) -> None:
    engine.stdout = "Planned operations:\n  No planned migration operations.\n"
    result = run(args(app_files, _ansible_check_mode=True))
    assert not result["changed"] and result["pending"] == []


def test_check_mode_collectstatic_is_a_dry_run(engine: FakeEngine, app_files: dict[str, str]) -> None:
    engine.stdout = "Pretending to copy '/app/notes/static/notes/notes.css'\n\n1 static file copied to '/static'.\n"
    result = run(args(app_files, argv=["collectstatic", "--noinput"], _ansible_check_mode=True))
    assert result["changed"]
    assert engine.created[0].kwargs["command"][-1] == "--dry-run"


def test_check_mode_skips_other_commands(no_engine: None, app_files: dict[str, str]) -> None:
    result = run(args(app_files, argv=["compress"], _ansible_check_mode=True))
    assert result["skipped"] and not result["changed"] and not result.get("failed")


def test_check_mode_runs_read_only_commands(engine: FakeEngine, app_files: dict[str, str]) -> None:
    result = run(args(app_files, argv=["check", "--deploy"], changes=False, _ansible_check_mode=True))
    assert not result["changed"] and result["rc"] == 0 and engine.created
