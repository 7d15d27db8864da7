#!/usr/bin/env bash
# Installs what pgwarden needs on a Debian 12 machine, then the project into .venv.
#   scripts/bootstrap.sh run    the server: PostgreSQL 15
#   scripts/bootstrap.sh test   also pgTAP, sqitch, Chromium (browser tests), docker-compose,
#                               node (the @supabase/postgrest-js test; it skips without npm)
# As root, missing Debian packages are installed; otherwise the exact command is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="${1:-run}"

packages=(postgresql-15 postgresql-client-15)
if [ "$purpose" = test ]; then
  packages+=(postgresql-15-pgtap sqitch libdbd-pg-perl chromium docker-compose nodejs pgbouncer)
fi
python3 -c 'import ensurepip' 2>/dev/null || packages+=(python3-venv)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "==> installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "pgwarden needs these Debian packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.pgwarden-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing pgwarden and its dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  echo "$want" > "$stamp"
fi
