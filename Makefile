# One command each, on a fresh machine: `make screen AD="..."` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
AD ?= 叔叔阿姨看过来！康养基地床位认购，年化收益18%，到期回购，保本保息

.PHONY: setup screen test browser

# The virtual environment, with the project and its test tools installed; redone when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

setup: $(VENV)/.installed

# Score one ad on the built-in model (built from data/ads.csv on first use).
screen: setup
	$(BIN)/python predict.py "$(AD)"

# The browser tests drive Debian's chromium, and the photo tests render flyers in Debian's Noto CJK fonts;
# nothing is downloaded at run time.
browser:
	@{ command -v chromium >/dev/null 2>&1 && [ -d /usr/share/fonts/opentype/noto ]; } || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

test: setup browser
	$(BIN)/python -m pytest
