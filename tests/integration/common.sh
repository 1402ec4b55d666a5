# Helpers for the integration tests: sourced, not run. $ARES is the binary under test.
fail() { echo "FAIL: $*" >&2; exit 1; }

# Debian's python3-torch (the LibTorch that Ares links), for the TorchScript exports. Without
# it a test needing it ends as skipped (exit 77: ctest's SKIP_RETURN_CODE), not passed.
PY=/usr/bin/python3
need_python_torch() {
  if ! "$PY" -c "import torch" 2> /dev/null; then
    echo "SKIP: Debian's python3-torch is not installed ($PY -c 'import torch' failed)"
    exit 77
  fi
}

# expect_input_error NAME CMD...: exit code 2 and exactly one line on stderr.
expect_input_error() {
  local name="$1"; shift
  local err rc=0
  err="$("$@" 2>&1 >/dev/null)" || rc=$?
  [ "$rc" = 2 ] || fail "$name: expected exit 2, got $rc: $err"
  [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "$name: expected one line on stderr, got: $err"
  echo "ok: $name -> $err"
}

# Drops the last CSV column (seconds: the only one allowed to vary between runs).
without_seconds() { sed 's/,[^,]*$//' "$1"; }

# Drops the checkpoint (column 2) and seconds columns: one campaign's rows on two copies of a
# model (a zoo checkpoint and its TorchScript export, a file and the Python API's temporary one).
without_checkpoint() { cut -d, -f2 --complement "$1" | sed 's/,[^,]*$//'; }

# Drops the last three columns (nll, perplexity, seconds): what two engines, BLAS kernels or
# stagings of one model must agree on exactly, their logits differing only by float rounding.
without_nll() { sed 's/,[^,]*,[^,]*,[^,]*$//' "$1"; }

# nll_close A B: the nll columns of two trials.csv files agree to 1e-5 relative (inf == inf).
nll_close() {
  paste -d' ' <(cut -d, -f24 "$1") <(cut -d, -f24 "$2") | awk '
    NR == 1 { if ($1 != "nll" || $2 != "nll") { print "column 24 is not nll"; exit 1 }; next }
    { a = $1 + 0; b = $2 + 0; d = a - b; if (d < 0) d = -d; m = (a < 0 ? -a : a)
      if ($1 != $2 && !(d <= 1e-5 * m)) { print "row " NR ": nll " $1 " vs " $2; exit 1 } }'
}

# sha256 of a checkpoint's tensors: everything after the metadata, the hash excluded (layout
# in include/ares/models/checkpoint.h).
tensors() {
  python3 - "$1" <<'PY'
import hashlib, struct, sys
b = open(sys.argv[1], "rb").read()
pos = 12
(n,) = struct.unpack_from("<I", b, pos); pos += 4
for _ in range(2 * n):
    (k,) = struct.unpack_from("<I", b, pos); pos += 4 + k
print(hashlib.sha256(b[pos:-8]).hexdigest())
PY
}
