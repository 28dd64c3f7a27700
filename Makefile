# Every install step lives here: a fresh clone with only python3 and make runs `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STACK  ?= dev
MODE   ?= both
REVIEW_ARGS ?=

.PHONY: install test lint lint-workflows typecheck unit review diagram bench clean

$(STAMP): requirements.txt requirements-dev.txt policies/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# cloud-init's own schema validator (tests validate every generated user data with it). It is
# not on PyPI: take Debian's package and unpack it into the venv (nothing is installed system
# wide). Needs apt-get (and, on a fresh machine, root for `apt-get update`); without apt-get
# the schema tests skip, saying why.
CLOUD_INIT_VERSION := 22.4.2-1+deb12u4
CLOUD_INIT_DIR     := $(VENV)/cloud-init
CLOUD_INIT_STAMP   := $(CLOUD_INIT_DIR)/.installed
$(CLOUD_INIT_STAMP): $(STAMP)
	@if ! command -v apt-get >/dev/null; then \
	  echo "make: no apt-get: cloud-init schema tests will skip"; exit 0; fi; \
	set -e; rm -rf $(CLOUD_INIT_DIR); mkdir -p $(CLOUD_INIT_DIR)/deb; \
	cd $(CLOUD_INIT_DIR)/deb; \
	if ! apt-cache show cloud-init >/dev/null 2>&1; then apt-get update -qq; fi; \
	apt-get download -q cloud-init=$(CLOUD_INIT_VERSION) 2>/dev/null \
	  || { echo "make: cloud-init $(CLOUD_INIT_VERSION) gone from the mirror; taking the candidate"; \
	       apt-get download -q cloud-init; }; \
	dpkg-deb -x cloud-init_*.deb ..; cd ..; rm -rf deb; touch .installed

install: $(STAMP) $(CLOUD_INIT_STAMP)

lint: $(STAMP) lint-workflows
	$(BIN)/ruff check .

# The pull-request workflow: actionlint (with shellcheck for its run: scripts) and zizmor's
# security audits, offline (no GitHub API calls; --offline also ignores GH_TOKEN).
lint-workflows: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/actionlint .github/workflows/*.yml
	$(BIN)/zizmor --offline --persona auditor --no-progress .github/workflows/

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(CLOUD_INIT_STAMP)
	$(BIN)/pytest

test: lint typecheck unit

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

# Offline `pulumi preview --policy-pack policies --policy-pack-config policies/config/$(STACK).json`:
# the program under mocks (MODE=both|update|preview) and the policy pack over it.
# Exit 0 clean, 1 mandatory violation (or a mandatory policy that can't run in preview), 2 error.
review: $(STAMP)
	$(BIN)/python -m review --stack $(STACK) --mode $(MODE) $(REVIEW_ARGS)

# The planned network as a picture: build/$(STACK)-network.svg and .png, drawn from the run the
# review records (one program run). Graphviz is graphviz-pure from requirements-dev.txt (no root).
# docs/dev-network.png (the README's picture) is `make diagram` + `cp build/dev-network.png docs/`.
diagram: $(STAMP)
	$(BIN)/python -m review --stack $(STACK) --mode update --no-plan --diagram build

# Median wall time of `python -m review` for dev and prod (5 runs each) and of one pytest run.
bench: $(STAMP)
	$(BIN)/python -m review.bench --runs 5 --stacks dev prod
