#!/usr/bin/env bash
# The training recipe (--optimizer, --momentum, --nesterov, --weight-decay, --schedule,
# --warmup, --augment) through the real binary: cifar_vgg12 on generated CIFAR-10-format data
# trains with the paper's recipe byte for byte the same for a seed, the checkpoint records it,
# the defaults spelled out equal no flags, `ares study` takes the flags and names the recipe
# in its report, and bad settings are one-line errors.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_cifar.py" "$WORK/cifar" --train-per-batch 20 --test 40
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/idx" --train 200 --test 100

# A checkpoint's metadata, one key=value per line (tensors() is in common.sh).
meta() {
  python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
pos = 12
(n,) = struct.unpack_from("<I", b, pos); pos += 4
for _ in range(n):
    kv = []
    for _ in range(2):
        (k,) = struct.unpack_from("<I", b, pos); pos += 4
        kv.append(b[pos:pos + k].decode()); pos += k
    print("%s=%s" % tuple(kv))
PY
}

recipe=(--optimizer sgd --lr 0.1 --momentum 0.9 --nesterov --weight-decay 5e-4
  --schedule cosine --warmup 1 --augment crop-flip)
vgg() {  # vgg OUT [flags ...]
  local out="$1"; shift
  "$ARES" train --model cifar_vgg12 --dataset "$WORK/cifar" --epochs 2 --batch 16 --limit 48 \
    --threads 1 --out "$WORK/$out" --quiet "$@"
}
vgg a "${recipe[@]}" > /dev/null
vgg b "${recipe[@]}" > /dev/null
cmp -s "$WORK/a/cifar_vgg12-s1.ckpt" "$WORK/b/cifar_vgg12-s1.ckpt" ||
  fail "the recipe is not reproducible: same seed, other checkpoint"
vgg c "${recipe[@]}" --seed 2 > /dev/null
[ "$(tensors "$WORK/a/cifar_vgg12-s1.ckpt")" != "$(tensors "$WORK/c/cifar_vgg12-s2.ckpt")" ] ||
  fail "another seed trained the same weights"
meta "$WORK/a/cifar_vgg12-s1.ckpt" > "$WORK/a.meta"
for kv in optimizer=sgd momentum=0.9 nesterov=true weight_decay=0.0005 schedule=cosine \
  warmup_epochs=1 augment=crop-flip learning_rate=0.100000 batch=16 epochs=2; do
  grep -qx "$kv" "$WORK/a.meta" || fail "checkpoint lacks $kv: $(cat "$WORK/a.meta")"
done
echo "ok: cifar_vgg12 with the recipe, reproducible and recorded"

# The defaults spelled out are the defaults: the same bytes as no flags at all.
small() {  # small OUT [flags ...]
  local out="$1"; shift
  "$ARES" train --model mnist_fc --dataset "$WORK/idx" --epochs 1 --batch 32 --threads 1 \
    --out "$WORK/$out" --quiet "$@"
}
small plain > /dev/null
small spelled --optimizer adam --momentum 0 --weight-decay 0 --schedule constant --warmup 0 \
  --augment none > /dev/null
cmp -s "$WORK/plain/mnist_fc-s1.ckpt" "$WORK/spelled/mnist_fc-s1.ckpt" ||
  fail "the default recipe spelled out trained another checkpoint"
meta "$WORK/plain/mnist_fc-s1.ckpt" > "$WORK/plain.meta"
for kv in optimizer=adam momentum=0 nesterov=false weight_decay=0 schedule=constant \
  warmup_epochs=0 augment=none; do
  grep -qx "$kv" "$WORK/plain.meta" || fail "default checkpoint lacks $kv"
done
small step --optimizer sgd --lr 0.05 --schedule step:1:0.5 --weight-decay 1e-4 > /dev/null
[ "$(tensors "$WORK/plain/mnist_fc-s1.ckpt")" != "$(tensors "$WORK/step/mnist_fc-s1.ckpt")" ] ||
  fail "SGD trained Adam's weights"
echo "ok: defaults spelled out give the same checkpoint"

# The study passes the recipe on and names it; a rerun reuses, another recipe retrains.
study=(--model mnist_fc --dataset "$WORK/idx" --epochs 2 --instances 2 --formats q2.6-2c
  --bers 1e-3,1e-2 --trials 2 --threads 1 --no-plots)
srecipe=(--optimizer sgd --lr 0.05 --momentum 0.9 --weight-decay 5e-4 --schedule step:1:0.5
  --warmup 1 --augment crop-flip)
"$ARES" study "${study[@]}" "${srecipe[@]}" --out "$WORK/s" > "$WORK/s.txt" 2> "$WORK/s.err"
grep -q "SGD lr 0.05, momentum 0.9, weight decay 0.0005, step:1:0.5 schedule, 1 warm-up epoch, crop-flip augmentation" \
  "$WORK/s/report/report.md" || fail "the report does not name the recipe"
# Metadata into a file first: grep -q stops reading at its match, and with pipefail the
# writer's broken pipe would fail the line.
meta "$WORK/s/checkpoints/mnist_fc-s1.ckpt" > "$WORK/s1.meta"
grep -qx "schedule=step:1:0.5" "$WORK/s1.meta" ||
  fail "the study's checkpoint lacks its schedule"
"$ARES" study "${study[@]}" "${srecipe[@]}" --out "$WORK/s" > /dev/null 2> "$WORK/rerun.err"
[ "$(grep -c "reusing" "$WORK/rerun.err")" = 2 ] || fail "rerun did not reuse 2 checkpoints"
rm -rf "$WORK/s/campaign"  # the store is bound to the checkpoints it ran on
"$ARES" study "${study[@]}" "${srecipe[@]}" --weight-decay 1e-3 --out "$WORK/s" > /dev/null \
  2> "$WORK/changed.err"
! grep -q "reusing" "$WORK/changed.err" || fail "another weight decay reused the checkpoints"
meta "$WORK/s/checkpoints/mnist_fc-s2.ckpt" > "$WORK/s2.meta"
grep -qx "weight_decay=0.001" "$WORK/s2.meta" ||
  fail "the retrained checkpoint lacks its weight decay"
echo "ok: study with the recipe"

"$ARES" train --help > "$WORK/train_help.txt"
grep -q -- "--schedule S" "$WORK/train_help.txt" || fail "train help lacks --schedule"
"$ARES" study --help > "$WORK/study_help.txt"
grep -q -- "--augment A" "$WORK/study_help.txt" || fail "study help lacks --augment"
expect_input_error "unknown optimizer" "$ARES" train --model mnist_fc --optimizer rmsprop --out "$WORK/bad"
expect_input_error "bad schedule" "$ARES" train --model mnist_fc --schedule step:0:0.1 --out "$WORK/bad"
expect_input_error "bad gamma" "$ARES" train --model mnist_fc --schedule step:30:x --out "$WORK/bad"
expect_input_error "negative decay" "$ARES" train --model mnist_fc --weight-decay -1 --out "$WORK/bad"
expect_input_error "nesterov alone" "$ARES" train --model mnist_fc --optimizer sgd --nesterov --out "$WORK/bad"
expect_input_error "adam momentum" "$ARES" train --model mnist_fc --momentum 0.9 --out "$WORK/bad"
expect_input_error "long warm-up" "$ARES" train --model mnist_fc --epochs 2 --warmup 2 --out "$WORK/bad"
expect_input_error "bad augment" "$ARES" train --model mnist_fc --augment mixup --out "$WORK/bad"
expect_input_error "augment a sequence" "$ARES" train --model tidigits_gru --augment crop-flip --out "$WORK/bad"
expect_input_error "study schedule" "$ARES" study --model mnist_fc --schedule cos --out "$WORK/bad"
expect_input_error "study nesterov" "$ARES" study --model mnist_fc --optimizer sgd --nesterov --out "$WORK/bad"
[ ! -e "$WORK/bad" ] || fail "a bad setting left output behind"
echo "test_train_recipe: all checks passed"
