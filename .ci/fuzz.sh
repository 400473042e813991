#!/usr/bin/env bash
# Runs every fuzz target of the module briefly, one at a time (go test
# -fuzz takes a single target in a single package).
#
#   .ci/fuzz.sh                 # each target for $FUZZTIME (default 10s)
#   FUZZTIME=2m .ci/fuzz.sh     # longer
#   .ci/fuzz.sh Handshake       # only targets whose name matches a regexp
#
# Targets are found with "go test -list", so a new Fuzz function is picked
# up without editing this file. The seed corpora in each package's
# testdata/fuzz/ also run in the ordinary "go test ./...". A failing input
# is written to testdata/fuzz/<Target>/ of its package: commit it with the
# fix, and it becomes a regression test.
set -euo pipefail

cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-10s}"
filter="${1:-.}"

# Fails here if any test package does not build.
listing=$(go test -list '^Fuzz' ./...)
targets=()
names=()
while IFS= read -r line; do
	case "$line" in
	Fuzz*) names+=("$line") ;;
	ok*)
		pkg=$(awk '{print $2}' <<<"$line")
		for n in "${names[@]}"; do targets+=("$pkg $n"); done
		names=()
		;;
	*) names=() ;;
	esac
done <<<"$listing"

if [ "${#targets[@]}" -eq 0 ]; then
	echo "fuzz.sh: no fuzz targets found" >&2
	exit 1
fi

# Go 1.26's fuzz coordinator can end a duration-bounded run with a bare
# "context deadline exceeded" and no failing input when a worker is busy
# as -fuzztime runs out (golang/go#75804, fixed in Go 1.27). Such a run is
# tried again, up to twice; a run fails for real when it writes a failing
# input to testdata/fuzz/<Target>/ or ends any other way.
inputs() { if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
failed=0
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	if ! grep -Eq -- "$filter" <<<"$name"; then
		continue
	fi
	dir="$(go list -f '{{.Dir}}' "$pkg")/testdata/fuzz/$name"
	for try in 1 2 3; do
		echo "=== $name ($pkg) for $fuzztime"
		before=$(inputs "$dir")
		if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" 2>&1 | tee "$out"; [ "${PIPESTATUS[0]}" -eq 0 ]; then
			break
		fi
		after=$(inputs "$dir")
		if [ "$after" -eq "$before" ] && [ "$try" -lt 3 ] &&
			grep -q '^    context deadline exceeded$' "$out" && ! grep -q 'Failing input written' "$out"; then
			echo "fuzz.sh: $name ended with the coordinator's deadline race and no failing input; running it again" >&2
			continue
		fi
		echo "--- FAIL: $name ($pkg)" >&2
		failed=1
		break
	done
done
exit "$failed"
