#!/usr/bin/env bash
# Regenerates the README's showcase: runs the default sweep on this machine into
# results/default-cpu.json, draws the Pareto figures into docs/figures/ and prints the two tables
# the README shows. Usage: tools/make-showcase.sh [build dir, default build/release]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-build/release}/attnbench"
rm -f results/default-cpu.json results/default-cpu.jsonl
"$bin" run --threads 2 -q -o results/default-cpu.json
rm -f results/default-cpu.jsonl  # the report holds every case; the log is only for crash recovery
tmp=$(mktemp -d)
/usr/bin/python3 tools/plot.py results/default-cpu.json -o "$tmp" --format png --figures pareto
for shape in "N=4096-local-t=4" "N=4096-gaussian-t=0.25"; do
  cp "$tmp/pareto-$shape-d=64-B=1-H=4-fp32-cpu.png" "docs/figures/pareto-$shape.png"
done
rm -rf "$tmp"
for input in 'distribution=local,temperature=4' 'distribution=gaussian,temperature=0.25'; do
  "$bin" report results/default-cpu.json --view summary --filter "N=4096,$input" --digits 3
done
