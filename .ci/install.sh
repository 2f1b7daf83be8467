#!/usr/bin/env bash
# Install headrouter-eval and its test tools into ./.venv from the committed lock, so every
# fresh machine gets the exact environment the suite passed on.
#
#   bash .ci/install.sh           CPU lock (requirements/lock-cpu.txt), or the CUDA lock when
#                                 nvidia-smi finds a GPU
#   bash .ci/install.sh --cpu     force the CPU lock;  --cuda  force the CUDA lock
#
# The CPU lock pins PyTorch's CPU build (torch==2.13.0+cpu) and leaves out torchvision and
# timm: lmms-eval pulls them in, they do not import without CUDA, and nothing on our code
# paths needs them (so `pip check` reports them missing; that is expected). pip finds the
# CPU torch through its configured find-links on this project's machines; elsewhere export
# PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu first. The locks are regenerated
# by .ci/lock.
set -euo pipefail
cd "$(dirname "$0")/.."

variant="${1:-auto}"
if [ "$variant" = auto ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then variant=--cuda; else variant=--cpu; fi
fi
case "$variant" in
  --cpu) lock=requirements/lock-cpu.txt ;;
  --cuda) lock=requirements/lock-cuda.txt ;;
  *) echo "usage: bash .ci/install.sh [--cpu|--cuda]" >&2; exit 2 ;;
esac

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# --no-deps: the lock is the complete environment; nothing outside it may be resolved in.
.venv/bin/python -m pip install -q --no-deps -r "$lock"
.venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
.venv/bin/python -c "import torch, transformers, lmms_eval, headrouter_eval; print('installed from $lock: torch', torch.__version__, '| transformers', transformers.__version__, '| headrouter-eval', headrouter_eval.__version__)"
