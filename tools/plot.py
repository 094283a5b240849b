#!/usr/bin/env python3
"""Figures from attnbench reports (docs/report-schema.md), with Debian's python3-matplotlib.

  tools/plot.py REPORT... -o DIR [--format png,svg] [--figures pareto,time,memory,error]
  tools/plot.py --all REPORT -o DIR      every figure, plus DIR/index.md embedding them with a summary table

Figures (one file per shape; a shape is input distribution, head dim, batch, heads, causal, dtype, device):
  pareto-*   error (rel_fro) vs median time at one N, ann-benchmarks style: each method's frontier as a line,
             points another configuration beats on both axes drawn faint
  time-*     median time vs N on log-log axes, one line per configuration, the fitted slope in the legend
  memory-*   peak workspace vs N on log-log axes, fitted slope in the legend
  error-*    rel_fro vs budget (rank or sparsity) per method at one N, mean with the seed spread (min-max band)

Seeds are folded as attnbench report does: time is the median of per-case medians, error the mean over seeds.
Only `ok` cases are drawn. Exit codes: 0 figures written, 2 bad input or matplotlib missing.
"""
import argparse
import collections
import json
import math
import os
import re
import statistics
import sys


def fail(message):
    print(f"plot.py: {message}", file=sys.stderr)
    sys.exit(2)


def load_records(path):
    """Records of a report (.json) or a per-case log (.jsonl, a torn last line is skipped)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        fail(f"{path}: cannot read ({e.strerror})")
    if path.endswith(".jsonl"):
        lines = [l for l in text.splitlines() if l.strip()]
        out = []
        for i, line in enumerate(lines):
            try:
                out.append(json.loads(line))
            except ValueError:
                if i + 1 == len(lines):
                    print(f"plot.py: {path}: ignoring torn last line", file=sys.stderr)
                    break
                fail(f"{path}:{i + 1}: not valid JSON")
        return out
    try:
        report = json.loads(text)
    except ValueError:
        fail(f"{path}: not valid JSON (truncated?)")
    schema = report.get("schema", "") if isinstance(report, dict) else ""
    if not re.fullmatch(r"attnbench\.report/1(\.\d+)?", schema):
        fail(f"{path}: report schema '{schema}' is not supported (this script reads attnbench.report/1.x)")
    return report.get("results", [])


def budget_text(r):
    b = r.get("budget") or {}
    parts = []
    if b.get("rank") is not None:
        parts.append(f"rank={b['rank']}")
    if b.get("sparsity") is not None:
        parts.append(f"sparsity={b['sparsity']:g}")
    return " ".join(parts)


def shape_family(r):
    i = r["input"]
    label = i["distribution"] + (f" t={i['temperature']:g}" if i.get("temperature", 1.0) != 1.0 else "")
    causal = " causal" if i["causal"] else ""
    return f"{label} d={i['head_dim']} B={i['batch']} H={i['heads']}{causal} {i['dtype']} {r['device']}"


def config_labels(records):
    """method + budget + as few parameters as tell apart configurations sharing a budget and shape
    (attnbench report's rule: local's variant=blocks vs variant=sliding, not the window derived from N)."""
    by_method = collections.defaultdict(list)
    for r in records:
        by_method[r["method"]].append(r)
    chosen = {}

    def group(r):
        return (budget_text(r), shape_family(r), r["input"]["seq_len"])

    def values(r, names):
        params = r.get("params") or {}
        return tuple(json.dumps(params.get(n)) for n in names)

    for method, recs in by_method.items():
        within = collections.defaultdict(set)
        overall = collections.defaultdict(set)
        for r in recs:
            for name, value in (r.get("params") or {}).items():
                within[(group(r), name)].add(json.dumps(value))
                overall[name].add(json.dumps(value))
        candidates = sorted({name for (g, name), v in within.items() if len(v) > 1},
                            key=lambda n: (len(overall[n]), n))
        names = []
        for c in candidates:
            names.append(c)
            seen = {}
            if all(seen.setdefault((group(r), values(r, names)), values(r, candidates)) == values(r, candidates)
                   for r in recs):
                break
        chosen[method] = sorted(names)

    def label(r):
        params = r.get("params") or {}
        extra = [f"{n}={params[n]}" for n in chosen.get(r["method"], []) if n in params]
        return " ".join(p for p in [r["method"], budget_text(r)] + extra if p)

    return label


class Point:
    def __init__(self):
        self.times, self.errors, self.peaks = [], [], []
        self.record = None

    @property
    def time(self):
        return statistics.median(self.times) if self.times else None

    @property
    def error(self):
        return statistics.fmean(self.errors) if self.errors else None


def fold(records):
    """(config, family, N) -> Point over seeds; ok records only."""
    label = config_labels(records)
    points = collections.OrderedDict()
    for r in records:
        if r.get("status") != "ok":
            continue
        key = (label(r), shape_family(r), r["input"]["seq_len"])
        p = points.setdefault(key, Point())
        p.record = p.record or r
        p.times.append(r["time_ms"]["median"])
        rel = (r.get("error") or {}).get("rel_fro")
        if rel is not None and math.isfinite(rel):
            p.errors.append(rel)
        p.peaks.append((r.get("memory") or {}).get("peak_workspace_bytes") or 0)
    return points


def slug(text):
    return re.sub(r"[^A-Za-z0-9=.]+", "-", text).strip("-")


def method_colors(methods):
    import matplotlib.pyplot as plt
    cmap = plt.get_cmap("tab20")
    return {m: cmap(i % 20) for i, m in enumerate(sorted(methods))}


def save(fig, outdir, name, formats, written):
    for ext in formats:
        path = os.path.join(outdir, f"{name}.{ext}")
        fig.savefig(path, bbox_inches="tight", dpi=120)
        written.append(path)


def pareto_figures(points, outdir, formats, written):
    import matplotlib.pyplot as plt
    by_shape = collections.defaultdict(list)
    for (config, family, n), p in points.items():
        if p.error is not None and p.error > 0 and p.time:
            by_shape[(family, n)].append((config, p))
    colors = method_colors({p.record["method"] for pts in by_shape.values() for _, p in pts})
    for (family, n), pts in sorted(by_shape.items()):
        fig, ax = plt.subplots(figsize=(7, 5))

        def dominated(p):
            return any(q is not p and q.error <= p.error and q.time <= p.time and (q.error < p.error or q.time < p.time)
                       for _, q in pts)

        by_method = collections.defaultdict(list)
        for config, p in pts:
            by_method[p.record["method"]].append(p)
        for method, mp in sorted(by_method.items()):
            c = colors[method]
            faint = [p for p in mp if dominated(p)]
            strong = [p for p in mp if not dominated(p)]
            ax.scatter([p.error for p in faint], [p.time for p in faint], color=c, alpha=0.25, s=18)
            # The method's own frontier: its points that no other point of the same method beats.
            own = sorted((p for p in mp if not any(q is not p and q.error <= p.error and q.time <= p.time and
                                                  (q.error < p.error or q.time < p.time) for q in mp)),
                         key=lambda p: p.error)
            ax.plot([p.error for p in own], [p.time for p in own], color=c, alpha=0.6, lw=1)
            ax.scatter([p.error for p in strong], [p.time for p in strong], color=c, s=36, label=method,
                       edgecolors="black", linewidths=0.5)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("relative Frobenius error vs fp64 softmax (lower is better)")
        ax.set_ylabel("median time, ms (lower is better)")
        ax.set_title(f"Error vs time, N={n}, {family}", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        save(fig, outdir, f"pareto-N={n}-{slug(family)}", formats, written)
        plt.close(fig)


def fitted_slope(ns, ys):
    """Least-squares slope of log y on log N (the empirical complexity exponent)."""
    if len(ns) < 2:
        return None
    xs = [math.log(n) for n in ns]
    ls = [math.log(y) for y in ys]
    mx, my = statistics.fmean(xs), statistics.fmean(ls)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (l - my) for x, l in zip(xs, ls)) / den if den > 0 else None


def scaling_figures(points, outdir, formats, written, what):
    import matplotlib.pyplot as plt
    curves = collections.defaultdict(lambda: collections.defaultdict(dict))
    for (config, family, n), p in points.items():
        value = p.time if what == "time" else (max(p.peaks) / 2 ** 20 if p.peaks else 0)
        if value and value > 0:
            curves[family][config][n] = value
    for family, by_config in sorted(curves.items()):
        if not any(len(c) > 1 for c in by_config.values()):
            continue  # one N only: nothing to scale
        fig, ax = plt.subplots(figsize=(7, 5))
        for config, c in by_config.items():
            ns = sorted(c)
            ys = [c[n] for n in ns]
            s = fitted_slope(ns, ys)
            ax.plot(ns, ys, marker="o", ms=3, label=f"{config} (slope {s:.2f})" if s is not None else config)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length N")
        ax.set_ylabel("median time, ms" if what == "time" else "peak workspace, MiB")
        ax.set_title(f"{'Time' if what == 'time' else 'Memory'} vs N, {family}", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6, loc="best")
        save(fig, outdir, f"{what}-{slug(family)}", formats, written)
        plt.close(fig)


def error_budget_figures(records, outdir, formats, written):
    import matplotlib.pyplot as plt
    # (family, N) -> (method, knob) -> budget -> [rel_fro over seeds]
    data = collections.defaultdict(lambda: collections.defaultdict(lambda: collections.defaultdict(list)))
    for r in records:
        rel = (r.get("error") or {}).get("rel_fro")
        if r.get("status") != "ok" or rel is None:
            continue
        b = r.get("budget") or {}
        for knob in ("rank", "sparsity"):
            if b.get(knob) is not None:
                data[(shape_family(r), r["input"]["seq_len"])][(r["method"], knob)][b[knob]].append(rel)
    for (family, n), curves in sorted(data.items()):
        if not any(len(by_budget) > 1 for by_budget in curves.values()):
            continue
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), squeeze=False)
        for col, knob in enumerate(("rank", "sparsity")):
            ax = axes[0][col]
            for (method, k), by_budget in sorted(curves.items()):
                if k != knob:
                    continue
                xs = sorted(by_budget)
                mean = [statistics.fmean(by_budget[x]) for x in xs]
                lo = [min(by_budget[x]) for x in xs]
                hi = [max(by_budget[x]) for x in xs]
                line, = ax.plot(xs, mean, marker="o", ms=3, label=method)
                ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.2)
            ax.set_yscale("log")
            if knob == "rank":
                ax.set_xscale("log", base=2)
            ax.set_xlabel(knob)
            ax.set_ylabel("rel_fro (mean, band: min-max over seeds)")
            ax.grid(True, which="both", alpha=0.3)
            if ax.lines:
                ax.legend(fontsize=7)
        fig.suptitle(f"Error vs budget, N={n}, {family}", fontsize=10)
        save(fig, outdir, f"error-N={n}-{slug(family)}", formats, written)
        plt.close(fig)


def summary_markdown(points):
    base = {}
    for (config, family, n), p in points.items():
        if p.record["method"] in ("exact", "flash") and p.time:
            base.setdefault((family, n, p.record["method"]), p.time)
    lines = ["| config | shape | N | median ms | peak MiB | rel_fro | speed-up vs exact | speed-up vs flash |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for (config, family, n), p in points.items():
        def speedup(m):
            t = base.get((family, n, m))
            return f"{t / p.time:.2f}" if t and p.time else ""
        err = f"{p.error:.3g}" if p.error is not None else ""
        lines.append(f"| {config} | {family} | {n} | {p.time:.4g} | {max(p.peaks) / 2 ** 20:.3g} | {err} | "
                     f"{speedup('exact')} | {speedup('flash')} |")
    return "\n".join(lines) + "\n"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("reports", nargs="+", help="report .json or per-case .jsonl files")
    ap.add_argument("-o", "--output", required=True, help="folder for the figures")
    ap.add_argument("--format", default="png,svg", help="comma-separated: png, svg, pdf (default png,svg)")
    ap.add_argument("--figures", default="pareto,time,memory,error", help="which figures (default all)")
    ap.add_argument("--all", action="store_true", help="every figure and an index.md with the summary table")
    args = ap.parse_args(argv)
    try:
        import matplotlib
        matplotlib.use("Agg")
    except ImportError:
        fail("matplotlib is missing (Debian: apt-get install python3-matplotlib)")
    formats = [f for f in args.format.split(",") if f]
    for f in formats:
        if f not in ("png", "svg", "pdf"):
            fail(f"--format: unknown format '{f}' (png, svg, pdf)")
    figures = set(args.figures.split(",")) if not args.all else {"pareto", "time", "memory", "error"}
    unknown = figures - {"pareto", "time", "memory", "error"}
    if unknown:
        fail(f"--figures: unknown figure(s) {', '.join(sorted(unknown))}")
    records = [r for path in args.reports for r in load_records(path)]
    if not records:
        fail("the reports hold no results")
    os.makedirs(args.output, exist_ok=True)
    points = fold(records)
    written = []
    if "pareto" in figures:
        pareto_figures(points, args.output, formats, written)
    if "time" in figures:
        scaling_figures(points, args.output, formats, written, "time")
    if "memory" in figures:
        scaling_figures(points, args.output, formats, written, "memory")
    if "error" in figures:
        error_budget_figures(records, args.output, formats, written)
    if args.all:
        index = os.path.join(args.output, "index.md")
        with open(index, "w", encoding="utf-8") as f:
            f.write(f"# attnbench figures\n\nFrom {', '.join(args.reports)}.\n\n## Summary\n\n")
            f.write(summary_markdown(points))
            shown = [p for p in written if p.endswith(".png")] or written
            for p in shown:
                name = os.path.basename(p)
                f.write(f"\n## {os.path.splitext(name)[0]}\n\n![{name}]({name})\n")
        written.append(index)
    for p in written:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
