"""Tables of the scale benchmark: one per catalog size, and sizes side by side."""

from __future__ import annotations

from collections.abc import Sequence

from scalebench.shapes import Timing

#: The issue's bound on growth: each shape at the largest size within 3x of the smallest.
GROWTH_LIMIT = 3.0


def size_label(count: int) -> str:
    if count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    if count % 1000 == 0:
        return f"{count // 1000}k"
    return str(count)


def print_timings(backend: str, count: int, timings: Sequence[Timing]) -> None:
    print(f"\n{backend}, {count:,} artifacts ({len(timings[0].times_ms)} requests per shape):")
    print(f"{'shape':<36} {'p50':>8} {'p95':>8} {'p99':>8} {'req/s':>7} {'target':>8}  verdict")
    for timing in timings:
        target = timing.shape.target_ms
        verdict = "-" if target is None else "OVER" if timing.over_target else "ok"
        print(f"{timing.shape.label:<36} {timing.percentile(50):8.1f} {timing.percentile(95):8.1f}"
              f" {timing.percentile(99):8.1f} {timing.rate:7.1f} "
              f"{'-' if target is None else f'{target:.0f}ms':>8}  {verdict}")


def print_growth(backend: str, by_size: dict[int, Sequence[Timing]]) -> None:
    """p50 and p99 (ms) at each size, and their ratio to the smallest size."""
    sizes = sorted(by_size)
    if len(sizes) < 2:
        return
    base = sizes[0]
    print(f"\n{backend}: each shape at every size (ms), and its growth: the ratio of its "
          f"p50 and p99 to {size_label(base)}'s (limit {GROWTH_LIMIT:g}x, judged on p50):")
    head = f"{'shape':<36}"
    for size in sizes:
        head += f" {'p50 ' + size_label(size):>10} {'p99 ' + size_label(size):>10}"
    for size in sizes[1:]:
        head += f" {'x50 ' + size_label(size):>9} {'x99 ' + size_label(size):>9}"
    print(head + "  verdict")
    for position, base_timing in enumerate(by_size[base]):
        line = f"{base_timing.shape.label:<36}"
        for size in sizes:
            timing = by_size[size][position]
            line += f" {timing.percentile(50):10.1f} {timing.percentile(99):10.1f}"
        worst = 0.0
        for size in sizes[1:]:
            timing = by_size[size][position]
            p50 = timing.percentile(50) / base_timing.percentile(50)
            p99 = timing.percentile(99) / base_timing.percentile(99)
            worst = max(worst, p50)
            line += f" {p50:9.1f} {p99:9.1f}"
        if base_timing.shape.target_ms is None:
            print(line + "  -")
        else:
            print(line + ("  ok" if worst <= GROWTH_LIMIT else "  OVER"))


def markdown(results: Sequence[dict]) -> str:
    """The results (as in ``--json``) as docs/performance.md's tables: per backend, each
    shape's p50 / p95 / p99 at every size, the target and the growth of p50."""
    out = []
    for backend in dict.fromkeys(run["backend"] for run in results):
        runs = [run for run in results if run["backend"] == backend]
        sizes = [size_label(run["size"]) for run in runs]
        head = ["shape", "target p99", *(f"{size} p50 / p95 / p99" for size in sizes)]
        head += [f"p50 {size} / {sizes[0]}" for size in sizes[1:]]
        out += [f"{backend}:", "", "| " + " | ".join(head) + " |",
                "| --- |" + " ---: |" * (len(head) - 1)]
        for position, first in enumerate(runs[0]["shapes"]):
            target = first["target_p99_ms"]
            row = [f"`{first['label']}`", "-" if target is None else f"{target:g}"]
            for run in runs:
                shape = run["shapes"][position]
                mark = " **over**" if shape["meets_target"] is False else ""
                row.append(f"{shape['p50_ms']:.0f} / {shape['p95_ms']:.0f} / "
                           f"{shape['p99_ms']:.0f}{mark}")
            row += [f"{run['shapes'][position]['p50_ms'] / first['p50_ms']:.1f}x"
                    for run in runs[1:]]
            out.append("| " + " | ".join(row) + " |")
        loads = ", ".join(f"{size_label(run['size'])}: {run['loaded']:,} in "
                          f"{run['load_seconds']:g} s ({run['load_per_s']:,}/s)"
                          for run in runs if run["loaded"])
        out += ["", f"Loading ({backend}): {loads}.", ""]
    return "\n".join(out)
