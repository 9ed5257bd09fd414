#!/usr/bin/env bash
# Drives the page of `fimql serve` in Debian's Chromium with playwright-core (no browser is
# downloaded: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD), checking it against `fimql filter` on the sample
# export, and saves a screenshot to target/browser/serve.png.
# Idempotent: Chromium is installed from Debian's packages only when /usr/bin/chromium is
# missing, and the Node packages (pinned by package-lock.json) only when they changed.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ ! -x /usr/bin/chromium ]]; then
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
node_dir=target/browser-node
mkdir -p "$node_dir" target/browser
if ! cmp -s tests/browser/package-lock.json "$node_dir/package-lock.json" \
    || [[ ! -d $node_dir/node_modules/playwright-core ]]; then
    cp tests/browser/package.json tests/browser/package-lock.json "$node_dir/"
    (cd "$node_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
fi
cp tests/browser/serve.test.mjs "$node_dir/"
cargo build --quiet --bin fimql
FIMQL="$PWD/target/debug/fimql" \
    SAMPLE=examples/events.ndjson \
    SCREENSHOT="$PWD/target/browser/serve.png" \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    node --test --test-concurrency=1 "$node_dir/serve.test.mjs"
