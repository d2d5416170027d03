#!/usr/bin/env bash
# cpu-gemm-peer.sh: Pincette's CPU matmul beside the newest OpenBLAS on this machine (the one inside python3's numpy,
# found by the benchmark itself), with every core: the first products of fresh JVMs (kernel warm-up on, then off),
# then MatmulPeerTable (public API, backend and OpenBLAS side by side under JMH, shape by shape).
#
#   tools/cpu-gemm-peer.sh [BUNDLE_DIR] [MatmulPeerTable options, e.g. --rounds 2 --shapes 512x512x512,...]
#
# BUNDLE_DIR is a folder made by ../shared/tools/gpu-bundle (it needs no shaded jar); without one, the local build's
# benchmarks/target/benchmarks.jar runs (./mvnw -q -B -pl benchmarks -am package -DskipTests) with $JAVA, else the
# first JDK 25 in /usr/lib/jvm. Full logs go under $OUT (default /tmp/cpu-gemm-peer); the tables are printed last.
# About 5 minutes with the default shapes on a quiet machine, within 10 minutes in all (the first products get 60 s
# each, the table 460 s); STEPS="first" or STEPS="table" runs one part, and --shapes a subset.
set -u
OUT=${OUT:-/tmp/cpu-gemm-peer}
mkdir -p "$OUT"
bundle=""
if [ $# -gt 0 ] && [ -x "$1/run" ]; then bundle=$1; shift; fi
if [ -z "$bundle" ]; then
  for b in .gpu-bundle-gemm-cpu .gpu-bundle; do [ -x "$b/run" ] && { bundle=$b; break; }; done
fi
flags=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
if [ -z "$bundle" ] && [ -z "${JAVA:-}" ]; then
  for d in /usr/lib/jvm/*; do
    v=$("$d/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ "${v%%.*}" -ge 25 ] 2>/dev/null; then JAVA=$d/bin/java; break; fi
  done
fi
# OpenCL drivers built on LLVM (PoCL) install signal handlers over the JVM's; libjsig makes them chain instead.
if [ -z "$bundle" ] && [ -n "${JAVA:-}" ] && [ -f "$(dirname "$(dirname "$JAVA")")/lib/libjsig.so" ]; then
  export LD_PRELOAD="$(dirname "$(dirname "$JAVA")")/lib/libjsig.so${LD_PRELOAD:+:$LD_PRELOAD}"
fi
run() {
  if [ -n "$bundle" ]; then "$bundle/run" "$@"
  else "${JAVA:-java}" "${flags[@]}" ${JAVA_OPTS:-} -cp benchmarks/target/benchmarks.jar "$@"; fi
}

{
  echo "== machine"
  grep -m1 'model name' /proc/cpuinfo; echo "cores: $(nproc)"; uptime
  python3 -c 'import numpy; print("numpy", numpy.__version__); numpy.show_config()' 2>&1 \
    | grep -E '^numpy|openblas configuration' | head -3
} > "$OUT/machine.txt" 2>&1

# A fresh JVM each: the first ten 1024² products, with the kernel warm-up and without it. The cost model's calibration
# is off so that only Pincette's own start-up is measured (it would share the cores with the products).
steps=${STEPS:-first table}
for warmup in true false; do
  [[ " $steps " == *" first "* ]] || continue
  JAVA_OPTS="${JAVA_OPTS:-} -Dpincette.backend=cpu -Dpincette.calibrate=false -Dpincette.warmup=$warmup" \
    JAVA=${JAVA:-java} timeout 60 bash -c "$(declare -f run); $(declare -p bundle flags); run dev.pincette.benchmarks.MatmulFirstProducts 1024 10" \
    > "$OUT/first-products-warmup-$warmup.txt" 2>&1
done

rc=skipped
if [[ " $steps " == *" table "* ]]; then
  JAVA=${JAVA:-java} timeout 460 bash -c "$(declare -f run); $(declare -p bundle flags); run dev.pincette.benchmarks.MatmulPeerTable --wi 3 --i 4 $*" \
    > "$OUT/peer-table.txt" 2>&1
  rc=$?
fi

cat "$OUT/machine.txt"
for warmup in true false; do
  [ -f "$OUT/first-products-warmup-$warmup.txt" ] || continue
  echo "== first products, warm-up $warmup"; grep -vE 'WARNING|^\s*$' "$OUT/first-products-warmup-$warmup.txt"
done
echo "== peer table (rc=$rc)"
[ -f "$OUT/peer-table.txt" ] && sed -n '/^CPU: /,$p' "$OUT/peer-table.txt" | grep -vE 'WARNING|Unsafe' \
  | awk 'seen[$0]++ == 0'
