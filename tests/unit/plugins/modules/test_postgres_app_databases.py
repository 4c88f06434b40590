"""dockyard.django.postgres_app_databases: inputs it refuses before it connects. What it does to
a server is tested against db1's PostgreSQL (tests/integration/test_postgres_app_databases.py)."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dockyard.django.plugins.modules import postgres_app_databases
from unit.utils import AnsibleExitJson, AnsibleFailJson, set_module_args

SECRET = "unit-test-password-7"


def run(args: dict[str, Any]) -> dict[str, Any]:
    with set_module_args(args), pytest.raises((AnsibleExitJson, AnsibleFailJson)) as caught:
        postgres_app_databases.main()
    return caught.value.result


@pytest.mark.parametrize(("databases", "words"), [
    ([{"name": "shop-db", "owner": "shop", "password": SECRET}], "name 'shop-db' is not a plain PostgreSQL identifier"),
    ([{"name": "shop", "owner": "1shop", "password": SECRET}], "owner '1shop' is not a plain PostgreSQL identifier"),
    ([{"name": "shop", "owner": "postgres", "password": SECRET}], "database 'shop' may not be owned by postgres"),
    ([{"name": "a", "owner": "shop", "password": SECRET}, {"name": "b", "owner": "shop", "password": SECRET + "x"}],
     "role 'shop' is given two different passwords"),
    ([{"name": "a", "owner": "shop", "password": SECRET}, {"name": "a", "owner": "blog", "password": SECRET}],
     "database 'a' is given two different owners"),
])
def test_bad_input_fails_before_connecting_and_names_the_entry(databases: list[dict[str, str]], words: str) -> None:
    # No server listens on this socket: a failure naming the input came before any connection.
    result = run({"databases": databases, "socket_dir": "/nonexistent"})
    assert result["failed"] and words in result["msg"], result
    assert SECRET not in str(result)


def test_documented_options_match_the_argument_spec() -> None:
    import yaml

    documented = yaml.safe_load(postgres_app_databases.DOCUMENTATION)["options"]
    assert set(documented) == {"databases", "encoding", "locale", "port", "socket_dir"}
    assert set(documented["databases"]["suboptions"]) == {"name", "owner", "password"}
