"""Static checks of the roles' contracts (no lab needed).

1. A role's tasks, handlers, templates and vars read only variables the role declares
   (defaults, vars, meta/argument_specs.yml), sets itself (set_fact, register, loop_var,
   task and block vars), or that Ansible provides (magic variables, facts).
2. In the deploy role, a fact one phase sets and another phase reads (they run in different
   plays, so only hostvars carries it) is listed in docs/DESIGN.md's run-state table, and the
   table names the phase that really sets it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
ROLES = sorted(path for path in (REPO / "roles").iterdir() if (path / "tasks").is_dir())
DESIGN = REPO / "docs" / "DESIGN.md"

# What Ansible provides to every task: magic variables, connection and fact variables.
MAGIC = {
    "inventory_hostname", "inventory_hostname_short", "groups", "group_names", "hostvars", "play_hosts",
    "omit", "item", "role_path", "role_name", "playbook_dir", "inventory_dir", "environment", "vars",
    "ansible_check_mode", "ansible_diff_mode", "ansible_failed_task", "ansible_failed_result", "ansible_facts",
    "ansible_play_batch", "ansible_play_hosts", "ansible_play_hosts_all", "ansible_loop", "ansible_managed",
    "ansible_version", "ansible_host", "ansible_user", "ansible_search_path", "ansible_parent_role_names",
}
# Jinja globals Ansible adds or keeps; literals the parser reads as names.
GLOBALS = {"now", "range", "lookup", "query", "q", "dict", "lipsum", "cycler", "joiner", "namespace", "undef",
           "true", "false", "none", "True", "False", "None", "loop"}
# Keys whose value is a bare Jinja expression, not a template.
BARE = {"when", "that", "failed_when", "changed_when", "until"}
TEMPLATE_RE = re.compile(r"{{|{%")
# Names a template gives an included template ({% with x = ... %}, {% set x = ... %}).
TEMPLATE_SET_RE = re.compile(r"{%-?\s*(?:with|set)\s+(\w+)\s*=")
# Names a task gives the template it renders with lookup('template', ..., template_vars={'x': ...}).
TEMPLATE_VARS_RE = re.compile(r"template_vars=\{([^}]*)\}")
TEMPLATE_VARS_KEY_RE = re.compile(r"""['"](\w+)['"]\s*:""")

# Regular expressions in the roles' YAML hold escapes Jinja's lexer warns about: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class _AnyName(dict):  # type: ignore[type-arg]
    """Filters and tests as the parser sees them: every name exists (Ansible's and collections')."""

    def __contains__(self, key: object) -> bool:
        return True

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key) or (lambda *args, **kwargs: None)


ENV = jinja2.Environment(extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])
ENV.filters = _AnyName(ENV.filters)
ENV.tests = _AnyName(ENV.tests)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text()) if path.exists() else None


def names_in(text: str) -> set[str]:
    """The undeclared variables a template reads (its own set/for/macro names excluded)."""
    return set(jinja2.meta.find_undeclared_variables(ENV.parse(text)))


def expressions(node: Any, key: str | None = None) -> Iterator[str]:
    """Every template or bare expression inside a task structure, as template text."""
    if isinstance(node, dict):
        for child_key, value in node.items():
            yield from expressions(value, str(child_key))
    elif isinstance(node, list):
        for value in node:
            yield from expressions(value, key)
    elif isinstance(node, str):
        if key in BARE:
            yield "{{ (" + node + ") }}"
        elif TEMPLATE_RE.search(node):
            yield node
    elif isinstance(node, bool) or node is None:
        return


def set_names(node: Any) -> Iterator[str]:
    """Names a task structure sets: set_fact keys, register, loop_var, index_var, vars keys."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("ansible.builtin.set_fact", "set_fact") and isinstance(value, dict):
                yield from (name for name in value if name != "cacheable")
            elif key == "register" and isinstance(value, str):
                yield value
            elif key in ("loop_var", "index_var") and isinstance(value, str):
                yield value
            elif key == "vars" and isinstance(value, dict):
                yield from value
            yield from set_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from set_names(value)


def included_outputs(node: Any) -> Iterator[str]:
    """Facts the entry points of the collection's roles that a task structure includes set (the
    proxy's maintenance_state sets proxy_maintenance_active for the deploy role to read)."""
    if isinstance(node, dict):
        include = node.get("ansible.builtin.include_role")
        if isinstance(include, dict) and str(include.get("name", "")).startswith("dockyard.django."):
            entry = REPO / "roles" / include["name"].split(".")[-1] / "tasks" / f"{include.get('tasks_from', 'main')}.yml"
            if entry.exists():
                yield from (name for name in set_names(load(entry) or []) if not name.startswith("__"))
        for value in node.values():
            yield from included_outputs(value)
    elif isinstance(node, list):
        for value in node:
            yield from included_outputs(value)


def declared(role: Path) -> set[str]:
    names: set[str] = set()
    for vars_file in [role / "defaults" / "main.yml", *sorted((role / "vars").glob("*.yml"))]:
        names |= set(load(vars_file) or {})
    specs = (load(role / "meta" / "argument_specs.yml") or {}).get("argument_specs", {})
    for spec in specs.values():
        names |= set(spec.get("options") or {})
    return names


def role_files(role: Path) -> list[Path]:
    return sorted([*role.glob("tasks/*.yml"), *role.glob("handlers/*.yml")])


@pytest.mark.parametrize("role", ROLES, ids=[role.name for role in ROLES])
def test_role_reads_only_what_it_declares(role: Path) -> None:
    known = declared(role) | MAGIC | GLOBALS
    reads: dict[str, set[str]] = {}
    for path in role_files(role):
        data = load(path) or []
        known |= set(set_names(data)) | set(included_outputs(data))
        for given in TEMPLATE_VARS_RE.findall(path.read_text()):
            known |= set(TEMPLATE_VARS_KEY_RE.findall(given))
        for text in expressions(data):
            for name in names_in(text):
                reads.setdefault(name, set()).add(path.name)
    templates = sorted(role.glob("templates/*.j2"))
    for path in templates:
        known |= set(TEMPLATE_SET_RE.findall(path.read_text()))
    for path in templates:
        for name in names_in(path.read_text()):
            reads.setdefault(name, set()).add(path.name)
    for vars_file in [role / "defaults" / "main.yml", *sorted((role / "vars").glob("*.yml"))]:
        for text in expressions(load(vars_file) or {}):
            for name in names_in(text):
                reads.setdefault(name, set()).add(f"{vars_file.parent.name}/{vars_file.name}")
    undeclared = {name: sorted(where) for name, where in reads.items()
                  if name not in known and not name.startswith("ansible_")}
    assert not undeclared, (f"role {role.name} reads variables it does not declare "
                            f"(defaults, vars, argument_specs) nor set: {undeclared}")


DEPLOY = REPO / "roles" / "deploy"
RUN_STATE_ROW = re.compile(r"^\| `(__deploy_[a-z_]+)` \| ([^|]+) \| ([^|]+) \|", re.M)
FACT_RE = re.compile(r"\b__deploy_[a-z_]+\b")


def facts_set_by_file() -> dict[str, set[str]]:
    """{fact: phase files that set it} for set_fact and register in the deploy role's tasks."""
    setters: dict[str, set[str]] = {}
    for path in role_files(DEPLOY):
        data = load(path) or []
        for name in set_names(_without_vars(data)):
            if name.startswith("__deploy_"):
                setters.setdefault(name, set()).add(path.stem)
    return setters


def _without_vars(node: Any) -> Any:
    """The structure without task/block `vars:` (those are local to the task, not facts)."""
    if isinstance(node, dict):
        return {key: _without_vars(value) for key, value in node.items() if key != "vars"}
    if isinstance(node, list):
        return [_without_vars(value) for value in node]
    return node


def references_by_file() -> dict[str, set[str]]:
    """{phase file stem: __deploy_* facts it reads}, counting those it reads through the role's
    vars (vars/main.yml is evaluated where a phase uses one of its names)."""
    role_vars = load(DEPLOY / "vars" / "main.yml") or {}
    direct = {name: set(FACT_RE.findall(yaml.safe_dump(value))) for name, value in role_vars.items()}

    def through(names: set[str], seen: frozenset[str] = frozenset()) -> set[str]:
        facts = set()
        for name in names:
            if name in direct and name not in seen:
                facts |= {n for n in direct[name] if n not in role_vars}
                facts |= through(direct[name] & set(role_vars), seen | {name})
            elif name not in role_vars:
                facts.add(name)
        return facts

    return {path.stem: through(set(FACT_RE.findall(path.read_text()))) for path in role_files(DEPLOY)}


def run_state_table() -> dict[str, str]:
    """{fact: the phase the table says sets it}."""
    return {name: set_by.strip() for name, _on, set_by in RUN_STATE_ROW.findall(DESIGN.read_text())}


def test_facts_shared_between_deploy_phases_are_in_the_run_state_table() -> None:
    setters = facts_set_by_file()
    table = run_state_table()
    shared: dict[str, set[str]] = {}
    for where, names in references_by_file().items():
        for name in names:
            phases = setters.get(name, set())
            if phases and where not in phases:
                shared.setdefault(name, set()).add(where)
    missing = sorted(name for name in shared if name not in table)
    assert not missing, (f"facts set in one deploy phase and read in another, missing from docs/DESIGN.md's "
                         f"run-state table: {missing} (read in {[sorted(shared[n]) for n in missing]})")


def test_run_state_table_names_the_phase_that_sets_each_fact() -> None:
    setters = facts_set_by_file()
    wrong = {name: (set_by, sorted(setters.get(name, set())))
             for name, set_by in run_state_table().items()
             if not set(re.findall(r"[a-z][a-z_]*", set_by)) & setters.get(name, set())}
    assert not wrong, f"run-state rows whose 'set by' is not where the fact is set: {wrong}"
