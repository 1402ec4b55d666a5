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
