"""Every plugin and role entry point renders with plain ansible-doc, as text, with no error or warning.

`ansible-doc --json` alone is not enough: the text renderer trips over documentation the JSON
dump passes (a `: ` in a plain YAML scalar makes a description a mapping).
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
PLUGINS = REPO / "plugins"
# The ansible-doc of the toolchain running the tests (.venv, or the second one).
ANSIBLE_DOC = Path(sys.executable).parent / "ansible-doc"
COLLECTION = "dockyard.django"
# ansible-core's own warning, not about this collection: from 2.20, `ansible-doc -t role` looks at
# its internal ansible._protomatter collection, which has no MANIFEST.json (ansible-galaxy was
# taught to skip it in ansible/ansible#85571; ansible-doc 2.21.5 still warns).
CORE_NOISE = re.compile(r"Collection at '\S+/ansible/_internal/ansible_collections/ansible/_protomatter' does not have")


def _python_plugins(kind: str) -> list[str]:
    return sorted(p.stem for p in (PLUGINS / kind).glob("*.py") if not p.name.startswith("_"))


def _jinja_plugins(kind: str, method: str) -> list[str]:
    """The names a filter or test plugin file declares, read from its source (nothing imported)."""
    names: list[str] = []
    for path in sorted((PLUGINS / kind).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name == method:
                for returned in ast.walk(node):
                    if isinstance(returned, ast.Return) and isinstance(returned.value, ast.Dict):
                        names += [key.value for key in returned.value.keys if isinstance(key, ast.Constant)]
    return sorted(names)


def _role_entry_points() -> dict[str, list[str]]:
    found = {}
    for spec in sorted(REPO.glob("roles/*/meta/argument_specs.yml")):
        found[spec.parent.parent.name] = sorted(yaml.safe_load(spec.read_text())["argument_specs"])
    return found


MODULES = _python_plugins("modules")
PLUGINS_BY_TYPE = {
    "module": MODULES,
    "filter": _jinja_plugins("filter", "filters"),
    "test": _jinja_plugins("test", "tests"),
    "callback": _python_plugins("callback"),
    "role": sorted(_role_entry_points()),
}


def ansible_doc(*argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_DEPRECATION_WARNINGS="1", COLUMNS="120")
    return subprocess.run([str(ANSIBLE_DOC), *argv], cwd=REPO, env=env, text=True, capture_output=True, check=False)


def test_the_lists_are_not_empty() -> None:
    assert all(PLUGINS_BY_TYPE.values()), PLUGINS_BY_TYPE


@pytest.mark.parametrize("kind", sorted(PLUGINS_BY_TYPE))
def test_every_plugin_renders_as_text(kind: str) -> None:
    names = [f"{COLLECTION}.{name}" for name in PLUGINS_BY_TYPE[kind]]
    proc = ansible_doc("-t", kind, *names)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    problems = [line for line in proc.stderr.splitlines()
                if ("WARNING" in line or "ERROR" in line) and not CORE_NOISE.search(line)]
    assert not problems, output
    for name in names:
        assert name in proc.stdout, f"{name} was not rendered:\n{output}"
    if kind == "role":
        for role, entry_points in _role_entry_points().items():
            for entry_point in entry_points:
                assert re.search(rf"ENTRY POINT: \*?{entry_point}\b", proc.stdout), f"{role} {entry_point} not rendered"


def test_module_docs_declare_attributes_examples_and_returns() -> None:
    proc = ansible_doc("--json", "-t", "module", *[f"{COLLECTION}.{name}" for name in MODULES])
    assert proc.returncode == 0, proc.stderr
    docs = json.loads(proc.stdout)
    for module in MODULES:
        doc = docs[f"{COLLECTION}.{module}"]
        attributes = doc["doc"]["attributes"]
        assert attributes["check_mode"]["support"] in {"full", "partial"}, module
        for name in ("check_mode", "diff_mode", "platform"):
            assert attributes[name]["description"], (module, name)
        assert doc["examples"].strip() and doc["return"], module
