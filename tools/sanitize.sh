#!/usr/bin/env bash
# Builds fastnn with AddressSanitizer + UndefinedBehaviorSanitizer (setup.py's FASTNN_SANITIZE=1)
# in a temporary copy of this checkout and runs the kernel tests against that build.
#
#   tools/sanitize.sh                      # the kernel test files below
#   tools/sanitize.sh tests/test_fuzz.py -m fuzz   # any pytest arguments instead
#
# The Python interpreter is not instrumented, so libasan is preloaded and leak detection is off
# (CPython keeps memory alive at exit by design). Any ASan or UBSan report aborts the run with a
# non-zero status. Set PYTHON to choose the interpreter, KEEP=1 to keep the temporary build.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
cc=${CC:-gcc}

libasan=$("$cc" -print-file-name=libasan.so)
if [ ! -e "$libasan" ]; then
    echo "sanitize.sh: $cc has no libasan.so (install the compiler's sanitizer runtime)" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/fastnn-sanitize.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi
echo "sanitize.sh: building in $work"

# Tracked and untracked (not ignored) files of the working tree, without build products.
(cd "$repo" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$work"
rm -f "$work"/src/fastnn/_C*.so "$work"/src/fastnn/_C.c

start=$(date +%s)
(cd "$work" && FASTNN_SANITIZE=1 "$python" setup.py -q build_ext --inplace -j 2 >build.log 2>&1) || {
    tail -n 40 "$work/build.log" >&2
    exit 1
}
built=$(date +%s)
linked=$(ldd "$work"/src/fastnn/_C*.so)  # not piped into grep -q: pipefail would see SIGPIPE
case "$linked" in
    *libasan*) ;;
    *) echo "sanitize.sh: the built module is not linked with libasan; FASTNN_SANITIZE had no effect" >&2
       exit 1 ;;
esac
echo "sanitize.sh: build took $((built - start)) s"

if [ $# -eq 0 ]; then
    set -- tests/test_kernels.py tests/test_matmul.py tests/test_matmul_zero_skip.py tests/test_dot.py tests/test_broadcasting.py \
        tests/test_softmax_numerics.py tests/test_optimizer_steps.py tests/test_thread_invariance.py \
        tests/test_threads.py tests/test_fork.py tests/test_selftest.py tests/test_bad_input.py \
        tests/test_datasets.py tests/test_step_plans.py tests/test_conv_layers.py tests/test_activations.py
fi

cd "$work"
status=0
LD_PRELOAD="$libasan" \
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
PYTHONPATH="$work/src" \
FASTNN_TEST_MNIST_DIR="${FASTNN_TEST_MNIST_DIR:-}" \
    "$python" -m pytest -q -p no:cacheprovider "$@" || status=$?
echo "sanitize.sh: tests took $(($(date +%s) - built)) s, exit status $status"
exit $status

