#!/usr/bin/env bash
# ImageNet models end to end: `ares models` lists them with torchvision's parameter counts; a
# random-weight torchvision export (scripts/export_torchvision.py) runs a campaign on an image
# folder of real photos from Debian packages and generated PPM images; bad image folders give
# one line and exit 2. The export part needs python3 with torchvision and is skipped without.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
rm -rf "$WORK"; mkdir -p "$WORK"
script="$(cd "$(dirname "$0")/../.." && pwd)/scripts/export_torchvision.py"

"$ARES" models > "$WORK/models.txt"
for want in "vgg16 138357544" "resnet50 25557032" "mobilenet_v2 3504872" \
            "inception_v3 23834568"; do
  set -- $want
  awk -v m="$1" -v n="$2" '$1 == m && $2 == n { found = 1 } END { exit !found }' \
    "$WORK/models.txt" || fail "ares models: expected $1 with $2 parameters"
done

# A binary PPM of W x H pixels: a gradient per channel.
ppm() {
  local path="$1" w="$2" h="$3" seed="$4"
  mkdir -p "$(dirname "$path")"
  { printf 'P6\n%d %d\n255\n' "$w" "$h"
    # Bytes 1..255 only, in the C locale: awks differ on printing NUL and on multibyte %c.
    LC_ALL=C awk -v w="$w" -v h="$h" -v s="$seed" 'BEGIN {
      for (y = 0; y < h; y++) for (x = 0; x < w; x++)
        printf "%c%c%c", 1 + (x + s) % 255, 1 + (y + s) % 255, 1 + (x + y + s) % 255 }'
  } > "$path"
}
# ImageNet's layout: NAME/val/<synset>/*.JPEG, with a class-index file.
val="$WORK/imagenet/val"
ppm "$val/n01440764/a.ppm" 40 30 1
ppm "$val/n01443537/b.ppm" 30 40 2
ppm "$val/n01443537/c.ppm" 33 33 3
for photo in /usr/share/doc/espeak-ng/docs/images/sand-light.jpg \
             /usr/share/icons/hicolor/256x256/apps/chromium.png; do
  [ -f "$photo" ] && cp "$photo" "$val/n01440764/"
done
printf 'n01440764 tench, Tinca tinca\nn01443537 goldfish, Carassius auratus\n' > "$val/classes.txt"

python=""
for py in "${ARES_PYTHON:-}" python3 /usr/bin/python3; do
  if [ -n "$py" ] && "$py" -c 'import torchvision' > /dev/null 2>&1; then python="$py"; break; fi
done
if [ -z "$python" ]; then
  echo "SKIP: python3 with torchvision not found; no export, no campaign"
  exit 77
fi

"$python" "$script" export mobilenet_v2 "$WORK/mobilenet_v2.ckpt" --seed 3 > "$WORK/export.txt"
grep -q "3504872 parameters" "$WORK/export.txt" || fail "export: $(cat "$WORK/export.txt")"

# The checkpoint names dataset=imagenet: found as $ARES_DATA_DIR/imagenet/val.
ARES_DATA_DIR="$WORK" "$ARES" campaign "$WORK/mobilenet_v2.ckpt" --eval-limit 2 --bers 1e-6 \
  --trials 1 --threads 2 --quiet --out "$WORK/c" > "$WORK/c.txt"
[ "$(wc -l < "$WORK/c/trials.csv")" = 4 ] || fail "expected 3 trial rows: $(cat "$WORK/c/trials.csv")"
grep -q "mobilenet_v2" "$WORK/c/summary.csv" || fail "summary lacks the model"
grep -q "mobilenet_v2" "$WORK/c.txt" || fail "table lacks the model: $(cat "$WORK/c.txt")"
# 3.5M weights x 8 bits at BER 1e-6: ~28 flips per trial, every trial evaluated on 2 samples.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  $col["faults"] == 0 || $col["samples"] != 2 || $col["evaluated"] != 1 { bad = 1 }
  END { exit bad }' "$WORK/c/trials.csv" || fail "trials must have faults and 2 evaluated samples"

# Bad input: one line, exit 2.
cp -r "$WORK/imagenet" "$WORK/corrupt"
printf 'not a jpeg' > "$WORK/corrupt/val/n01443537/broken.JPEG"
expect_input_error "corrupt image" "$ARES" campaign "$WORK/mobilenet_v2.ckpt" \
  --dataset "$WORK/corrupt" --bers 1e-6 --trials 1 --out "$WORK/x1"
mkdir -p "$WORK/emptyclass/n0"
cp -r "$WORK/imagenet/val/n01440764" "$WORK/emptyclass/"
expect_input_error "class folder without images" "$ARES" campaign "$WORK/mobilenet_v2.ckpt" \
  --dataset "$WORK/emptyclass" --bers 1e-6 --trials 1 --out "$WORK/x2"
cp -r "$WORK/imagenet" "$WORK/badindex"
echo "n99999999 no such class" >> "$WORK/badindex/val/classes.txt"
expect_input_error "class index without folder" "$ARES" campaign "$WORK/mobilenet_v2.ckpt" \
  --dataset "$WORK/badindex" --bers 1e-6 --trials 1 --out "$WORK/x3"
expect_input_error "299 images for a 224 model" env ARES_IMAGE_SIZE=299 "$ARES" campaign \
  "$WORK/mobilenet_v2.ckpt" --dataset "$WORK/imagenet" --bers 1e-6 --trials 1 --out "$WORK/x4"
for d in x1 x2 x3 x4; do
  [ ! -e "$WORK/$d" ] || fail "bad input left $WORK/$d behind"
done
rm -rf "$WORK"
echo "test_torchvision: all checks passed"
