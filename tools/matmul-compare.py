"""Pincette (ClBench RESULT lines) beside torch (tools/matmul-peer.py RESULT lines): one table, ratios > 1 mean
Pincette is faster. Usage: matmul-compare.py clbench.txt peer.txt"""
import sys
from collections import defaultdict

ours = defaultdict(list)   # (precision, shape) -> [(block, total ms, kernel ms)]
small = {}
torch = {}
for line in open(sys.argv[1]):
    p = line.split()
    if line.startswith("RESULT matmul"):
        ours[(p[2], p[3])].append((p[4], float(p[5]), float(p[6])))
    elif line.startswith("RESULT small"):
        small[p[2]] = (float(p[3]), float(p[4]), float(p[5]))
for line in open(sys.argv[2]):
    p = line.split()
    if line.startswith("RESULT torch roundtrip"):
        torch["roundtrip"] = float(p[3])
    elif line.startswith("RESULT torch small"):
        torch[("small", p[3])] = float(p[4])
    elif line.startswith("RESULT torch"):
        torch[(p[2], p[3])] = float(p[4])

print(f"{'precision':10} {'shape':18} {'best block':16} {'pincette ms':>11} {'TFLOP/s':>8} {'peer':15} {'peer ms':>8}"
      f" {'TFLOP/s':>8} {'ratio':>6}")
for (prec, shape), runs in sorted(ours.items(), key=lambda e: (e[0][0], e[0][1])):
    block, total, kernel = min(runs, key=lambda r: r[1])
    m, k, n = (int(x) for x in shape.split("x"))
    flops = 2.0 * m * k * n
    peers = ["bf16-converted", "bf16"] if prec == "bf16" else [prec]
    for peer in peers:
        ms = torch.get((peer, shape))
        if ms is None:
            continue
        print(f"{prec:10} {shape:18} {block:16} {total:11.3f} {flops / total * 1e-9:8.1f} {'torch ' + peer:15}"
              f" {ms:8.3f} {flops / ms * 1e-9:8.1f} {ms / total:6.2f}")
for shape, (backend, compute, floor) in small.items():
    peer = torch.get(("small", shape))
    print(f"small {shape}: pincette backend {backend:.1f} us, Compute.on(OPENCL) {compute:.1f} us, 4-byte read"
          f" {floor:.1f} us; torch host-array product {peer if peer else float('nan'):.1f} us, torch launch+sync"
          f" {torch.get('roundtrip', float('nan')):.1f} us")
