#!/usr/bin/env bash
# Set up everything the project needs on a Debian/Ubuntu machine, idempotently:
# system libraries through apt (only those missing), then a virtualenv in .venv.
#   bash setup.sh          runtime only
#   bash setup.sh --dev    runtime and the test tools (pytest, PDF readers, ruff, mypy)
set -euo pipefail
cd "$(dirname "$0")"

# Pango renders text for WeasyPrint; libharfbuzz-subset0 makes font subsetting ~3x faster;
# poppler-utils and qpdf are the independent PDF checkers the tests and README use;
# chromium is the real browser the preview test drives (through Playwright, no download);
# ghostscript separates the print PDF into its CMYK plates for the ink tests.
apt_pkgs=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig)
if [[ "${1:-}" == "--dev" ]]; then
  apt_pkgs+=(poppler-utils qpdf chromium ghostscript)
fi
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null; then
    echo "setup.sh: please install these system packages: ${missing[*]}" >&2
    exit 1
  fi
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "setup.sh: installing ${missing[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

py=${PYTHON:-python3}
[[ -x .venv/bin/python ]] || "$py" -m venv .venv
extra=""
[[ "${1:-}" == "--dev" ]] && extra="[dev]"
# brochure itself, editable, with its pinned dependencies from pyproject.toml (and the test
# tools for --dev). Skipped when pyproject.toml has not changed since the last install.
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-${extra:-runtime}
if [[ ! -f "$stamp" ]]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extra"
  touch "$stamp"
fi

# axe-core, the accessibility engine the editor's browser test injects into the page, from
# npm into .venv/node (pinned; only when missing). Node.js and npm come with the machine.
AXE=4.14.1
if [[ "${1:-}" == "--dev" && ! -f .venv/node/node_modules/axe-core/axe.min.js ]]; then
  if command -v npm >/dev/null; then
    npm install --silent --no-audit --no-fund --prefix .venv/node "axe-core@$AXE" >/dev/null
  else
    echo "setup.sh: npm is missing, so the accessibility test will be skipped (apt-get install npm)" >&2
  fi
fi
