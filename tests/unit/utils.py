"""Helpers to unit-test Ansible modules the way community.docker does.

    with set_module_args({...}), pytest.raises(AnsibleExitJson) as result:
        module.main()
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator, NoReturn
from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


class AnsibleExitJson(Exception):
    """Raised instead of exit_json: carries the module's result."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(result)
        self.result = result


class AnsibleFailJson(Exception):
    """Raised instead of fail_json: carries the module's failure."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(result)
        self.result = result


def _exit_json(self: basic.AnsibleModule, **kwargs: Any) -> NoReturn:
    kwargs.setdefault("changed", False)
    raise AnsibleExitJson(kwargs)


def _fail_json(self: basic.AnsibleModule, msg: str, **kwargs: Any) -> NoReturn:
    kwargs["failed"] = True
    kwargs["msg"] = msg
    raise AnsibleFailJson(kwargs)


@contextlib.contextmanager
def set_module_args(args: dict[str, Any]) -> Iterator[None]:
    """Give a module its arguments and turn exit_json/fail_json into exceptions."""
    with patch_module_args(args), mock.patch.multiple(
        basic.AnsibleModule, exit_json=_exit_json, fail_json=_fail_json
    ):
        yield
