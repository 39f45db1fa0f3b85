#!/usr/bin/env bash
# The demo (`make demo`): enrol one photo of Barack Obama on a watchlist, then scan a short
# synthetic street clip in which Joe Biden and two other photos of Obama walk past the camera.
# Expected: the two Obama passes match "Barack Obama"; the Biden pass matches nobody.
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

show citywatch watchlist create demo
show citywatch enroll --watchlist demo --person "Barack Obama" demo/sample/obama.jpg
show citywatch scan demo/sample/street.mp4
show citywatch scan demo/sample/street.mp4 --json
show citywatch compare demo/sample/obama.jpg demo/sample/obama2.jpg
show citywatch compare demo/sample/obama.jpg demo/sample/biden.jpg
