#!/usr/bin/env bash
# A second stage on the CPU for a shipped model, with the recipe of its first stage: the same
# data, architecture and settings (batch 512, lr 2e-3 halved on each epoch without progress,
# label smoothing 0.1), started from its weights, for EPOCHS more epochs (one thread, resumable:
# rerun the same command after an interruption). How `local-m` got the rest of the budget the
# 6.8-minute GPU models had (it had 3.5 minutes: see bench/device/README.md).
# Usage: bash pretrained/continue_on_cpu.sh NAME EPOCHS DATA_FILE [MORE TRAIN OPTIONS]
#   (options after DATA_FILE override the above, e.g. `--patience 2 --precision bfloat16`:
#   stop after two epochs without progress, matrix products in bfloat16)
#   (a further stage: STAGE=stage3 and `--continue-schedule`, which goes on with the plateau rule
#   where the last stage left it: its best loss to beat, its bad epochs, its next rate)
#   then: python -m seq2seq_viz.stages pretrained/NAME runs/$STAGE/NAME --ship pretrained/NAME
#         python -m seq2seq_viz.evaluate pretrained/NAME --data DATA_FILE --threads 1 --quiet
set -eu
cd "$(dirname "$0")/.."
NAME=$1 EPOCHS=$2 DATA=$3
shift 3
PY=${PYTHON:-python3}
STAGE=${STAGE:-stage2}
# the first stage's command, without what belonged to that run (data path, device, budget, paths)
ARGS=$($PY -c "import json; print(json.load(open('pretrained/$NAME/config.json'))['training']['command'])" |
  sed -e 's/^python -m seq2seq_viz.train //' -e 's/  # stage .*//' -e 's#--data [^ ]*##' \
      -e 's/--epochs [0-9]*//' -e 's/--max-minutes [0-9.]*//' -e 's/--deadline [0-9]*//' \
      -e 's/--device [a-z]*//' -e 's/--save-every [0-9]*//' -e 's# --out .*##')
# shellcheck disable=SC2086  # ARGS is a list of options
exec $PY -m seq2seq_viz.train $ARGS --data "$DATA" --epochs "$EPOCHS" --patience none \
  --save-every 50 --threads 1 --init-from "pretrained/$NAME" --out "runs/$STAGE/$NAME" \
  --run-dir "runs/$STAGE/run-$NAME" "$@"
