# Every install step lives here: a fresh clone with only python3 and make runs `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STACK  ?= dev
MODE   ?= both
BASELINE ?=
REVIEW_ARGS ?=

.PHONY: install venvs install-review test lint lint-workflows typecheck unit review diagram bench \
        readme-figures clean boot-tools boot-image boot-test boot-test-vm

# The components are also installed into .venv as the `tierednet` package (editable, no
# dependencies: they are the pins above), so the component plugin (plugin/) and examples/ run
# from the dev venv as they run from a user's.
#
# Byte-compiled on both cores afterwards (pip compiles on one, about 26 s of pulumi-aws's 270 MB
# here), with the repository's own modules: this box sets PYTHONDONTWRITEBYTECODE, so Python
# never caches what it compiles, and every test process, pack server and review would compile
# them again. A .pyc records its source's mtime and size: one edited since is recompiled in
# memory, as without the cache.
$(STAMP): requirements.txt requirements-dev.txt policies/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-compile -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-compile --no-deps -e .
	$(BIN)/python -m compileall -q -j0 $(VENV)/lib __main__.py components review policies/rules \
	  plugin examples tests >/dev/null
	touch $@

# Real validators from Debian, unpacked into the venv (nothing is installed system wide):
# cloud-init's own schema validator (not on PyPI) and OpenSSH's `sshd -t` (with libwrap0, its
# one library missing from a bare Debian). Needs apt-get (and, on a fresh machine, root for
# `apt-get update`); without apt-get those tests skip, saying why. Pinned; if the mirror has
# dropped a pinned version (a Debian security update), the candidate is taken, with a note.
DEBS       := cloud-init=22.4.2-1+deb12u4 openssh-server=1:9.2p1-2+deb12u10 libwrap0=7.6.q-32
DEB_DIR    := $(VENV)/debs
DEB_STAMP  := $(DEB_DIR)/.installed
$(DEB_STAMP): $(STAMP)
	@if ! command -v apt-get >/dev/null; then \
	  echo "make: no apt-get: the cloud-init and sshd tests will skip"; exit 0; fi; \
	set -e; rm -rf $(DEB_DIR); mkdir -p $(DEB_DIR)/download; cd $(DEB_DIR)/download; \
	if ! apt-cache show cloud-init >/dev/null 2>&1; then apt-get update -qq; fi; \
	for pkg in $(DEBS); do \
	  apt-get download -q "$$pkg" 2>/dev/null || { \
	    echo "make: $$pkg gone from the mirror; taking the candidate"; \
	    apt-get download -q "$${pkg%%=*}"; }; \
	done; \
	for deb in *.deb; do dpkg-deb -x "$$deb" ..; done; cd ..; rm -rf download; touch .installed

# The policy pack's own virtualenv, built exactly as `pulumi install` builds it inside policies/
# (pulumi/pulumi sdk/python/toolchain/pip.go InstallDependencies): `python3 -m venv <abs path>`,
# upgrade pip/setuptools/wheel, `pip install -r requirements.txt` from the pack directory.
# `pulumi preview --policy-pack policies` runs policies/venv/bin/python and never creates it.
PACK_VENV  := policies/venv
PACK_STAMP := $(PACK_VENV)/.installed
$(PACK_STAMP): policies/requirements.txt
	rm -rf $(PACK_VENV)
	$(PYTHON) -m venv $(abspath $(PACK_VENV))
	$(PACK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip setuptools wheel
	cd policies && venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# A sub-make that runs its targets side by side: -j3 when make was given no -j, or the job slots
# of a make that already shares them (`make -j2`, test's own sub-make); forcing -j3 there would
# make GNU make warn "-j3 forced in submake". Expanded in the recipe, where MAKEFLAGS names the
# jobserver; its recipe lines start with `+`, which marks them as recursive make lines (as a
# literal $(MAKE) would), so the sub-make gets the slots.
SIDE_BY_SIDE = $(MAKE) --no-print-directory $(if $(findstring jobserver,$(MAKEFLAGS)),,-j3)

# The two virtualenvs are built side by side (one pip per core, the Debian packages after the
# dev venv); the targets below depend on this, so `make -j2 test` waits for it too.
install:
	@+$(SIDE_BY_SIDE) --output-sync=target venvs

venvs: $(STAMP) $(DEB_STAMP) $(PACK_STAMP)
	@:

# What the review alone needs (the program's venv and the pack's), for CI's review job.
install-review: $(STAMP) $(PACK_STAMP)

lint: install lint-workflows
	$(BIN)/ruff check .

# The pull-request workflow: actionlint (with shellcheck for its run: scripts) and zizmor's
# security audits, offline (no GitHub API calls; --offline also ignores GH_TOKEN).
lint-workflows: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/actionlint .github/workflows/*.yml
	$(BIN)/zizmor --offline --persona auditor --no-progress .github/workflows/

typecheck: install
	$(BIN)/mypy

# One pytest worker per core (pytest-xdist); PYTEST_ARGS=-n0 runs them in one process.
PYTEST_ARGS ?= -n auto
unit: install
	$(BIN)/pytest $(PYTEST_ARGS)

# lint and typecheck run beside pytest (SIDE_BY_SIDE, as install): mypy and the linters keep
# one core busy for about 15 s of a cold run while pytest's workers share both, instead of
# running before them. No --output-sync: it would hold pytest's output until pytest ends, so
# mypy's and ruff's lines arrive between pytest's dots. A lint or type error shows at once; make
# still lets the running pytest finish, then exits 2 (Ctrl-C stops it sooner).
test: install
	@+$(SIDE_BY_SIDE) lint typecheck unit

clean:
	rm -rf $(VENV) $(PACK_VENV) .mypy_cache .pytest_cache .ruff_cache $(BOOT_DIR)

# Offline `pulumi preview --policy-pack policies --policy-pack-config policies/config/$(STACK).json`:
# the program under mocks (MODE=both|update|preview|deployed) and the policy pack over it, the
# pack run by policies/venv/bin/python as the CLI runs it. BASELINE=FILE (what
# `pulumi stack export --stack $(STACK) --file FILE` writes) also previews the change against
# that deployed state, as `pulumi preview` does on a stack that exists.
# The review exits 0 clean, 1 mandatory violation (or a mandatory policy that can't run in
# preview), 2 error; GNU make itself exits 2 whenever a recipe fails, so `make review` can only
# say 0 or 2. The review's own codes: `.venv/bin/python -m review --stack dev` (CI runs that).
# The recipe is not echoed: `make -s review REVIEW_ARGS=--json` prints only the review's JSON.
review: install-review
	@$(BIN)/python -m review --stack $(STACK) --mode $(MODE) $(if $(BASELINE),--baseline '$(BASELINE)') $(REVIEW_ARGS)

# The planned network as a picture: build/$(STACK)-network.svg and .png, drawn from the run the
# review records (one program run). Graphviz is graphviz-pure from requirements-dev.txt (no root).
# docs/dev-network.png (the README's picture) is `make diagram` + `cp build/dev-network.png docs/`.
diagram: install-review
	@$(BIN)/python -m review --stack $(STACK) --mode update --no-plan --diagram build

# Median CPU (and wall) seconds of `python -m review` for dev and prod (5 runs each) and the
# pack's analysis of 16 and 64 copies of dev, recorded in docs/bench.json (the README quotes it).
# BENCH_ARGS=--tests also times one pytest run; --first-run a fresh clone's `make test`.
BENCH_ARGS ?=
bench: install-review
	$(BIN)/python -m review.bench --runs 5 --stacks dev prod --json docs/bench.json $(BENCH_ARGS)

# Every figure the README quotes, as the commands print it now (tests/test_readme_figures.py).
readme-figures: install-review
	@$(BIN)/python -m tests.readme_figures

# ---- The boot test (issue 16, boot/): each server's rendered user data booted on a real Linux.
# A Debian root filesystem (debootstrap of a pinned suite, boot/image-packages.txt, an offline
# apt repository of boot/repo-packages.txt, the Ubuntu emulation boot/ubuntu-differences.yaml
# lists), cached in build/boot/rootfs and rebuilt when its inputs change. Needs root and
# apt-get for the Debian tools below; without them each target says why it skips and exits 0.
# `make boot-test`: systemd-nspawn (fast tier, run by .ci/run); `make boot-test-vm`: qemu
# (-accel kvm when a VM really runs under KVM here, else TCG; it says which).
BOOT_SUITE   := trixie
BOOT_MIRROR  ?= http://deb.debian.org/debian
BOOT_DIR     := build/boot
BOOT_IMAGE   := $(BOOT_DIR)/rootfs/etc/boottest-suite
BOOT_INPUTS  := boot/build-image.sh boot/image-packages.txt boot/repo-packages.txt \
	$(shell find boot/image -type f 2>/dev/null)
BOOT_TOOLS   := debootstrap systemd-container qemu-system-x86 fdisk
BOOT_PYTEST  ?= -rs -p no:cacheprovider
BOOT_SKIP     = $(BOOT_DIR)/.skip

boot-tools:
	@mkdir -p $(BOOT_DIR); rm -f $(BOOT_SKIP); \
	if [ "$$(id -u)" != 0 ]; then echo "not root (debootstrap, systemd-nspawn and the tools' install need root)" > $(BOOT_SKIP); \
	elif ! command -v apt-get >/dev/null; then echo "no apt-get to install $(BOOT_TOOLS)" > $(BOOT_SKIP); \
	else missing=""; for p in $(BOOT_TOOLS); do dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q '^install ok installed$$' || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then echo "make: installing$$missing (Debian)"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; } \
	      || echo "apt-get could not install$$missing" > $(BOOT_SKIP); fi; fi; \
	if [ -f $(BOOT_SKIP) ]; then echo "boot test skipped: $$(cat $(BOOT_SKIP))"; fi

$(BOOT_IMAGE): $(BOOT_INPUTS)
	nice sh boot/build-image.sh $(BOOT_SUITE) $(BOOT_MIRROR) $(BOOT_DIR)

boot-image: boot-tools
	@[ -f $(BOOT_SKIP) ] || $(MAKE) --no-print-directory $(BOOT_IMAGE)

boot-test: $(STAMP) boot-image
	@if [ -f $(BOOT_SKIP) ]; then echo "boot-test skipped: $$(cat $(BOOT_SKIP))"; else \
	  nice $(BIN)/pytest $(BOOT_PYTEST) boot/test_nspawn.py; fi

boot-test-vm: $(STAMP) boot-image
	@if [ -f $(BOOT_SKIP) ]; then echo "boot-test-vm skipped: $$(cat $(BOOT_SKIP))"; else \
	  nice $(BIN)/pytest $(BOOT_PYTEST) -s boot/test_vm.py; fi
