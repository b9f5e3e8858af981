#!/bin/sh
# Random secrets for compose.yaml in ./secrets (gitignored), each made once: API keys for the
# three roles, the SMPP password the gateway and the simulator share, Grafana's admin password.
set -eu
cd "$(dirname "$0")/.."
mkdir -p secrets
# The folder is closed to other users of this machine; the files are readable by the containers'
# own users (the gateway runs as `node`), as compose mounts each file as it is.
chmod 700 secrets
umask 022
random() { openssl rand -hex "$1"; }
[ -s secrets/api_keys ] ||
  printf 'system:%s,agent:%s,supervisor:%s\n' "$(random 16)" "$(random 16)" "$(random 16)" > secrets/api_keys
[ -s secrets/smpp_password ] || random 4 > secrets/smpp_password # SMPP 3.4: at most 8 characters
[ -s secrets/grafana_admin_password ] || random 12 > secrets/grafana_admin_password
echo "secrets in $(pwd)/secrets; the API keys (role:key):"
tr ',' '\n' < secrets/api_keys
