"""dockyard.django.postgres_app_databases against db1's real PostgreSQL, as postgres over the
local socket (how the postgres role runs it): check, apply, idempotent, changed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from lab_helpers import host_run, run_module

pytestmark = pytest.mark.lab

HOST = "db1"
MODULE = "dockyard.django.postgres_app_databases"


def psql(query: str) -> str:
    return host_run(HOST, "su", "postgres", "-c", f"psql -qAtX -c \"{query}\"").stdout.strip()


@pytest.fixture()
def names(lab: None) -> Iterator[tuple[str, str]]:
    """A database and role name of this test, dropped afterwards (reruns start clean)."""
    suffix = uuid.uuid4().hex[:8]
    database, role = f"itdb{suffix}", f"itrole{suffix}"
    yield database, role
    host_run(HOST, "su", "postgres", "-c", f"psql -qX -c 'DROP DATABASE IF EXISTS {database}' -c 'DROP ROLE IF EXISTS {role}'",
             check=False)


def apply(databases: list[dict[str, str]], check: bool = False, **args: Any) -> dict[str, Any]:
    return run_module(HOST, MODULE, {"databases": databases, **args}, check=check, diff=True, become_user="postgres")


def test_check_apply_idempotent_changed(names: tuple[str, str]) -> None:
    database, role = names
    wanted = [{"name": database, "owner": role, "password": "first-password-1"}]

    checked = apply(wanted, check=True)
    assert not checked["failed"], checked.get("msg")
    assert checked["changed"] and checked["roles"][0]["created"] and checked["databases"][0]["created"]
    assert psql(f"SELECT count(*) FROM pg_roles WHERE rolname = '{role}'") == "0", "check mode created the role"

    applied = apply(wanted)
    assert not applied["failed"], applied.get("msg")
    assert applied["changed"]
    assert psql(f"SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding) FROM pg_database WHERE datname = '{database}'") \
        == f"{role}|UTF8"
    assert psql(f"SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = '{role}'") == "t|f|f|f"
    assert psql(f"SELECT has_database_privilege('public', '{database}', 'CONNECT')") == "f"
    # The password was sent as a SCRAM verifier made by the module (that PostgreSQL accepts it for a
    # login: the deploy tests' apps log in with roles this module made).
    assert psql(f"SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = '{role}'") == "SCRAM-SHA-256$"

    again = apply(wanted)
    assert not again["failed"] and not again["changed"], again

    # A new password, a role given powers by hand and CONNECT granted back are put right.
    psql(f"ALTER ROLE {role} CREATEDB")
    psql(f"GRANT CONNECT ON DATABASE {database} TO PUBLIC")
    changed = apply([{**wanted[0], "password": "second-password-2"}])
    assert changed["changed"], changed
    assert changed["roles"][0]["password_changed"] and changed["roles"][0]["attributes_changed"]
    assert changed["databases"][0]["public_connect_revoked"]
    assert psql(f"SELECT rolcreatedb FROM pg_roles WHERE rolname = '{role}'") == "f"
    assert psql(f"SELECT has_database_privilege('public', '{database}', 'CONNECT')") == "f"
    assert not apply([{**wanted[0], "password": "second-password-2"}])["changed"]


def test_a_password_set_by_postgresql_itself_is_recognised(names: tuple[str, str]) -> None:
    """An md5 verifier (from an older password_encryption) that matches is left alone."""
    database, role = names
    psql(f"SET password_encryption = 'md5'; CREATE ROLE {role} LOGIN PASSWORD 'kept-password-3'")
    psql(f"CREATE DATABASE {database} OWNER {role} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
    psql(f"REVOKE CONNECT ON DATABASE {database} FROM PUBLIC")
    result = apply([{"name": database, "owner": role, "password": "kept-password-3"}])
    assert not result["failed"] and not result["changed"], result


def test_bad_input_fails_clearly_and_changes_nothing(names: tuple[str, str]) -> None:
    database, role = names
    first, second = "bad-input-password-5", "bad-input-password-6"
    for databases, words in [
        ([{"name": "bad-name", "owner": role, "password": first}], "is not a plain PostgreSQL identifier"),
        ([{"name": database, "owner": "postgres", "password": first}], "may not be owned by postgres"),
        ([{"name": database, "owner": role, "password": first}, {"name": database + "b", "owner": role, "password": second}],
         "is given two different passwords"),
    ]:
        result = apply(databases)
        assert result["failed"] and words in result["msg"], result
        assert first not in str(result) and second not in str(result)
    assert psql(f"SELECT count(*) FROM pg_roles WHERE rolname = '{role}'") == "0"


def test_a_database_with_another_encoding_is_refused_before_any_change(names: tuple[str, str]) -> None:
    database, role = names
    psql(f"CREATE DATABASE {database} TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'")
    result = apply([{"name": database, "owner": role, "password": "some-password-4"}])
    assert result["failed"] and f"database '{database}' exists with encoding 'SQL_ASCII'" in result["msg"], result
    assert psql(f"SELECT count(*) FROM pg_roles WHERE rolname = '{role}'") == "0", "the role was created anyway"
