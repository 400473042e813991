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

failed=0
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	if ! grep -Eq -- "$filter" <<<"$name"; then
		continue
	fi
	echo "=== $name ($pkg) for $fuzztime"
	if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg"; then
		echo "--- FAIL: $name ($pkg)" >&2
		failed=1
	fi
done
exit "$failed"
