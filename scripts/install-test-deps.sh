#!/bin/sh
# Installs what the tests drive, as root on Debian 12 (idempotent, quiet when all is there):
# SIPp, baresip, linphone, Kamailio and rtpengine as the outside phone world; tshark and sngrep for
# captures; sox and espeak-ng for audio; Chromium for the browser tests; PostgreSQL for the
# store's second dialect; playwright-core (npm) to drive Chromium and axe-core to check it. Only what is missing is
# installed: a machine whose Node.js comes from elsewhere keeps it.
set -e
pkgs=""
want() { # want <command> <packages…>: the packages, when the command is missing
	cmd=$1
	shift
	command -v "$cmd" >/dev/null 2>&1 || pkgs="$pkgs $*"
}
want sipp sip-tester
want baresip baresip-core
want kamailio kamailio
want rtpengine rtpengine-daemon
want linphonec linphone-nogtk
want tshark tshark
want sngrep sngrep
want sox sox libsox-fmt-all
want espeak-ng espeak-ng
want chromium chromium
want node nodejs
want npm npm
[ -x /usr/lib/postgresql/15/bin/initdb ] || pkgs="$pkgs postgresql"
[ -d /usr/share/fonts/opentype/noto ] || pkgs="$pkgs fonts-noto-cjk"
if [ -n "$pkgs" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "missing:$pkgs — run as root (apt-get) or install them" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	echo "installing:$pkgs"
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
fi
if [ -f test/e2e/browser/package.json ] && { [ ! -d test/e2e/browser/node_modules/playwright-core ] || [ ! -d test/e2e/browser/node_modules/axe-core ]; }; then
	(cd test/e2e/browser && npm ci --no-audit --no-fund --silent)
fi
