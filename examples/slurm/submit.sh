#!/bin/sh
# submit.sh [N]: run shard.sbatch as an array of N tasks (default 4), then
# merge.sbatch once they have all ended; waits for the merge and exits with
# the run's exit code. Documents and report.txt go to the current directory.
set -eu
n=${1:-4}
here=$(dirname "$0")
rm -f shard-*.json
array=$(sbatch --parsable --array="1-$n" "$here/shard.sbatch")
exec sbatch --wait --dependency="afterany:$array" "$here/merge.sbatch"
