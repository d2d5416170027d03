"""torch's side of tools/gpu-kernels.sh: the device's copy bandwidth, on the same GPU, in the same run.

On N float32 elements resident on the GPU (default 2^28), timed with CUDA events over chains of REPS calls
(median of 5 chains after warm-up):
  copy  y.copy_(x)              8 bytes per element (x read, y written)
  add   y.add_(x, alpha=2)     12 bytes per element (x and y read, y written): saxpy's traffic
Lines starting RESULT are for tools/kernels-summary.py.
"""
import statistics
import sys


def chain_ms(torch, fn, reps):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(5):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(reps):
            fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / reps)
    return statistics.median(times)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 28
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    try:
        import torch
    except ImportError:
        print("torch is not installed: no peer", flush=True)
        return
    if not torch.cuda.is_available():
        print("torch has no CUDA device: no peer", flush=True)
        return
    print("torch", torch.__version__, "on", torch.cuda.get_device_name(0), flush=True)
    g = torch.Generator(device="cuda").manual_seed(1)
    x = torch.rand(n, device="cuda", generator=g)
    y = torch.zeros(n, device="cuda")
    for name, fn, per_element in (("copy", lambda: y.copy_(x), 8), ("add", lambda: y.add_(x, alpha=2), 12)):
        ms = chain_ms(torch, fn, reps)
        gbs = per_element * n / (ms * 1e-3) / 1e9
        print(f"torch {name} n={n}: {ms:.4f} ms per call, {gbs:.1f} GB/s at {per_element} B/element", flush=True)
        print(f"RESULT torch {name} n={n} ms={ms:.4f} gbs={gbs:.1f}", flush=True)


if __name__ == "__main__":
    main()
