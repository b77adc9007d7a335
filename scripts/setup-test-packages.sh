#!/usr/bin/env bash
# Installs the OS packages that `pipec run --local` tests run for real (idempotent, cheap when
# already installed): nginx, whose Debian package lays out its configuration like Ubuntu's
# (`sites-enabled/default`, a default server on port 80), for the stdlib `static` presets
# (tests/tests/run_cli.rs, `static_nginx_preset_serves_the_site_not_the_default_page`).
# The package must not start a server on this machine: a `policy-rc.d` that refuses service
# starts is put in place for the install when there is none (Docker images already have one).
# Needs root and apt-get (Debian/Ubuntu); elsewhere it says what to install and exits 0, and
# the tests that need the package fail with that advice.
set -euo pipefail
packages=()
command -v nginx > /dev/null 2>&1 || [ -x /usr/sbin/nginx ] || packages+=(nginx)
if [ "${#packages[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get > /dev/null 2>&1; then
  echo "setup-test-packages: install ${packages[*]} (needs root and apt-get)" >&2
  exit 0
fi
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${packages[@]}" >&2; then
  apt-get update >&2
  apt-get install -y --no-install-recommends "${packages[@]}" >&2
fi
