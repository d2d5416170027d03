#!/usr/bin/env bash
# Java kernels on resident data on a GPU machine, in one batch of under 5 minutes, ending with one summary table:
#   (a) saxpy on resident float arrays (ClResidentBench saxpy) against torch's device copy bandwidth
#       (tools/kernels-peer.py: y.copy_(x) and y.add_(x, alpha=2) on as many floats, in the same run), with the
#       variants that tell where a gap is: bounds checks on and off, groups of 256 and the driver's group size;
#   (b) the SPH density over a spatial map's resident neighbour lists, translated from Java against the same kernel
#       hand-written in OpenCL C (ClResidentBench density), with the same variants, the translated source launched
#       bare, and the hand-written kernel in both geometries;
#   (c) ParticlesExample, a whole step with its kernels on the GPU against the same kernels on the CPU
#       (--backend cpu: Compute.on(CPU)), with search, physics and update times per step.
# Run from the repository root with the bundle (../shared/tools/gpu-bundle; copy this script's two python files into
# it, or keep them under tools/) as $B. Full logs under $OUT.
#   B=.gpu-bundle-kernels3 OUT=/tmp/out [SAXPY_N=2^28] [POINTS=1000000] [PARTICLES=1000000] [STEPS=8] tools/gpu-kernels.sh
set -u
B=${B:-.gpu-bundle}
OUT=${OUT:-/tmp/pincette-gpu-kernels}
SAXPY_N=${SAXPY_N:-2^28}
SAXPY_N=$(( ${SAXPY_N//^/**} ))
SAXPY_REPS=${SAXPY_REPS:-50}
POINTS=${POINTS:-1000000}
DENSITY_REPS=${DENSITY_REPS:-50}
PARTICLES=${PARTICLES:-1000000}
STEPS=${STEPS:-8}
mkdir -p "$OUT"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
py() { if [ -f "$B/$1" ]; then echo "$B/$1"; else echo "$here/$1"; fi; }
export JAVA_OPTS="${JAVA_OPTS:-} -Xmx24g -Dpincette.cache.dir=${TMPDIR:-/tmp}/pincette-cache"
ldconfig -p | grep -q libOpenCL.so.1 || export LD_LIBRARY_PATH="$PWD/$B/native:${LD_LIBRARY_PATH:-}"
nvidia-smi -L > "$OUT/gpu.txt" 2>/dev/null || rm -f "$OUT/gpu.txt"
start=$SECONDS
step() {  # name seconds command...: runs it, logs to $OUT/name.txt, prints its exit status and time
  local name=$1 limit=$2 t0=$SECONDS; shift 2
  timeout "$limit" "$@" > "$OUT/$name.txt" 2>&1
  echo "$name rc=$? in $((SECONDS - t0)) s"
}
step saxpy 60 "$B/run" dev.pincette.opencl.ClResidentBench saxpy "$SAXPY_N" "$SAXPY_REPS"
step peer 60 python3 "$(py kernels-peer.py)" "$SAXPY_N" "$SAXPY_REPS"
step density 60 "$B/run" dev.pincette.opencl.ClResidentBench density "$POINTS" "$DENSITY_REPS"
step particles-gpu 60 "$B/run" dev.pincette.examples.ParticlesExample --particles "$PARTICLES" --steps "$STEPS" \
  --backend opencl
step particles-cpu 60 "$B/run" dev.pincette.examples.ParticlesExample --particles "$PARTICLES" --steps "$STEPS" \
  --backend cpu
echo "total $((SECONDS - start)) s"
for f in saxpy peer density; do grep -vE "^(RESULT|WARNING|  )" "$OUT/$f.txt" | grep -v "^$" | tail -4; done
python3 "$(py kernels-summary.py)" "$OUT" | tee "$OUT/table.txt"
