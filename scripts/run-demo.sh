#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make run`: a demo server in ./rcauth-data. On the first run it creates an account, a
# main environment and an admin key (kept in rcauth-data/demo.env, mode 0600, so later
# runs can show them again); then it prints what to try and runs `rcauth serve` in the
# foreground (Ctrl-C stops it). RCAUTH_DATA and RCAUTH_LISTEN override the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=build/rcauth
data="${RCAUTH_DATA:-./rcauth-data}"
listen="${RCAUTH_LISTEN:-127.0.0.1:8080}"
demo="$data/demo.env"
export RCAUTH_DATA="$data"

json_field() { # field: the first "field":"value" of the JSON on stdin
    sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -1
}

if [ ! -f "$demo" ]; then
    account=$("$bin" account create --name "Demo account" | json_field id)
    env_id=$("$bin" env create --account "$account" --name production --main | json_field id)
    admin_key=$("$bin" admin-key create --name demo)
    umask 077
    printf 'ACCOUNT_ID=%s\nENV_ID=%s\nADMIN_KEY=%s\n' "$account" "$env_id" "$admin_key" >"$demo"
    echo "make run: created a demo account, environment and admin key in $data"
fi
# shellcheck source=/dev/null
. "$demo"
url="http://$listen"

cat <<EOF

rcauth demo — data in $data, server at $url
  account     $ACCOUNT_ID
  environment $ENV_ID (production)
  admin key   $ADMIN_KEY

The web panel: $url/admin/ — sign in with the admin key above.

Or try it with curl, in another terminal:

1. Create an access (prints its client_id and client_secret, shown only once):

   curl -s -X POST $url/admin/v1/accounts/$ACCOUNT_ID/accesses \\
     -H 'Authorization: Bearer $ADMIN_KEY' -H 'Content-Type: application/json' \\
     -d '{"name":"CI pipeline","actions":["campaign.list","campaign.read","campaign.toggle"]}'

   (or: $bin access create --account $ACCOUNT_ID --name "CI pipeline" --actions "campaign.read flag.list")

2. Get a token with them (expires_in in seconds; 0 or absent: a token that does not expire):

   curl -s -X POST '$url/$ACCOUNT_ID/token?expires_in=1800' -H 'Content-Type: application/json' \\
     --data-raw '{"grant_type":"client_credentials","scope":"*","client_id":"CLIENT_ID","client_secret":"CLIENT_SECRET"}'

3. Check the token:

   curl -s '$url/token?access_token=ACCESS_TOKEN'

4. Revoke the access; the token stops verifying at once:

   curl -s -X DELETE $url/admin/v1/accounts/$ACCOUNT_ID/accesses/CLIENT_ID -H 'Authorization: Bearer $ADMIN_KEY'

More: README.md, docs/cli.md, docs/admin-api.md, \`$bin --help\`. Ctrl-C stops the server.

EOF
exec "$bin" serve --listen "$listen"
