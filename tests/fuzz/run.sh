#!/usr/bin/env bash
# make fuzz: run each libFuzzer target for a bounded time on a copy of its seed corpus.
# Usage: run.sh SECONDS BUILD_DIR TARGET...
# Prints one line per target (runs, coverage, features, corpus size); exits 1 if any crashed.
set -uo pipefail

secs=$1 dir=$2
shift 2
src=$(cd "$(dirname "$0")" && pwd)
failed=()

for t in "$@"; do
	work="$dir/run/$t"
	rm -rf "$work" && mkdir -p "$work/corpus"
	# A copy: libFuzzer adds what it finds to the corpus directory, the repo stays as it is.
	if [ -d "$src/corpus/$t" ]; then
		cp -r "$src/corpus/$t/." "$work/corpus/"
	fi
	# nice: the machine is shared with nested QEMU runs.
	(cd "$work" && nice -n 10 "../../fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix=./ corpus >log 2>&1)
	rc=$?
	last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED|NEW|REDUCE|pulse)' "$work/log" | tail -1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
	if [ $rc -ne 0 ]; then
		crash=$(ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null | head -1)
		printf 'fuzz %-8s FAILED (exit %d) after %s runs: %s, log %s\n' "$t" "$rc" "${runs:-?}" \
			"${crash:-no reproducer}" "$work/log"
		failed+=("$t")
	else
		printf 'fuzz %-8s ok: %s runs in %ss, cov %s, features %s, corpus %s\n' "$t" "${runs:-?}" \
			"$secs" "${cov:-?}" "${ft:-?}" "${corp:-?}"
	fi
done

if [ ${#failed[@]} -ne 0 ]; then
	echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}"
	exit 1
fi
echo "fuzz: all $# targets ran ${secs}s without a crash"
