#!/usr/bin/env bash
# Builds the native host (c/host/*.c), the mini catalogue and the smoke test with AddressSanitizer
# and UndefinedBehaviorSanitizer (LeakSanitizer included), then runs the smoke test for both ABI
# families. Exits nonzero on any build failure, failed check or sanitizer report.
#
#   bash tests/native/run_sanitized.sh            # uses gcc; CC=clang also works
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cc="${CC:-gcc}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

warnings=(-std=c11 -Wall -Wextra -Werror -ffp-contract=off)
sanitize=(-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
includes=(-I"$root/c")
host_sources=("$root"/c/host/*.c)
catalogue_sources=("$root"/c/denocat/*.c)

for abi in 6 7; do
  "$cc" "${warnings[@]}" "${sanitize[@]}" "${includes[@]}" -fPIC -shared -DMINI_ABI=$abi \
    "$here/mini_catalogue.c" -o "$work/libmini_abi$abi.so" -lm
done
"$cc" "${warnings[@]}" "${sanitize[@]}" "${includes[@]}" -fPIC -shared -DMINI_ABI=7 -DMINI_BROKEN=1 \
  "$here/mini_catalogue.c" -o "$work/libmini_broken_abi7.so" -lm
"$cc" "${warnings[@]}" "${sanitize[@]}" "${includes[@]}" -fPIC -shared -DMINI_ABI=6 -DMINI_BROKEN=1 \
  "$here/mini_catalogue.c" -o "$work/libmini_broken_abi6.so" -lm
"$cc" "${warnings[@]}" "${sanitize[@]}" "${includes[@]}" \
  "${host_sources[@]}" "$here/host_smoke.c" -o "$work/host_smoke" -ldl -lpthread -lm
# The trampoline catalogue itself, driven by a C stand-in for the JS dispatcher.
"$cc" "${warnings[@]}" "${sanitize[@]}" "${includes[@]}" -fPIC -shared \
  "${catalogue_sources[@]}" -o "$work/libdenocat.so" -lpthread -lm
"$cc" "${warnings[@]}" "${sanitize[@]}" "${includes[@]}" \
  "${host_sources[@]}" "$here/trampoline_smoke.c" -o "$work/trampoline_smoke" -ldl -lpthread -lm
# The hand-written reference catalogues, loaded by the same smoke host as a real catalogue.
for abi in 6 7; do
  "$cc" "${warnings[@]}" "${sanitize[@]}" "${includes[@]}" -fPIC -shared -DDENOCAT_COMPILED_ABI=$abi \
    "$root/c/reference.c" -o "$work/libreference_abi$abi.so" -lm
done
"$cc" "${warnings[@]}" "${sanitize[@]}" "${includes[@]}" \
  "${host_sources[@]}" "$here/reference_smoke.c" -o "$work/reference_smoke" -ldl -lpthread -lm

# LeakSanitizer is on by default with ASan on Linux; say so explicitly. Catalogue libraries are
# never dlclose'd (as in Arbor), which LSan does not count as a leak.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

status=0
for abi in 6 7; do
  other=$((13 - abi))
  if ! "$work/host_smoke" "$abi" "$work/libmini_abi$abi.so" "$work/libmini_abi$other.so" \
    "$work/libmini_broken_abi$abi.so"; then
    echo "host_smoke failed for ABI 0.$abi" >&2
    status=1
  fi
done
for abi in 6 7; do
  # A fresh copy per run: a catalogue's registrations live in its static data.
  cp "$work/libdenocat.so" "$work/libdenocat_run$abi.so"
  if ! "$work/trampoline_smoke" "$work/libdenocat_run$abi.so" "$abi"; then
    echo "trampoline_smoke failed for ABI 0.$abi" >&2
    status=1
  fi
done
for abi in 6 7; do
  if ! "$work/reference_smoke" "$work/libreference_abi$abi.so" "$abi"; then
    echo "reference_smoke failed for ABI 0.$abi" >&2
    status=1
  fi
done
exit $status
