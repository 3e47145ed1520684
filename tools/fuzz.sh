#!/bin/sh
# SPDX-License-Identifier: MIT
# Long fuzz runs: each libFuzzer target (or the ones named) for a time or a
# number of inputs, one after the other, under nice, and per target the
# inputs run, their rate, the corpus it ended with and whether it found a
# crash.  CI's short runs are tests/fuzz/run.sh (a fixed -runs per target,
# from meson test); this takes the same binaries, seeds and environment,
# read from meson's test list, so a long run starts where CI's does.
set -eu
cd "$(dirname "$0")/.."
src=$PWD

usage() {
	cat <<EOF
usage: tools/fuzz.sh [-B DIR] [-t SECONDS | -n RUNS] [-N NICE] [-k DIR] [-w] [-m] [-l] [TARGET...]
  Run each libFuzzer target (default: all of them, in turn) from a copy of
  its CI seeds (tests/fuzz/seeds/NAME/ and the rest of its meson test's
  seed list) in a temporary directory, then print one line per target:
  inputs executed (libFuzzer's stat::number_of_executed_units), inputs/s
  (stat::average_exec_per_sec), seconds, the corpus at the end (files and
  bytes), and the crash, leak or timeout found, if any.
  -B DIR      the libFuzzer build (default build-fuzz; made with CC=clang
              -Dfuzz=true -Db_sanitize=address,undefined when absent, as
              tools/test.sh does, and brought up to date with ninja)
  -t SECONDS  run each target this long (default 60; libFuzzer's
              -max_total_time)
  -n RUNS     run each target for this many inputs instead (-runs)
  -N NICE     niceness of the fuzzer (default 19: the machine is shared)
  -k DIR      keep each target's corpus, log and crash files in DIR/TARGET/
              (default: a temporary directory, removed at the end unless
              the target found something)
  -w          write what is new in the corpus (libFuzzer -merge=1) into
              tests/fuzz/seeds/NAME/ -- the only way this writes into the
              source tree
  -m          also print a Markdown table row per target (BENCHMARKS.md)
  -l          list the targets and exit
  -h          this help
  TARGET      fuzz-handler, handler, ... (with or without "fuzz-")
Exit status: 0 when no target found anything, 1 when one did, 2 on a
usage or build error.
EOF
}

build=build-fuzz secs=60 runs="" nicev=19 keep="" write=0 markdown=0 list=0
while getopts B:t:n:N:k:wmlh opt; do
	case $opt in
	B) build=$OPTARG ;;
	t) secs=$OPTARG runs="" ;;
	n) runs=$OPTARG ;;
	N) nicev=$OPTARG ;;
	k) keep=$OPTARG ;;
	w) write=1 ;;
	m) markdown=1 ;;
	l) list=1 ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
case ${runs:-$secs} in
'' | *[!0-9]*) echo "fuzz.sh: -t and -n take a positive whole number" >&2; exit 2 ;;
esac

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null || exit 2
fi
if ! meson introspect --buildoptions "$build" | python3 -c '
import json, sys
sys.exit(0 if any(o["name"] == "fuzz" and o["value"] for o in json.load(sys.stdin)) else 1)'; then
	echo "fuzz.sh: $build is not a -Dfuzz=true build" >&2
	exit 2
fi
ninja -C "$build" >/dev/null || { echo "fuzz.sh: ninja -C $build failed" >&2; exit 2; }

# The fuzz suite's tests as lines: NAME<TAB>EXE<TAB>SEED...; and the
# environment meson gives them (KEY=VALUE lines).
tests=$(mktemp "${TMPDIR:-/tmp}/fuzz-tests.XXXXXX")
envf=$(mktemp "${TMPDIR:-/tmp}/fuzz-env.XXXXXX")
trap 'rm -f "$tests" "$envf"' EXIT
meson introspect --tests "$build" | python3 -c '
import json, sys
env = {}
with open(sys.argv[1], "w") as t:
    for x in json.load(sys.stdin):
        if not any(s.endswith("fuzz") for s in x["suite"]):
            continue
        # cmd: sh run.sh EXE RUNS SEED...
        t.write("\t".join([x["name"], x["cmd"][2]] + x["cmd"][4:]) + "\n")
        env.update(x.get("env") or {})
with open(sys.argv[2], "w") as e:
    for k, v in env.items():
        e.write("%s=%s\n" % (k, v))
' "$tests" "$envf"

if [ "$list" = 1 ]; then
	cut -f1 "$tests"
	exit 0
fi
while IFS='=' read -r k v; do
	export "$k=$v"
done <"$envf"
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS

if [ $# -eq 0 ]; then
	set -- $(cut -f1 "$tests")
fi
for t in "$@"; do
	case $t in fuzz-*) ;; *) t=fuzz-$t ;; esac
	if ! cut -f1 "$tests" | grep -qx "$t"; then
		echo "fuzz.sh: no target $t (have: $(cut -f1 "$tests" | tr '\n' ' '))" >&2
		exit 2
	fi
done

# stat NAME LOG: libFuzzer's final "stat::NAME: VALUE" line.
stat() {
	sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

found_any=0
rows=""
printf '%-14s %12s %9s %8s %14s  %s\n' target execs exec/s seconds corpus result
for t in "$@"; do
	case $t in fuzz-*) ;; *) t=fuzz-$t ;; esac
	short=${t#fuzz-}
	line=$(grep "^$t	" "$tests")
	exe=$(printf '%s\n' "$line" | cut -f2)
	if [ -n "$keep" ]; then
		work=$keep/$t
		rm -rf "$work"
		mkdir -p "$work"
	else
		work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$short.XXXXXX")
	fi
	mkdir "$work/corpus" "$work/artifacts"
	printf '%s\n' "$line" | cut -f3- | tr '\t' '\n' | while read -r s; do
		[ -n "$s" ] && cp "$s" "$work/corpus/"
	done
	if [ -d "$src/tests/fuzz/seeds/$short" ]; then
		cp "$src/tests/fuzz/seeds/$short"/* "$work/corpus/" 2>/dev/null || true
	fi
	seeds=$(ls "$work/corpus" | wc -l)
	if [ -n "$runs" ]; then
		limit="-runs=$runs" how="-n $runs"
	else
		limit="-max_total_time=$secs" how="-t $secs"
	fi
	start=$(date +%s.%N)
	rc=0
	# As run.sh: -error_exitcode=1 (libFuzzer's 77 is meson's "skip"),
	# stderr of the code under test closed (-close_fd_mask=2: its log
	# lines), inputs up to 4 KiB, a unit slower than 10 s is a finding.
	(cd "$work" && exec nice -n "$nicev" "$exe" $limit -seed=1 -max_len=4096 \
		-close_fd_mask=2 -error_exitcode=1 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$work/artifacts/" corpus >"$work/log" 2>&1) &
	pid=$!
	wait "$pid" || rc=$?
	end=$(date +%s.%N)
	dur=$(awk "BEGIN { printf \"%.1f\", $end - $start }")
	# fuzz-handler keeps added identities in a keyring named after its
	# pid (see run.sh).
	kr=$(keyctl search @u keyring "$t-$pid" 2>/dev/null) &&
		keyctl unlink "$kr" @u >/dev/null 2>&1
	execs=$(stat number_of_executed_units "$work/log")
	rate=$(stat average_exec_per_sec "$work/log")
	nfiles=$(ls "$work/corpus" | wc -l)
	bytes=$(cat "$work/corpus"/* 2>/dev/null | wc -c)
	finds=$(ls "$work/artifacts" | tr '\n' ' ')
	nfinds=$(ls "$work/artifacts" | wc -l)
	if [ "$rc" -ne 0 ] || [ -n "$finds" ]; then
		found_any=1
		result="FOUND (exit $rc): ${finds:-no artifact} -- $(grep -m1 -E '^==[0-9]+==ERROR|^SUMMARY|deadly signal|ALARM' "$work/log" || echo see log)"
		result="$result; kept in $work/"
	else
		result="no crash"
	fi
	printf '%-14s %12s %9s %8s %14s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$dur" \
		"$nfiles/$((bytes / 1024))K" "$result"
	if [ "$markdown" = 1 ]; then
		rows="$rows| $t | ${execs:-?} | ${rate:-?} | $dur s | $nfiles files ($seeds seeds), $((bytes / 1024)) KiB | $nfinds | $(date +%Y-%m-%d) | \`tools/fuzz.sh $how $short\` |
"
	fi
	if [ "$write" = 1 ] && [ "$rc" -eq 0 ]; then
		mkdir -p "$src/tests/fuzz/seeds/$short"
		(cd "$work" && nice -n "$nicev" "$exe" -merge=1 -max_len=4096 -close_fd_mask=2 \
			"$src/tests/fuzz/seeds/$short" corpus >"$work/merge.log" 2>&1) ||
			echo "fuzz.sh: $t: merge into tests/fuzz/seeds/$short failed (see $work/merge.log)" >&2
	fi
	[ -n "$keep" ] || [ "$result" != "no crash" ] || rm -rf "$work"
done
if [ "$markdown" = 1 ]; then
	echo
	echo "| target | total execs | execs/s | duration | corpus at the end | crashes | date | command |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"
	printf '%s' "$rows"
fi
exit $found_any
