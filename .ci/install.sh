#!/usr/bin/env bash
# Install headrouter-eval and its test tools into ./.venv on a fresh machine.
#
# torch is installed first and pinned (an unpinned torch pulls the newest CUDA build and
# several GB of CUDA wheels). On a machine without CUDA, torchvision (pulled in by
# lmms-eval) has no working build and breaks `import transformers` image utilities and
# `lmms-eval eval`; timm imports it from `accelerate launch`. Nothing on our code paths
# needs either, so they are removed there. On a GPU machine they stay.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
PYTHON="${PYTHON:-python3}"

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==${TORCH_VERSION}"
constraints="$(mktemp)"
echo "torch==${TORCH_VERSION}" > "$constraints"
.venv/bin/python -m pip install -q -c "$constraints" -e ".[dev]"
rm -f "$constraints"

if ! .venv/bin/python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  .venv/bin/python -m pip uninstall -q -y torchvision timm || true
fi
.venv/bin/python -c "import torch, transformers, lmms_eval, headrouter_eval; print('installed: torch', torch.__version__, '| transformers', transformers.__version__)"
