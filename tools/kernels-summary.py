"""The summary table of tools/gpu-kernels.sh, from the logs it wrote into OUT (argument 1)."""
import os
import re
import statistics
import sys


def results(path):
    """{key: {field: value}} from the RESULT lines of a log (key: the words before the first field)."""
    out = {}
    if not os.path.exists(path):
        return out
    for line in open(path, errors="replace"):
        if not line.startswith("RESULT "):
            continue
        words = line.split()[1:]
        key = " ".join(w for w in words if "=" not in w)
        out[key] = {w.split("=")[0]: w.split("=")[1] for w in words if "=" in w}
    return out


def variants(path, prefix):
    """[(name, {field: value})] of the RESULT lines of a log starting with prefix, in order (the bench's variants)."""
    return [(key[len(prefix) + 1:], fields) for key, fields in results(path).items() if key.startswith(prefix + " ")]


def steps(path):
    """Per-step (search, physics, update) ms of ParticlesExample, the first step (compilation, JIT) left out."""
    rows = []
    if not os.path.exists(path):
        return rows
    pattern = re.compile(r"step\s+(\d+):.*search ([\d.]+) ms, physics ([\d.]+) ms, update ([\d.]+) ms")
    for line in open(path, errors="replace"):
        m = pattern.search(line)
        if m and int(m.group(1)) > 0:
            rows.append(tuple(float(m.group(k)) for k in (2, 3, 4)))
    return rows


def median_step(rows):
    if not rows:
        return None
    total = statistics.median(sum(r) for r in rows)
    return total, tuple(statistics.median(r[k] for r in rows) for k in range(3))


def first_line(path, prefix):
    if os.path.exists(path):
        for line in open(path, errors="replace"):
            if line.startswith(prefix):
                return line[len(prefix):].strip()
    return "?"


def main():
    out = sys.argv[1]
    device = first_line(os.path.join(out, "saxpy.txt"), "device: ")
    gpu = open(os.path.join(out, "gpu.txt")).read().strip() if os.path.exists(os.path.join(out, "gpu.txt")) else ""
    print(f"== Pincette Java kernels on resident data: OpenCL device {device}" + (f" ({gpu})" if gpu else ""))
    rows = []
    saxpy = results(os.path.join(out, "saxpy.txt")).get("saxpy")
    peer = results(os.path.join(out, "peer.txt"))
    copy = next((v for k, v in peer.items() if k == "torch copy"), None)
    add = next((v for k, v in peer.items() if k == "torch add"), None)
    if saxpy:
        gbs = float(saxpy["gbs"])
        line = f"{saxpy['ms']} ms/call, {gbs:.1f} GB/s (12 B/elem), sampled wrong {saxpy['wrong']}"
        if copy and add:
            line += (f" | torch copy_ {copy['gbs']} GB/s, add_ {add['gbs']} GB/s | Pincette/copy "
                     f"{gbs / float(copy['gbs']):.3f}, Pincette/add_ {gbs / float(add['gbs']):.3f}")
        else:
            line += " | torch: no peer (see peer.txt)"
        rows.append((f"(a) saxpy n={saxpy['n']} resident", line))
        for name, v in variants(os.path.join(out, "saxpy.txt"), "saxpy-variant"):
            text = f"{v['ms']} ms/call, {v['gbs']} GB/s, {v['vs_compute']}x the compute call's time"
            if copy:
                text += f" | /copy {float(v['gbs']) / float(copy['gbs']):.3f}"
            rows.append((f"    saxpy {name}", text))
    else:
        rows.append(("(a) saxpy", "no result (see saxpy.txt)"))
    density = results(os.path.join(out, "density.txt")).get("density")
    if density:
        rows.append((f"(b) density {density['points']} points", f"translated {density['java_ms']} ms, hand-written "
                     f"OpenCL C {density['hand_ms']} ms (driver's group) / {density.get('hand_group_ms', '?')} ms "
                     f"(whole groups), ratios {density['ratio']} / {density.get('ratio_group', '?')} (the translated "
                     f"source launched raw {density.get('raw_ms', '?')} ms); elements differing: "
                     f"{density['differ_hand']} from hand-written, {density['differ_cpu']} from the CPU"))
        for name, v in variants(os.path.join(out, "density.txt"), "density-variant"):
            rows.append((f"    density {name}", f"{v['ms']} ms, {v['vs_hand']}x hand-driver, {v['vs_hand_group']}x "
                         f"hand-group; elements differing from hand-driver: {v['differ_hand']}"))
    elif os.path.exists(os.path.join(out, "density.txt")):
        rows.append(("(b) density", "no result (see density.txt)"))
    gpu_step = median_step(steps(os.path.join(out, "particles-gpu.txt")))
    cpu_step = median_step(steps(os.path.join(out, "particles-cpu.txt")))
    for name, step, log in (("GPU", gpu_step, "particles-gpu.txt"), ("CPU", cpu_step, "particles-cpu.txt")):
        header = ""
        if os.path.exists(os.path.join(out, log)):
            header = next((line.strip() for line in open(os.path.join(out, log), errors="replace")
                           if " particles, smoothing radius" in line), "")
        where = re.search(r"map on (\w+)", header)
        label = f"(c) particles, {name}" + (f" (map on {where.group(1)})" if where else "")
        if step:
            total, (search, physics, update) = step
            rows.append((label, f"step {total:.1f} ms: search {search:.1f}, physics {physics:.1f},"
                         f" update {update:.1f} ms (medians of steps 1..)"))
        else:
            rows.append((label, f"no steps (see {log})"))
    if gpu_step and cpu_step:
        rows.append(("(c) particles, CPU step / GPU step", f"{cpu_step[0] / gpu_step[0]:.2f}x"))
    width = max(len(r[0]) for r in rows)
    for name, text in rows:
        print(f"{name.ljust(width)}  {text}")


if __name__ == "__main__":
    main()
