#!/usr/bin/env bash
# The demo (`make demo`): users, an approved case, one photo of Barack Obama enrolled on the
# case's watchlist, then a search of a short synthetic street clip in which Joe Biden and two other
# photos of Obama walk past the camera. Expected: the two Obama passes match "Barack Obama"; the
# Biden pass matches nobody. Two reviewers confirm an alert; an auditor verifies the audit log.
# Then it registers the clip as two looping demo cameras (one inside the case's scope, one
# outside) and serves the web UI with the camera runtime until Ctrl-C: log in with the printed
# credentials and watch alerts arrive on the wall. DEMO_SERVE=0 stops before serving;
# DEMO_PORT (default 8080) picks the port.
# The sample is built from photos in a PyPI package (see scripts/demo_sample.py); it does not
# use ../shared/data, which users do not have.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -x .venv/bin/citywatch ]; then
    echo "demo: .venv/bin/citywatch not found; run 'make install' first" >&2
    exit 1
fi

.venv/bin/python scripts/demo_sample.py

# A fresh home each run, so the demo always starts from an empty database.
export CITYWATCH_HOME="$PWD/demo/home"
rm -rf "$CITYWATCH_HOME"

# Show each command as a user would type it, then run it.
citywatch() { .venv/bin/citywatch "$@"; }
show() {
    printf '\n$'
    for arg in "$@"; do
        case $arg in
            *' '*) printf ' "%s"' "$arg" ;;
            *) printf ' %s' "$arg" ;;
        esac
    done
    printf '\n'
    "$@"
}

# Users: the first admin, then one person per role. Passwords come on stdin here; people type
# them (citywatch prompts without echo). Each command below acts as one of them.
PASSWORD="demo-password-2026"
as() { CITYWATCH_USER="$1" CITYWATCH_PASSWORD="$PASSWORD" "${@:2}"; }
echo "$PASSWORD" | citywatch user bootstrap admin --password-stdin
for entry in olga:officer sam:supervisor rita:reviewer rob:reviewer aud:auditor; do
    echo "$PASSWORD" | as admin citywatch user add "${entry%%:*}" --role "${entry##*:}" --password-stdin
done

# A case: an officer asks, a supervisor approves, and only then may watchlists be made and
# footage searched, on the cameras the case covers, until it expires.
show as olga citywatch case create DEMO-1 --category missing_person \
    --legal-basis "Demo: search order 1/2026" --camera street --days 7
show as sam citywatch case approve DEMO-1
show as olga citywatch watchlist create demo --case DEMO-1
show as olga citywatch enroll --watchlist demo --person "Barack Obama" demo/sample/obama.jpg
show as olga citywatch scan demo/sample/street.mp4 --camera street --case DEMO-1
show as olga citywatch compare demo/sample/obama.jpg demo/sample/obama2.jpg
show as olga citywatch compare demo/sample/obama.jpg demo/sample/biden.jpg

# Two reviewers confirm the first alert before anyone acts on it.
show as rita citywatch alert review 1 --confirm --note "same face, same ears"
show as rob citywatch alert review 1 --confirm
show as rob citywatch alert list

# Oversight: the audit log verifies; the transparency report has counts, no names.
show as aud citywatch audit checkpoint
show as aud citywatch audit verify
show as aud citywatch report transparency --from "$(date -u +%F)" --to "$(date -u +%F)"

# Live: the clip as two looping cameras on a map. Only `street` is in DEMO-1's scope, so only
# it raises alerts; `square` is analysed too, and what it sees is dropped unmatched.
show as admin citywatch camera add street demo/sample/street.mp4 --name "Street corridor" \
    --lat 55.7601 --lon 37.6186 --group centre
show as admin citywatch camera add square demo/sample/street.mp4 --name "Theatre square" \
    --lat 55.7580 --lon 37.6210 --group centre
PORT="${DEMO_PORT:-8080}"
echo
echo "demo users (password $PASSWORD): admin, olga (officer), sam (supervisor), rita and rob"
echo "(reviewers), aud (auditor); home: $CITYWATCH_HOME"
if [ "${DEMO_SERVE:-1}" = "0" ]; then
    exit 0
fi
echo
echo "web UI: http://localhost:$PORT/  (log in as rita or rob to review, olga for her case,"
echo "aud for the audit log, admin for cameras); Ctrl-C stops it"
as admin citywatch serve --port "$PORT"
