#!/usr/bin/env bash
# `ares train --inject` on tiny generated data: rate 0 equals clean training, injection is
# reproducible, the checkpoint records what was injected, and bad specs are one-line errors.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 400 --test 200
train() {  # train OUT [--inject SPEC ...]
  local out="$1"; shift
  "$ARES" train --model mnist_fc --dataset "$WORK/data" --epochs 1 --batch 32 --seed 3 \
    --threads 1 --out "$WORK/$out" --quiet "$@"
}

train clean > "$WORK/clean.txt"
train zero --inject grad:0 --inject weights:q2.6-2c:0:every=1 \
  --inject act:fc1:q4.4-sm:0:model=stuck1 > "$WORK/zero.txt"
[ "$(tensors "$WORK/clean/mnist_fc-s3.ckpt")" = "$(tensors "$WORK/zero/mnist_fc-s3.ckpt")" ] ||
  fail "rate 0 changed the weights"
[ "$(head -1 "$WORK/clean.txt" | awk '{print $6}')" = \
  "$(head -1 "$WORK/zero.txt" | awk '{print $6}')" ] || fail "rate 0 changed the test error"
grep -q "inject grad:fp32:0: 0 faults (0 hits, 0 NaN/Inf) in 13 rounds" "$WORK/zero.txt" ||
  fail "zero-rate summary: $(cat "$WORK/zero.txt")"

# With faults: reproducible byte for byte, different from clean, recorded in the metadata.
specs=(--inject grad:fp16:1e-4 --inject weights:q2.6-sm:1e-4:every=5
  --inject act:fc2:bf16:1e-3:model=stuck1:protect=sign)
train a "${specs[@]}" > "$WORK/a.txt"
train b "${specs[@]}" > "$WORK/b.txt"
cmp -s "$WORK/a/mnist_fc-s3.ckpt" "$WORK/b/mnist_fc-s3.ckpt" || fail "same seed, other checkpoint"
[ "$(tensors "$WORK/a/mnist_fc-s3.ckpt")" != "$(tensors "$WORK/clean/mnist_fc-s3.ckpt")" ] ||
  fail "faults changed nothing"
grep -q "inject weights:q2.6-sm:0.0001:every=5: [1-9][0-9]* faults .* in 2 rounds" "$WORK/a.txt" ||
  fail "weights summary: $(cat "$WORK/a.txt")"
"$ARES" evaluate "$WORK/a/mnist_fc-s3.ckpt" --threads 1 > "$WORK/eval.txt"
grep -q "trained with --inject grad:fp16:0.0001: [1-9][0-9]* faults" "$WORK/eval.txt" ||
  fail "evaluate shows no training faults: $(cat "$WORK/eval.txt")"
grep -q "trained with --inject act:fc2:bf16:0.001:model=stuck1:protect=sign: " "$WORK/eval.txt" ||
  fail "evaluate misses the activation site: $(cat "$WORK/eval.txt")"
"$ARES" evaluate "$WORK/clean/mnist_fc-s3.ckpt" --threads 1 > "$WORK/eval_clean.txt"
! grep -q "trained with" "$WORK/eval_clean.txt" || fail "clean checkpoint claims faults"

# Diverged training (every gradient exponent stuck at 1): no crash, no checkpoint, one line on
# stderr naming the seed, and a non-zero exit (the run could not produce its result).
rc=0
train nan --inject grad:1:model=stuck1:protect=mask:0x807fffff > "$WORK/nan.txt" \
  2> "$WORK/nan.err" || rc=$?
[ "$rc" = 1 ] || fail "a diverged run exited $rc, expected 1"
grep -q "not written: 266610 parameters are NaN or Inf" "$WORK/nan.txt" ||
  fail "NaN run: $(cat "$WORK/nan.txt")"
[ "$(wc -l < "$WORK/nan.err")" = 1 ] && grep -q "1 of 1 instances diverged.*seed 3" "$WORK/nan.err" ||
  fail "the diverged run's stderr: $(cat "$WORK/nan.err")"
[ ! -e "$WORK/nan/mnist_fc-s3.ckpt" ] || fail "a NaN checkpoint was written"

"$ARES" train --help > "$WORK/train-help.txt"  # a file: grep -q and pipefail (SIGPIPE)
grep -q -- "--inject SPEC" "$WORK/train-help.txt" || fail "help lacks --inject"
expect_input_error "no BER" train bad --inject grad
expect_input_error "bad site" train bad --inject gradient:1e-4
expect_input_error "bad format" train bad --inject grad:fp99:1e-4
expect_input_error "BER > 1" train bad --inject grad:2
expect_input_error "every on grad" train bad --inject grad:1e-4:every=5
expect_input_error "bad every" train bad --inject weights:1e-4:every=0
expect_input_error "bad model" train bad --inject grad:1e-4:model=nope
expect_input_error "bad protection" train bad --inject weights:q2.6-2c:1e-4:protect=msb:9
expect_input_error "unknown option" train bad --inject grad:1e-4:colour=red
expect_input_error "no such stage" train bad --inject act:fc9:1e-3
expect_input_error "second bad spec" train bad --inject grad:1e-4 --inject weights
[ ! -e "$WORK/bad" ] || fail "a bad spec left output behind"
echo "test_train_inject: all checks passed"
