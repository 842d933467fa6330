#!/usr/bin/env bash
# Renders an HTML report (tl --report / tl report) with headless Chromium to PNG at a desktop
# and a phone width, to check how it looks in a real browser.
#
#   Scripts/screenshot-report.sh REPORT.html [OUTPUT-PREFIX]
#
# Writes OUTPUT-PREFIX-desktop.png (1280 px wide) and OUTPUT-PREFIX-phone.png (390 px wide,
# device scale 2). The window is tall enough for a full eval report; DESKTOP_HEIGHT and
# PHONE_HEIGHT (CSS pixels) change it. Needs Debian's `chromium` (apt-get install -y chromium).
set -euo pipefail
report=${1:?usage: Scripts/screenshot-report.sh REPORT.html [OUTPUT-PREFIX]}
prefix=${2:-${report%.html}}
[ -f "$report" ] || { echo "screenshot-report: $report: no such file" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "screenshot-report: no chromium found (apt-get install -y chromium)" >&2; exit 1; }
url="file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"

shoot() {
    local width=$1 scale=$2 out=$3 height=$4
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor="$scale" \
        --window-size="$width,$height" --screenshot="$out" "$url" >/dev/null 2>&1
    echo "$out (${width} px wide, ${height} px tall)"
}

shoot 1280 1 "$prefix-desktop.png" "${DESKTOP_HEIGHT:-5600}"
shoot 390 2 "$prefix-phone.png" "${PHONE_HEIGHT:-10000}"
