#!/usr/bin/env bash
# Set up a development machine from scratch: Debian's Graphviz (circuit layout), Chromium
# (the browser test), TeX Live with latexmk (the PDF workbook), rsvg-convert (circuits in
# the PDF) and pdftotext (the PDF test), when apt-get is usable; then .venv with derive and
# its pinned dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v apt-get >/dev/null 2>&1; then
  packages=(graphviz chromium fonts-dejavu-core texlive-latex-base texlive-latex-recommended
            texlive-latex-extra texlive-fonts-recommended lmodern latexmk librsvg2-bin
            poppler-utils)
  missing=()
  for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
    if [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; then
      echo "setup: installing ${missing[*]} with apt-get"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
      echo "setup: please install ${missing[*]} (apt-get install ${missing[*]})" >&2
    fi
  fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c constraints.txt -e ".[docs,dev,bench]"
echo "setup: ready; try .venv/bin/derive --help"
