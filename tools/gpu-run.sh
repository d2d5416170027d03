#!/usr/bin/env bash
# One batch for a GPU machine (no Java there): run from the repository root after
#   ../shared/tools/gpu-bundle --tests
# with .gpu-bundle carried. Writes full logs under $OUT and prints a short summary last.
#   tools/gpu-run.sh [tests] [clbench] [xfer] [pipe] [devicedata] [particles] [sweep] [spatial] [demo]   (default:
#   all but xfer, pipe and spatial, which compare settings; SWEEPS=N repeats the sweep)
set -u
OUT=${OUT:-/tmp/pincette-gpu-out}
mkdir -p "$OUT"
export JAVA_OPTS="${JAVA_OPTS:-} -Xmx32g -Dpincette.cache.dir=${TMPDIR:-/tmp}/pincette-cache"
steps=${*:-tests clbench devicedata particles sweep demo}
cli=dev.pincette.examples.cli.PincetteCli
summary=()

# Register NVIDIA's OpenCL driver beside whatever is registered (PoCL), without touching /etc.
vendors="$OUT/vendors"; mkdir -p "$vendors"
cp /etc/OpenCL/vendors/*.icd "$vendors/" 2>/dev/null || true
grep -qs nvidia "$vendors"/*.icd || echo libnvidia-opencl.so.1 > "$vendors/nvidia.icd"
export OCL_ICD_VENDORS="$vendors"
# The ICD loader itself, carried in the bundle for machines that lack it.
ldconfig -p | grep -q libOpenCL.so.1 || export LD_LIBRARY_PATH="$PWD/.gpu-bundle/native:${LD_LIBRARY_PATH:-}"
nvidia-smi -L > "$OUT/gpu.txt" 2>&1 || true
.gpu-bundle/run $cli devices > "$OUT/devices.txt" 2>&1
for step in $steps; do
  case $step in
    tests)
      timeout 200 .gpu-bundle/run-tests --select-package dev.pincette --details=summary > "$OUT/tests.txt" 2>&1
      summary+=("tests rc=$?: $(grep -E 'tests (successful|failed)' "$OUT/tests.txt" | tr -s ' ' | tr '\n' ' ')") ;;
    clbench)
      timeout 150 .gpu-bundle/run dev.pincette.opencl.ClBench > "$OUT/clbench.txt" 2>&1
      summary+=("clbench rc=$?") ;;
    xfer)
      for setting in "64 8" "64 16" "128 16"; do
        set -- $setting
        JAVA_OPTS="$JAVA_OPTS -Dpincette.opencl.stagingMb=$1 -Dpincette.opencl.copyThreads=$2" timeout 60 \
          .gpu-bundle/run dev.pincette.opencl.ClBench --only transfers,pipeline >> "$OUT/xfer.txt" 2>&1
      done
      summary+=("xfer rc=$?") ;;
    pipe)
      timeout 120 .gpu-bundle/run dev.pincette.opencl.ClBench --only pipeline,host > "$OUT/pipe.txt" 2>&1
      timeout 120 .gpu-bundle/run dev.pincette.opencl.ClBench --only spatial --spatial-log2 23 >> "$OUT/pipe.txt" 2>&1
      summary+=("pipe rc=$?") ;;
    devicedata)
      timeout 200 .gpu-bundle/run $cli device-data > "$OUT/devicedata.txt" 2>&1
      summary+=("devicedata rc=$?")
      timeout 200 .gpu-bundle/run $cli device-data --backend auto >> "$OUT/devicedata.txt" 2>&1
      JAVA_OPTS="$JAVA_OPTS -Dpincette.opencl.pipeline=true" timeout 200 .gpu-bundle/run $cli device-data \
        --async-count 10 >> "$OUT/devicedata.txt" 2>&1
      ;;
    particles)
      timeout 120 .gpu-bundle/run dev.pincette.examples.ParticlesExample --particles 1000000 --steps 20 \
        --backend opencl > "$OUT/particles.txt" 2>&1
      timeout 120 .gpu-bundle/run dev.pincette.examples.ParticlesExample --particles 1000000 --steps 20 \
        --backend cpu > "$OUT/particles-cpu.txt" 2>&1
      summary+=("particles rc=$?") ;;
    sweep)
      # SWEEPS=N runs the sweep N times in a row (each its own JVM and calibration); the last is sweep.{txt,jsonl,csv}.
      for run in $(seq 1 "${SWEEPS:-1}"); do
        timeout 180 .gpu-bundle/run $cli bench --sweep --no-progress --json "$OUT/sweep.jsonl" --csv "$OUT/sweep.csv" \
          > "$OUT/sweep.txt" 2>&1
        summary+=("sweep $run rc=$?: $(grep regret "$OUT/sweep.txt")")
        cat "$OUT/sweep.txt" >> "$OUT/sweeps.txt"
      done ;;
    spatial)
      # 10M uniform points, ~20 neighbours: the dense grid, then the hash table, with each phase's device time.
      for dense in true false; do
        JAVA_OPTS="$JAVA_OPTS -Dpincette.opencl.spatialTrace=true -Dpincette.opencl.spatialDense=$dense" timeout 120 \
          .gpu-bundle/run dev.pincette.opencl.ClBench --only spatial --spatial-points 10000000 >> "$OUT/spatial.txt" 2>&1
        summary+=("spatial dense=$dense rc=$?")
      done ;;
    demo)
      for run in 1 2 3; do
        timeout 60 .gpu-bundle/run $cli demo > "$OUT/demo$run.txt" 2>&1
        summary+=("demo run $run rc=$?")
      done
      cp "$OUT/demo1.txt" "$OUT/demo.txt" ;;
  esac
done
echo "== devices"; grep -vE '^\s*$' "$OUT/devices.txt" | head -30
[ -f "$OUT/clbench.txt" ] && { echo "== clbench"; tail -25 "$OUT/clbench.txt"; }
[ -f "$OUT/xfer.txt" ] && { echo "== xfer"; grep -E "GB/s|end to end" "$OUT/xfer.txt"; }
[ -f "$OUT/pipe.txt" ] && { echo "== pipe"; grep -E "end to end|spatial" "$OUT/pipe.txt"; }
[ -f "$OUT/devicedata.txt" ] && { echo "== device-data"; grep -v WARNING "$OUT/devicedata.txt"; }
[ -f "$OUT/particles.txt" ] && { echo "== particles"; grep -v WARNING "$OUT/particles.txt" | tail -4; grep -v WARNING "$OUT/particles-cpu.txt" | tail -3; }
[ -f "$OUT/sweep.txt" ] && { echo "== sweep"; tail -45 "$OUT/sweep.txt"; }
[ -f "$OUT/spatial.txt" ] && { echo "== spatial"; grep -E "^spatial" "$OUT/spatial.txt" | tail -12; }
[ -f "$OUT/tests.txt" ] && { echo "== test failures"; grep -E "✘|MethodSource|JUnit Jupiter:.*✘" "$OUT/tests.txt" | head -20; tail -15 "$OUT/tests.txt"; }
cp hs_err_pid*.log "$OUT/" 2>/dev/null || true
[ -f "$OUT/demo.txt" ] && { echo "== demo"; grep -v WARNING "$OUT/demo.txt" | tail -22; }
echo "== summary"; printf '%s\n' "${summary[@]}"
