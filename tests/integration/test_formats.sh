#!/usr/bin/env bash
# End-to-end test of `ares formats`: list, show, flip (text and JSON) and a bad spec.
# Usage: bash test_formats.sh /path/to/ares WORKDIR
set -euo pipefail

ARES=${1:?usage: test_formats.sh /path/to/ares WORKDIR}
WORK=${2:?usage: test_formats.sh /path/to/ares WORKDIR}
mkdir -p "$WORK"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Runs ares with the given arguments, keeping stdout, stderr and the exit code; never stops
# the script on a non-zero exit (set -e), so that the checks below can look at it.
run() {
  RC=0
  "$ARES" "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
  OUT=$(cat "$WORK/out")
  ERR=$(cat "$WORK/err")
}

expect_ok() {
  [[ $RC -eq 0 ]] || fail "ares $* exited $RC; stderr: $ERR"
}

# --- listing --------------------------------------------------------------------------------
run formats
expect_ok formats
for family in 'qI.F-2c' 'qI.F-sm' fp32 fp16 bf16 fp8-e4m3 fp8-e5m2; do
  grep -qF -- "$family" <<<"$OUT" || fail "'ares formats' does not list $family: $OUT"
done

run formats --json
expect_ok formats --json
grep -q '"formats"' <<<"$OUT" || fail "'ares formats --json' has no formats key: $OUT"

run formats --help
expect_ok formats --help
grep -q 'usage' <<<"$OUT" || fail "'ares formats --help' prints no usage: $OUT"

# --- show -----------------------------------------------------------------------------------
run formats show q2.6-2c
expect_ok formats show q2.6-2c
grep -Eq '^width[[:space:]]+8( |$)' <<<"$OUT" || fail "show q2.6-2c does not give width 8: $OUT"
grep -Eq 'bit 7: sign' <<<"$OUT" || fail "show q2.6-2c does not name bit 7 the sign: $OUT"
grep -Eq 'bit 0: fraction' <<<"$OUT" || fail "show q2.6-2c does not name bit 0 a fraction: $OUT"

run formats show FP16 --json
expect_ok formats show FP16 --json
grep -Eq '"width":[[:space:]]*16[,}]' <<<"$OUT" || fail "show fp16 --json: no width 16: $OUT"

# --- flip -----------------------------------------------------------------------------------
# Sign-magnitude: flipping the sign of 0.5 negates it.
run formats flip q2.6-sm 0.5 --bit 7 --json
expect_ok formats flip q2.6-sm 0.5 --bit 7 --json
grep -Eq '"faulty":[[:space:]]*-0\.5[,}[:space:]]' <<<"$OUT" ||
  fail "flip q2.6-sm 0.5 --bit 7: expected faulty -0.5: $OUT"
grep -Eq '"stored":[[:space:]]*0\.5[,}[:space:]]' <<<"$OUT" ||
  fail "flip q2.6-sm 0.5 --bit 7: expected stored 0.5: $OUT"
grep -Eq '"role":[[:space:]]*"sign"' <<<"$OUT" ||
  fail "flip q2.6-sm 0.5 --bit 7: expected role sign: $OUT"

# Two's complement: flipping the sign of 0.5 moves it by 2^(2-1) = 2, to -1.5.
run formats flip q2.6-2c 0.5 --bit 7
expect_ok formats flip q2.6-2c 0.5 --bit 7
grep -Eq '^faulty[[:space:]]+-1\.5$' <<<"$OUT" ||
  fail "flip q2.6-2c 0.5 --bit 7: expected faulty -1.5: $OUT"
grep -Eq '00100000' <<<"$OUT" || fail "flip q2.6-2c 0.5: expected code 00100000: $OUT"

run formats flip q2.6-2c 0.5 --bit 7 --json
expect_ok formats flip q2.6-2c 0.5 --bit 7 --json
grep -Eq '"faulty":[[:space:]]*-1\.5[,}[:space:]]' <<<"$OUT" ||
  fail "flip q2.6-2c 0.5 --bit 7 --json: expected faulty -1.5: $OUT"

# --- OCP fp8 -------------------------------------------------------------------------------
run formats show fp8-e4m3
expect_ok formats show fp8-e4m3
grep -Eq '^width[[:space:]]+8 bits$' <<<"$OUT" || fail "show fp8-e4m3: no width 8: $OUT"
grep -Eq '^max[[:space:]]+448 ' <<<"$OUT" || fail "show fp8-e4m3: max is not 448: $OUT"
grep -Eq '^lsb[[:space:]]+0\.125 ' <<<"$OUT" || fail "show fp8-e4m3: lsb is not 0.125: $OUT"
grep -Eq '^overflow[[:space:]]+saturates' <<<"$OUT" || fail "show fp8-e4m3: not saturating: $OUT"
for b in 7:sign 6:exponent 3:exponent 2:mantissa 0:mantissa; do
  grep -q "bit ${b%%:*}: ${b#*:}" <<<"$OUT" || fail "show fp8-e4m3: bit ${b%%:*} is not ${b#*:}: $OUT"
done

run formats show FP8-E5M2-NOSAT --json
expect_ok formats show FP8-E5M2-NOSAT --json
grep -q '"spec": "fp8-e5m2-nosat"' <<<"$OUT" || fail "show fp8-e5m2-nosat --json: spec: $OUT"
grep -q '"max": 57344,' <<<"$OUT" || fail "show fp8-e5m2-nosat --json: max: $OUT"
grep -q '"saturating": false' <<<"$OUT" || fail "show fp8-e5m2-nosat --json: saturating: $OUT"
grep -q '{"bit": 2, "role": "exponent"}, {"bit": 1, "role": "mantissa"}' <<<"$OUT" ||
  fail "show fp8-e5m2-nosat --json: bit roles: $OUT"

# The top exponent bit of 1.0: 256 in E4M3 (0x38 -> 0x78), +Inf in E5M2 (0x3c -> 0x7c).
run formats flip fp8-e4m3 1 --bit 6
expect_ok formats flip fp8-e4m3 1 --bit 6
grep -Eq '^code[[:space:]]+00111000  0x38$' <<<"$OUT" || fail "flip fp8-e4m3 1: code: $OUT"
grep -Eq '^faulty[[:space:]]+256$' <<<"$OUT" || fail "flip fp8-e4m3 1 --bit 6: faulty: $OUT"
run formats flip fp8-e5m2 1 --bit 6 --json
expect_ok formats flip fp8-e5m2 1 --bit 6 --json
grep -q '"flipped_code_hex": "0x7c", "flipped_code_bin": "01111100", "faulty": "inf"' <<<"$OUT" ||
  fail "flip fp8-e5m2 1 --bit 6: expected 0x7c, Inf: $OUT"
# Saturation at the boundary: 464 stores 448 in both modes, 465 saturates or becomes NaN.
run formats flip fp8-e4m3 465 --bit 0
grep -Eq '^stored[[:space:]]+448$' <<<"$OUT" || fail "fp8-e4m3 does not saturate 465: $OUT"
run formats flip fp8-e4m3-nosat 464 --bit 0
grep -Eq '^stored[[:space:]]+448$' <<<"$OUT" || fail "fp8-e4m3-nosat 464 is not 448: $OUT"
run formats flip fp8-e4m3-nosat 465 --bit 0
grep -Eq '^code[[:space:]]+01111111  0x7f$' <<<"$OUT" || fail "fp8-e4m3-nosat 465 is not NaN: $OUT"
grep -Eq '^stored[[:space:]]+nan$' <<<"$OUT" || fail "fp8-e4m3-nosat 465 is not NaN: $OUT"
run formats flip fp8-e5m2-nosat 61440 --bit 0
grep -Eq '^stored[[:space:]]+inf$' <<<"$OUT" || fail "fp8-e5m2-nosat 61440 is not Inf: $OUT"
run formats flip fp8-e5m2 -inf --bit 0
grep -Eq '^stored[[:space:]]+-57344$' <<<"$OUT" || fail "fp8-e5m2 does not saturate -inf: $OUT"

# --- bad input: exit 2, exactly one line on stderr ------------------------------------------
expect_input_error() {
  run "$@"
  [[ $RC -eq 2 ]] || fail "ares $*: expected exit 2, got $RC; stdout: $OUT; stderr: $ERR"
  local lines
  lines=$(wc -l <"$WORK/err")
  [[ $lines -eq 1 ]] || fail "ares $*: expected one line on stderr, got $lines: $ERR"
}

expect_input_error formats show q20.20-2c
grep -qF "q20.20-2c" <<<"$ERR" || fail "the error does not name the spec: $ERR"
expect_input_error formats flip q2.6-2c 0.5 --bit 8
expect_input_error formats flip q2.6-2c 0.5
expect_input_error formats show q2.6-xx
expect_input_error formats frobnicate
expect_input_error formats show fp8-e3m4
grep -qF "format 'fp8-e3m4': unknown fp8 variant 'e3m4'" <<<"$ERR" || fail "fp8-e3m4: $ERR"
expect_input_error formats show fp8-e4m3-sat
grep -qF "format 'fp8-e4m3-sat': unknown fp8 option 'sat'" <<<"$ERR" || fail "fp8-e4m3-sat: $ERR"
expect_input_error formats flip fp8-e4m3 1 --bit 8

echo "test_formats: all checks passed"
