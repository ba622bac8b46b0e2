#!/usr/bin/env bash
# Fuzzes the .hf reader with libFuzzer (clang -fsanitize=fuzzer,address,
# undefined) for FUZZ_SECONDS (default 60), seeded from the fixture corpus.
# Exits non-zero when it finds a crash; the input is kept in
# _build/fuzz/crashes/. Each crash found becomes a file in
# tests/hf/fuzz/regressions/, which /hf/fuzz/regressions replays.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
builddir=${FUZZ_BUILDDIR:-_build/fuzz}
fixtures=${AFN_FIXTURES_DIR:-$(pwd)/../shared/fixtures/hf}

if [ ! -f "$builddir/build.ninja" ]; then
  CC=clang meson setup "$builddir" -Dfuzzing=true -Dstudio=false \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fsanitize=fuzzer-no-link -Dshared_dir="$(dirname "$(dirname "$fixtures")")"
fi
ninja -C "$builddir" tests/hf/fuzz/fuzz-hf

corpus="$builddir/fuzz-corpus"
mkdir -p "$corpus" "$builddir/crashes"
# Seeds: every fixture, its data.pkl alone, and the regression inputs.
for f in "$fixtures"/*.hf; do
  name=$(basename "$f" .hf)
  [ "$name" = hostile_zip_bomb ] && continue
  cp "$f" "$corpus/$name.hf"
  python3 -c 'import sys, zipfile
try:
    sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("data.pkl"))
except Exception:
    pass' "$f" > "$corpus/$name.pkl" || true
done
if [ -d tests/hf/fuzz/regressions ]; then
  cp tests/hf/fuzz/regressions/* "$corpus/" 2>/dev/null || true
fi

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
exec "$builddir/tests/hf/fuzz/fuzz-hf" "$corpus" \
  -max_total_time="$seconds" -max_len=262144 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$builddir/crashes/"
