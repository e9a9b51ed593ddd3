#!/bin/sh
# Installs what the tests drive, as root on Debian 12 (idempotent, quiet when all is there):
# SIPp, baresip, Kamailio and rtpengine as the outside phone world; tshark and sngrep for
# captures; sox and espeak-ng for audio; Chromium for the browser tests; PostgreSQL for the
# store's second dialect; playwright-core (npm) to drive Chromium.
set -e
need=""
for b in sipp baresip kamailio rtpengine tshark sox espeak-ng chromium node npm; do
	command -v "$b" >/dev/null 2>&1 || need="$need $b"
done
[ -x /usr/lib/postgresql/15/bin/initdb ] || need="$need postgresql"
[ -d /usr/share/fonts/opentype/noto ] || need="$need fonts-noto-cjk"
if [ -n "$need" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "missing:$need — run as root (apt-get) or install them" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends \
		sip-tester baresip-core kamailio rtpengine-daemon tshark sox libsox-fmt-all espeak-ng sngrep \
		chromium fonts-noto-cjk postgresql nodejs npm >/dev/null
fi
if [ -f test/e2e/browser/package.json ] && [ ! -d test/e2e/browser/node_modules/playwright-core ]; then
	(cd test/e2e/browser && npm ci --no-audit --no-fund --silent)
fi
