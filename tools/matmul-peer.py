"""torch's side of tools/gpu-matmul.sh: the products ClBench times, on the same GPU, in the same run.

Device-resident products, timed with CUDA events (median of repeats after warm-up), random inputs in [-1, 1):
  fp32  torch.backends.cuda.matmul.allow_tf32 = False (cuBLAS SGEMM)
  tf32  allow_tf32 = True (cuBLAS on tensor cores, TF32 inputs)
  bf16  bf16 operands converted once beforehand (bf16 result), and converted from float32 in every call
Small calls: a tiny kernel's launch and synchronisation round trip, and a host-array product end to end
((a.cuda() @ b.cuda()).cpu(), pageable tensors as a caller has them), medians of 2000.
Lines starting RESULT are for tools/matmul-compare.py.
"""
import statistics
import sys
import time

import torch


def shapes(spec):
    out = []
    for s in spec.split(","):
        p = [int(x) for x in s.split("x")]
        out.append((p[0], p[0], p[0]) if len(p) == 1 else tuple(p))
    return out


def timed(fn, repeats):
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def main():
    products = shapes(sys.argv[1])
    small = shapes(sys.argv[2])
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    print("torch", torch.__version__, "on", torch.cuda.get_device_name(0), flush=True)
    for m, k, n in products:
        g = torch.Generator(device="cuda").manual_seed(1)
        a = torch.rand(m, k, device="cuda", generator=g) * 2 - 1
        b = torch.rand(k, n, device="cuda", generator=g) * 2 - 1
        name = f"{m}x{k}x{n}"
        flops = 2.0 * m * k * n
        results = {}
        torch.backends.cuda.matmul.allow_tf32 = False
        results["fp32"] = timed(lambda: a @ b, repeats)
        torch.backends.cuda.matmul.allow_tf32 = True
        results["tf32"] = timed(lambda: a @ b, repeats)
        torch.backends.cuda.matmul.allow_tf32 = False
        a16, b16 = a.bfloat16(), b.bfloat16()
        results["bf16"] = timed(lambda: a16 @ b16, repeats)
        results["bf16-converted"] = timed(lambda: a.bfloat16() @ b.bfloat16(), repeats)
        for key, ms in results.items():
            print(f"torch {key} {name}: {ms:.3f} ms = {flops / ms * 1e-9:.1f} TFLOP/s", flush=True)
            print(f"RESULT torch {key} {name} {ms:.4f}", flush=True)
        del a, b, a16, b16
        torch.cuda.empty_cache()
    x = torch.zeros(1, device="cuda")
    round_trips = []
    for i in range(2200):
        t = time.perf_counter()
        x.add_(1)
        torch.cuda.synchronize()
        if i >= 200:
            round_trips.append((time.perf_counter() - t) * 1e6)
    print(f"torch launch+sync round trip of a tiny kernel: {statistics.median(round_trips):.1f} us", flush=True)
    print(f"RESULT torch roundtrip {statistics.median(round_trips):.2f}", flush=True)
    for m, k, n in small:
        a = torch.rand(m, k) * 2 - 1
        b = torch.rand(k, n) * 2 - 1
        times = []
        for i in range(2200):
            t = time.perf_counter()
            (a.cuda() @ b.cuda()).cpu()
            if i >= 200:
                times.append((time.perf_counter() - t) * 1e6)
        print(f"torch host-array product {m}x{k}x{n} end to end: {statistics.median(times):.1f} us", flush=True)
        print(f"RESULT torch small {m}x{k}x{n} {statistics.median(times):.2f}", flush=True)


if __name__ == "__main__":
    main()
