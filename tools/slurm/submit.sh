#!/usr/bin/env bash
# Submits a sweep as a Slurm job array of N shards plus a merge job that runs when every shard
# succeeded (--dependency=afterok). See docs/cluster.md.
#
#   tools/slurm/submit.sh SPEC OUT_DIR N [--wait] [-- extra sbatch flags for the array]
#
# Prints the array and merge job ids. With --wait it returns when the merge job ended, with its
# exit status, and the merged report is OUT_DIR/<spec>.json. ATTNBENCH defaults to the binary
# beside this checkout's Release build (build/release/attnbench).
set -euo pipefail
[[ $# -ge 3 ]] || { sed -n '2,10p' "$0" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
spec=$(realpath "$1"); out=$(mkdir -p "$2" && realpath "$2"); shards=$3; shift 3
wait=0
extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --wait) wait=1 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "submit: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "submit: N must be a positive integer" >&2; exit 2; }
bin=$(realpath "${ATTNBENCH:-$here/../../build/release/attnbench}")
[[ -x $bin ]] || { echo "submit: $bin is not executable (set ATTNBENCH)" >&2; exit 2; }
"$bin" validate "$spec" --shard "0/$shards" >/dev/null  # a bad spec fails here, not in N jobs

export ATTNBENCH=$bin SPEC=$spec OUT_DIR=$out SHARDS=$shards
array=$(sbatch --parsable --array="0-$((shards - 1))" --output="$out/slurm-%A_%a.out" --export=ALL \
  "${extra[@]}" "$here/sweep.sbatch")
array=${array%%;*}
merge_flags=(--parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes --output="$out/slurm-%j-merge.out" --export=ALL)
if [[ $wait == 1 ]]; then
  echo "array job $array ($shards shards); merge job waits on it"
  sbatch "${merge_flags[@]}" --wait "$here/merge.sbatch"
else
  merge=$(sbatch "${merge_flags[@]}" "$here/merge.sbatch")
  echo "array job $array ($shards shards), merge job ${merge%%;*}: $out/$(basename "$spec" .json).json"
fi
