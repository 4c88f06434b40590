#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: postgres_app_databases
short_description: Keep the apps' login roles and databases on a PostgreSQL server, in one call
version_added: 0.2.0
description:
  - For each entry of O(databases), makes its owner a login role with that password and no
    other powers (C(NOSUPERUSER NOCREATEDB NOCREATEROLE)), makes the database with that owner,
    and revokes C(CONNECT) on it from C(PUBLIC), so that only its owner (and superusers) may connect.
  - One connection and one round trip for every app, where a loop of
    M(community.postgresql.postgresql_user), M(community.postgresql.postgresql_db) and
    M(community.postgresql.postgresql_privs) takes three per app.
  - Reads everything first, then changes what differs. Roles and databases are only created or
    altered, never dropped. A database that exists with another encoding or locale makes the
    module fail before it changes anything (changing them needs a dump and a restore).
  - A password is compared with the stored verifier (SCRAM-SHA-256 or md5); a new ASCII password
    is sent as a SCRAM-SHA-256 verifier made here, so the password itself never reaches the server
    or its statement log.
  - Connects as the user it runs as (for instance C(become_user=postgres)) over the local socket.
requirements:
  - psycopg2 on the host (Debian's C(python3-psycopg2)).
options:
  databases:
    description:
      - One entry per app database.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The database.
        type: str
        required: true
      owner:
        description: The login role that owns it. Several databases may share an owner, with one password.
        type: str
        required: true
      password:
        description: The owner's password (never shown in the module's output).
        type: str
        required: true
  encoding:
    description: The encoding of a new database.
    type: str
    default: UTF8
  locale:
    description: C(LC_COLLATE) and C(LC_CTYPE) of a new database.
    type: str
    default: C.UTF-8
  port:
    description: The server's port (the local socket's name depends on it).
    type: int
    default: 5432
  socket_dir:
    description: The directory of the server's local socket.
    type: path
    default: /var/run/postgresql
attributes:
  check_mode:
    support: full
    description: Reads the roles and databases and reports what would change; changes nothing.
  diff_mode:
    support: full
    description: Each role and database that would change, before and after; a password only as changed or not.
extends_documentation_fragment:
  - dockyard.django.attributes
seealso:
  - module: community.postgresql.postgresql_user
  - module: community.postgresql.postgresql_db
author: "dockyard.django maintainers (@dockyard)"
"""

EXAMPLES = r"""
- name: Create the app login roles and databases
  dockyard.django.postgres_app_databases:
    databases:
      - name: shop
        owner: shop
        password: "{{ vault_shop_db_password }}"
    port: 5432
  become: true
  become_user: postgres
"""

RETURN = r"""
roles:
  description: Each owner, in the order first given, with what changed.
  returned: always
  type: list
  elements: dict
  sample: [{name: shop, created: false, changed: true, password_changed: true, attributes_changed: false}]
databases:
  description: Each database, in the order given, with what changed.
  returned: always
  type: list
  elements: dict
  sample: [{name: shop, created: false, changed: false, owner_changed: false, public_connect_revoked: false}]
"""

import re
import traceback
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.dockyard.django.plugins.module_utils._postgres import scram_verifier, verifier_matches

try:
    import psycopg2
    from psycopg2 import sql
except ImportError:
    PSYCOPG2_ERROR: str | None = traceback.format_exc()
else:
    PSYCOPG2_ERROR = None

# The attributes of an app's login role: it logs in, and can do nothing else to the cluster.
ROLE_ATTRIBUTES = {"rolcanlogin": True, "rolsuper": False, "rolcreatedb": False, "rolcreaterole": False}
ROLE_ATTRIBUTE_SQL = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
# PostgreSQL identifiers as the postgres role checks them (and a little wider: no quoting games).
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class AppDatabases:
    """Read the roles and databases, compare with the entries, then create or alter what differs."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.owners: dict[str, str] = {}
        self.databases: dict[str, str] = {}

    def validate(self) -> None:
        """Fail, changing nothing, on a bad name or an owner given two passwords."""
        for entry in self.params["databases"]:
            for key in ("name", "owner"):
                if not NAME_RE.match(entry[key]):
                    self.module.fail_json(msg=f"databases: {key} {entry[key]!r} is not a plain PostgreSQL identifier"
                                              " (letters, digits and _, not starting with a digit, at most 63)")
            if entry["owner"] == "postgres":
                self.module.fail_json(msg=f"databases: database {entry['name']!r} may not be owned by postgres")
            if self.owners.get(entry["owner"], entry["password"]) != entry["password"]:
                self.module.fail_json(msg=f"databases: role {entry['owner']!r} is given two different passwords")
            if self.databases.get(entry["name"], entry["owner"]) != entry["owner"]:
                self.module.fail_json(msg=f"databases: database {entry['name']!r} is given two different owners")
            self.owners[entry["owner"]] = entry["password"]
            self.databases[entry["name"]] = entry["owner"]

    def _read(self, cursor: Any) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        cursor.execute(
            "SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolpassword"
            " FROM pg_catalog.pg_authid WHERE rolname = ANY(%s)", (list(self.owners),))
        roles = {row[0]: dict(zip(["rolcanlogin", "rolsuper", "rolcreatedb", "rolcreaterole", "verifier"], row[1:]))
                 for row in cursor.fetchall()}
        cursor.execute(
            "SELECT d.datname, pg_catalog.pg_get_userbyid(d.datdba), pg_catalog.pg_encoding_to_char(d.encoding),"
            " d.datcollate, d.datctype, pg_catalog.has_database_privilege('public', d.oid, 'CONNECT')"
            " FROM pg_catalog.pg_database d WHERE d.datname = ANY(%s)", (list(self.databases),))
        databases = {row[0]: dict(zip(["owner", "encoding", "collate", "ctype", "public_connect"], row[1:]))
                     for row in cursor.fetchall()}
        return roles, databases

    def _set_password(self, cursor: Any, role: str, password: str, create: bool) -> None:
        # An ASCII password goes as a verifier; others as they are (the server normalises them).
        secret = scram_verifier(password) if password.isascii() else password
        statement = "CREATE ROLE {} WITH " if create else "ALTER ROLE {} WITH "
        cursor.execute(sql.SQL(statement + ROLE_ATTRIBUTE_SQL + " PASSWORD %s").format(sql.Identifier(role)), (secret,))

    def run(self, connection: Any) -> dict[str, Any]:
        check = self.module.check_mode
        cursor = connection.cursor()
        roles, databases = self._read(cursor)
        for name, owner in self.databases.items():
            found = databases.get(name)
            if found is None:
                continue
            wrong = [f"{key} {found[key]!r} (wanted {wanted!r})" for key, wanted in
                     (("encoding", self.params["encoding"]), ("collate", self.params["locale"]),
                      ("ctype", self.params["locale"])) if found[key].lower().replace("-", "") != wanted.lower().replace("-", "")]
            if wrong:
                self.module.fail_json(msg=f"database {name!r} exists with {', '.join(wrong)}; changing them needs a dump"
                                          " and a restore into a new database, so nothing was changed")
        results: dict[str, list[dict[str, Any]]] = {"roles": [], "databases": []}
        diff_before: list[str] = []
        diff_after: list[str] = []
        for role, password in self.owners.items():
            found = roles.get(role)
            created = found is None
            attributes_changed = not created and any(found[key] != value for key, value in ROLE_ATTRIBUTES.items())
            password_changed = created or not verifier_matches(found["verifier"], password, role)
            changed = created or attributes_changed or password_changed
            if changed and not check:
                self._set_password(cursor, role, password, create=created)
            if changed:
                diff_before.append(f"role {role}: " + ("absent" if created else "present"))
                diff_after.append(f"role {role}: present, {ROLE_ATTRIBUTE_SQL}"
                                  + (", password changed" if password_changed and not created else ""))
            results["roles"].append({"name": role, "created": created, "changed": changed,
                                     "password_changed": password_changed and not created,
                                     "attributes_changed": attributes_changed})
        for name, owner in self.databases.items():
            found = databases.get(name)
            created = found is None
            owner_changed = not created and found["owner"] != owner
            revoke = created or found["public_connect"]
            if not check:
                if created:
                    cursor.execute(sql.SQL("CREATE DATABASE {} OWNER {} ENCODING %s LC_COLLATE %s LC_CTYPE %s"
                                           " TEMPLATE template0").format(sql.Identifier(name), sql.Identifier(owner)),
                                   (self.params["encoding"], self.params["locale"], self.params["locale"]))
                if owner_changed:
                    cursor.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(name), sql.Identifier(owner)))
                if revoke:
                    cursor.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(sql.Identifier(name)))
            changed = created or owner_changed or revoke
            if changed:
                diff_before.append(f"database {name}: " + ("absent" if created else
                                                           f"owner {found['owner']}, PUBLIC may connect: {found['public_connect']}"))
                diff_after.append(f"database {name}: owner {owner}, PUBLIC may connect: False")
            results["databases"].append({"name": name, "created": created, "changed": changed,
                                         "owner_changed": owner_changed, "public_connect_revoked": revoke})
        result: dict[str, Any] = {
            "changed": any(entry["changed"] for entry in results["roles"] + results["databases"]), **results}
        if self.module._diff:
            result["diff"] = {"before": "".join(line + "\n" for line in diff_before),
                              "after": "".join(line + "\n" for line in diff_after)}
        return result


def main() -> None:
    argument_spec: dict[str, Any] = {
        "databases": {"type": "list", "elements": "dict", "required": True, "options": {
            "name": {"type": "str", "required": True},
            "owner": {"type": "str", "required": True},
            "password": {"type": "str", "required": True, "no_log": True},
        }},
        "encoding": {"type": "str", "default": "UTF8"},
        "locale": {"type": "str", "default": "C.UTF-8"},
        "port": {"type": "int", "default": 5432},
        "socket_dir": {"type": "path", "default": "/var/run/postgresql"},
    }
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    state = AppDatabases(module)
    state.validate()
    if PSYCOPG2_ERROR is not None:
        module.fail_json(msg=missing_required_lib("psycopg2"), exception=PSYCOPG2_ERROR)
    try:
        # CREATE DATABASE cannot run in a transaction: each statement commits on its own.
        connection = psycopg2.connect(dbname="postgres", host=module.params["socket_dir"], port=module.params["port"])
        connection.autocommit = True
    except psycopg2.Error as exc:
        module.fail_json(msg=f"cannot connect to PostgreSQL on port {module.params['port']}: {str(exc).strip()}")
    try:
        result = state.run(connection)
    except psycopg2.Error as exc:
        module.fail_json(msg=f"PostgreSQL refused a statement: {str(exc).strip()}")
    finally:
        connection.close()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
