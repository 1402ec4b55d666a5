# Helpers for the integration tests: sourced, not run. $ARES is the binary under test.
fail() { echo "FAIL: $*" >&2; exit 1; }

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
