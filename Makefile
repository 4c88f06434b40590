# dockyard.django: the two commands a newcomer runs are `make deploy` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The controller runs on Python 3.11 (ansible-core 2.19, the oldest supported); see requirements-dev.txt.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# The second toolchain: the newest ansible-core supported (2.21), whose controller needs Python
# 3.12+; see requirements-core221.txt. Where pyenv holds a 3.13 that is not selected by
# default, it is asked for by name (PYENV_VERSION); elsewhere python3.13 is taken from PATH.
PYENV_313 := $(shell pyenv versions --bare 2>/dev/null | grep -m 1 -E '^3\.13(\.[0-9]+)?$$')
PYTHON_CORE221 ?= $(if $(PYENV_313),env PYENV_VERSION=$(PYENV_313) )python3.13
VENV_CORE221 := .venv-core221
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# Molecule and ansible-lint write caches; keep them in the checkout, not in $HOME.
export ANSIBLE_HOME := $(CURDIR)/.cache/ansible

PYTEST_ARGS ?=

# The demo image: make image TAG=<tag> [VARIANT=normal|unhealthy|halfhealthy|badmigration|newmigration|restyled]
TAG ?=
VARIANT ?= normal

.PHONY: help venv venv-core221 collection lab lab-down image deploy lint sanity test test-core221 unit bench clean

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt requirements-test.txt
	@test -n "$(PYTHON)" || { echo "No python3.11 or python3 on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed ## Install the Python toolchain into .venv

$(VENV_CORE221)/.installed: requirements-core221.txt requirements-test.txt
	$(PYTHON_CORE221) -m venv $(VENV_CORE221)
	$(VENV_CORE221)/bin/pip install --quiet --upgrade pip
	$(VENV_CORE221)/bin/pip install --quiet -r requirements-core221.txt
	@touch $@

venv-core221: $(VENV_CORE221)/.installed ## Install the second toolchain (ansible-core 2.21, Python 3.13) into .venv-core221

# The checkout is the collection: link it where ansible.cfg's collections_path looks.
.collections/ansible_collections/dockyard/django:
	@mkdir -p $(@D)
	@ln -sfn ../../.. $@

collection: venv .collections/ansible_collections/dockyard/django

lab: collection ## Bring up the local lab (idempotent; LAB_CONNECTION=ssh: Ansible over ssh)
	@bash lab/bin/prereqs.sh
	ansible-playbook -i lab/controller.yml lab/up.yml

lab-down: collection ## Remove the lab's containers, volumes, network and state
	@bash lab/bin/prereqs.sh
	ansible-playbook -i lab/controller.yml lab/down.yml

image: lab ## Build the demo image and push it to the lab registry (TAG=..., VARIANT=...)
	@test -n "$(TAG)" || { echo "usage: make image TAG=<tag> [VARIANT=normal|unhealthy|halfhealthy|badmigration|newmigration|restyled]" >&2; exit 2; }
	bash examples/demo/bin/build-image.sh $(TAG) $(VARIANT)

# The demo release `make deploy` ships: the commit it is built from.
DEMO_TAG ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo dev)

deploy: lab ## Lab, provisioning, demo image, deploy: the whole main job
	ansible all -m ansible.builtin.ping
	ansible-playbook playbooks/site.yml
	bash examples/demo/bin/build-image.sh $(DEMO_TAG)
	ansible-playbook playbooks/deploy.yml -e app=demo -e tag=$(DEMO_TAG)
	@bash lab/bin/url.sh demo

lint: collection ## ansible-lint (production profile) and ansible-test sanity
	ansible-lint
	$(MAKE) --no-print-directory sanity

# ansible-test sanity with a toolchain (SANITY_VENV, SANITY_PYTHON); tests/sanity/run.sh says
# how it runs from the collection's path and fetches nothing but PyPI packages.
SANITY_VENV ?= $(VENV)
SANITY_PYTHON ?= 3.11

sanity: collection ## ansible-test sanity (every test that can run here)
	bash tests/sanity/run.sh $(SANITY_VENV) --python $(SANITY_PYTHON)

unit: collection ## Unit tests only (no lab)
	pytest tests/unit $(PYTEST_ARGS)

# Two workers (--dist loadgroup, groups set in tests/conftest.py): the deploy test files run in
# order on one worker while the Molecule scenarios (their own hosts), the integration tests
# and the unit tests share the other.
PYTEST_WORKERS ?= 2

# Both supported ansible-core versions: this toolchain (2.19) everywhere; the newest (2.21) in
# tests/toolchains, which installs .venv-core221 and runs its unit tests, sanity and tests/e2e
# (one site.yml and deploy, after the deploy tests). tests/e2e is not collected here itself.
# Lint and the lab's bring-up are independent (the one reads the checkout, the other builds and
# starts containers): they run side by side, each target's output printed whole when it ends.
# What each installs from Debian's packages is installed first, one after the other (two
# apt-get at once would race for dpkg's lock).
test: collection ## Lint, bring up the lab, run every test against it (ansible-core 2.19, and 2.21 in tests/toolchains)
	@bash tests/sanity/prereqs.sh
	@bash lab/bin/prereqs.sh
	$(MAKE) --no-print-directory -j2 --output-sync=target lint lab
	pytest tests --ignore=tests/e2e -n $(PYTEST_WORKERS) --dist loadgroup --durations=15 $(PYTEST_ARGS)

# The second toolchain alone, one step after the other (what tests/toolchains runs in make test). tests/unit/bench is the bench's (its plots need matplotlib).
test-core221: lab venv-core221 ## The newest ansible-core (2.21, Python 3.13): unit tests, sanity, one deploy on the lab
	$(VENV_CORE221)/bin/pytest tests/unit/plugins -q
	$(MAKE) --no-print-directory sanity SANITY_VENV=$(VENV_CORE221) SANITY_PYTHON=3.13
	$(VENV_CORE221)/bin/pytest tests/e2e --durations=5

# Measurements, not tests: deploy, no-op and rollback of dockyard beside the classic shell
# pipeline, for 1, 2 and 4 web hosts, under load. Never fails on a number.
bench: lab ## Benchmark deploys against the shell baseline (BENCH_HOSTS=1,2,4); results in bench/results/
	python -m bench.run $(if $(BENCH_HOSTS),--hosts $(BENCH_HOSTS))

clean: ## Remove the venv and caches (the lab stays: see lab-down)
	rm -rf $(VENV) $(VENV_CORE221) .collections .cache .pytest_cache
