#!/usr/bin/env bash
# Issue 12: train every configuration of the founding note to its schedule, evaluate it, draw its GIF.
#
#   scripts/reproduce_note.sh [CONFIG ...]         # default: all note-* presets, one after another
#   DEVICE=cuda scripts/reproduce_note.sh          # on a GPU (minutes instead of hours)
#   QUICK=1 scripts/reproduce_note.sh note-best    # smoke test: 2 steps on 256 digits, no GIF
#
# Runs go to ${RUNS:-runs/reproduce}/CONFIG; an interrupted run is resumed from its last epoch
# checkpoint. Each finished run gets eval.json / eval.md (`mnist-handwriting eval`) and, on the full
# schedule, docs/figures/CONFIG.gif of the same ten test digits (one per class) for every configuration, and
# its log, config and evaluation copied to docs/runs/CONFIG-{log.jsonl,config.json,eval.json,eval.md}.
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${CLI:-mnist-handwriting}
DEVICE=${DEVICE:-cpu}
RUNS=${RUNS:-runs/reproduce}
DIGITS="3 2 1 18 4 8 11 0 61 7"   # the first test digit of each class 0..9
CONFIGS=("$@")
[ ${#CONFIGS[@]} -gt 0 ] || CONFIGS=(note-learned-line note-soft-line note-dropout note-max note-aux-losses
                                      note-ensemble note-best)
quick=()
eval_quick=()
[ -n "${QUICK:-}" ] && quick=(--subset 256 --max-steps 2 --set eval_digits=64) && eval_quick=(--subset 64)
for config in "${CONFIGS[@]}"; do
    out="$RUNS/$config"
    if [ -f "$out/model.safetensors" ]; then
        echo "$config: trained already ($out)"
    elif [ -f "$out/checkpoint.safetensors" ]; then
        "$CLI" train --resume "$out" --device "$DEVICE" "${quick[@]}"
    else
        "$CLI" train --config "$config" --seed 0 --set save_dtype=float16 --device "$DEVICE" --out "$out" "${quick[@]}"
    fi
    "$CLI" eval --model "$out/model.safetensors" --device "$DEVICE" --out "$out/eval.json" --table "$out/eval.md" \
        "${eval_quick[@]}"
    [ -n "${QUICK:-}" ] || "$CLI" animate --dataset mnist-test --indices $DIGITS --model "$out/model.safetensors" \
        --device "$DEVICE" --out "docs/figures/$config.gif"
    if [ -z "${QUICK:-}" ]; then   # what RESULTS cites, kept in git (the weights are not)
        for part in log.jsonl config.json eval.json eval.md; do cp "$out/$part" "docs/runs/$config-$part"; done
    fi
done
"${PYTHON:-python3}" benchmarks/reference_curve.py "${CONFIGS[@]/#/$RUNS/}" || true   # needs ../shared/reference
