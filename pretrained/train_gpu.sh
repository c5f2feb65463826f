#!/usr/bin/env bash
# Trains every real-data model at once on one GPU, each as its own process, all with the same
# recipe and the same wall-clock budget (this is how the shipped models were made on a lent H200,
# 2026-11-30: see bench/device/README.md for the run and its budgets; `train_all.sh` is the CPU
# route).
# Usage: bash pretrained/train_gpu.sh DATA_FILE OUT_DIR TRAIN_MINUTES [WALL_MINUTES]
#   OUT_DIR/models/NAME: the model folders; OUT_DIR/logs/NAME.log: each run's log.
# Every run stops at TRAIN_MINUTES of training or WALL_MINUTES after the start (validation and
# data loading included), or earlier once its learning rate has halved below 1e-5 (one halving
# per epoch without progress); each keeps its best-validation weights.
set -u
cd "$(dirname "$0")/.."
DATA=$1 OUT=$2 MINUTES=$3 WALL=${4:-$3}
PY=${PYTHON:-python3}
DEADLINE=$($PY -c "import time; print(int(time.time() + 60 * $WALL))")
mkdir -p "$OUT/logs" "$OUT/models" "$OUT/runs"
COMMON=(--data "$DATA" --src en --tgt fr --max-len 15 --min-freq 2 --src-vocab-size 8000
        --tgt-vocab-size 8000 --emb 128 --hidden 256 --threads 1 --seed 1 --label-smoothing 0.1
        --lr-decay 0.5 --min-lr 1e-5 --lr 2e-3 --batch-size 512 --epochs 200
        --max-minutes "$MINUTES" --deadline "$DEADLINE" --save-every 100000 --device "${DEVICE:-cuda}" --quiet)
job() {  # name, the model's architecture args...
  local name=$1; shift
  $PY -m seq2seq_viz.train "${COMMON[@]}" "$@" --out "$OUT/models/$name" \
    --run-dir "$OUT/runs/$name" > "$OUT/logs/$name.log" 2>&1
  echo "$name exit $?" >> "$OUT/logs/status.txt"
}
job soft-dot --score dot --align global &
job soft-general --score general --align global &
job soft-concat --score concat --align global &
job none --align none &
job local-m --score general --align local-m --window 3 &
job local-p --score general --align local-p --window 3 &
job hard --score general --align hard --hard-expected 0.5 &
job self-attn --score general --align global --self-attn --heads 4 &
# The cells of the lecture notes: a vanilla RNN and an LSTM with the default's attention, and the
# classic attention-free LSTM encoder-decoder.
job rnn-attn --cell rnn --score dot --align global &
job lstm-attn --cell lstm --score dot --align global &
job lstm-none --cell lstm --align none &
wait
