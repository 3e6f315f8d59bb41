#!/usr/bin/env bash
# docops simulator (TEST DOUBLE): prints the JWT settings in use, like the real script.
exec python3 - <<'PY'
import json
local = json.load(open("/etc/onlyoffice/documentserver/local.json"))["services"]["CoAuthoring"]
print("JWT Enabled      -  %s" % str(local["token"]["enable"]["request"]["inbox"]).lower())
print("JWT secret       -  %s" % local["secret"]["inbox"]["string"])
print("JWT header       -  %s" % local["token"]["inbox"]["header"])
PY
