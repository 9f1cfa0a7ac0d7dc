#!/usr/bin/env bash
# The README's Quick start commands, exactly as written, in a fresh clone of this branch: what a
# new user runs on a stock machine (no virtual environment, no build files, nothing installed by
# hand). PYTHON3=/usr/bin/python3 puts that interpreter first on PATH as python3 (on Debian 12
# or Ubuntu 24.04, the system Python whose pip refuses to install outside a venv).
#
#   scripts/check_readme.sh                        # python3 as found on PATH
#   PYTHON3=/usr/bin/python3 scripts/check_readme.sh
#
# The first command must exit 0 or 1 (1: shipped checks find violations, as the README says),
# the second 0 (the test suite passes). Prints each command, its exit code and its time.
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
branch="$(git -C "$repo" rev-parse --abbrev-ref HEAD)"
work="$(mktemp -d /tmp/tcpmodel-readme.XXXXXX)"
git clone -q --branch "$branch" "$repo" "$work/tcpmodel" || exit 2
if [ -n "${PYTHON3:-}" ]; then
  mkdir -p "$work/bin" && ln -s "$PYTHON3" "$work/bin/python3"
  export PATH="$work/bin:$PATH"
fi
cd "$work/tcpmodel"
echo "fresh clone of $branch ($(git rev-parse --short HEAD)) in $PWD; python3 is $(command -v python3) ($(python3 -V 2>&1))"
mapfile -t commands < <(awk '/^## Quick start/{q=1} /^## Example/{q=0}
                             q && /^```sh/{b=1; next} b && /^```/{b=0} b' README.md)
[ "${#commands[@]}" -eq 2 ] || { echo "expected two commands in the Quick start, found ${#commands[@]}"; exit 2; }
status=0
for i in 0 1; do
  echo "\$ ${commands[$i]}"
  start=$(date +%s)
  bash -c "${commands[$i]}" > "$work/out$i.txt" 2>&1
  rc=$?
  tail -n 4 "$work/out$i.txt" | sed 's/^/    /'
  echo "exit $rc after $(( $(date +%s) - start )) s (full output: $work/out$i.txt)"
  if { [ "$i" -eq 0 ] && [ "$rc" -gt 1 ]; } || { [ "$i" -eq 1 ] && [ "$rc" -ne 0 ]; }; then
    status=1
  fi
done
exit $status
