#!/usr/bin/env bash
# Matrix products on a GPU machine in one batch: the correctness tests of the OpenCL matmul paths, then ClBench's
# products (every block shape, every precision) and small calls, then torch's (tools/matmul-peer.py), and a table
# of both with ratios. Run from the repository root with the bundle (../shared/tools/gpu-bundle --tests, this script
# and the two python files copied into it) as $B. Full logs under $OUT.
#   B=.gpu-bundle-gemm-gpu OUT=/tmp/out [TESTS="ClPrecisionTest ..."] [BENCH_OPTS=-D...] tools/gpu-matmul.sh [SHAPES] [SMALL]
set -u
B=${B:-.gpu-bundle}
OUT=${OUT:-/tmp/pincette-gpu-out}
SHAPES=${1:-1024,2048,4096,8192,4096x64x4096,1000,8192x8192x1024}
SMALL=${2:-32,8,64}
mkdir -p "$OUT"
export JAVA_OPTS="${JAVA_OPTS:-} -Xmx24g -Dpincette.cache.dir=${TMPDIR:-/tmp}/pincette-cache"
ldconfig -p | grep -q libOpenCL.so.1 || export LD_LIBRARY_PATH="$PWD/$B/native:${LD_LIBRARY_PATH:-}"
nvidia-smi -L | tee "$OUT/gpu.txt"
if [ -n "${TESTS:-}" ]; then
  sel=(); for t in $TESTS; do sel+=(--select-class "dev.pincette.opencl.$t"); done
  timeout "${TEST_SECONDS:-240}" "$B/run-tests" "${sel[@]}" --details=summary > "$OUT/tests.txt" 2>&1
  echo "tests rc=$?: $(grep -E 'tests (successful|failed)' "$OUT/tests.txt" | tr -s ' ' | tr '\n' ' ')"
  grep -E "✘" "$OUT/tests.txt" | head -20
fi
JAVA_OPTS="$JAVA_OPTS ${BENCH_OPTS:-}" timeout "${BENCH_SECONDS:-300}" "$B/run" dev.pincette.opencl.ClBench --only sgemm,small --precision fp32,tf32,bf16 \
  ${TILES---tiles} --sgemm "$SHAPES" --small "$SMALL" --repeats "${REPEATS:-7}" > "$OUT/clbench.txt" 2>&1
echo "clbench rc=$?"
grep -E "^(matmul|small|tensor|device)|WRONG|Exception|ptxas info.*(registers|spill)" "$OUT/clbench.txt" | head -150
if [ -n "${GROUP_ROWS:-}" ]; then
  # The float32 blocks again, launched in groups of GROUP_ROWS block rows (pincette.opencl.matmulGroup).
  JAVA_OPTS="$JAVA_OPTS -Dpincette.opencl.matmulGroup=$GROUP_ROWS" timeout 90 "$B/run" dev.pincette.opencl.ClBench \
    --only sgemm --precision fp32 --tiles --sgemm "$SHAPES" --repeats "${REPEATS:-7}" > "$OUT/clbench-group.txt" 2>&1
  echo "clbench group=$GROUP_ROWS rc=$?"; grep -E "^matmul|WRONG" "$OUT/clbench-group.txt"
fi
PYTHONUNBUFFERED=1 timeout "${PEER_SECONDS:-200}" python3 "$B/matmul-peer.py" "$SHAPES" "$SMALL" > "$OUT/peer.txt" 2>&1
echo "peer rc=$?"; grep -v RESULT "$OUT/peer.txt" | tail -40
python3 "$B/matmul-compare.py" "$OUT/clbench.txt" "$OUT/peer.txt" | tee "$OUT/table.txt"
