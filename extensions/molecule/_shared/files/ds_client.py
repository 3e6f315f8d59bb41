"""Ask the Document Server's CommandService for its version with a token signed (HS256)
by the secret in the given file; print the JSON answer. Usage: URL SECRET_FILE"""
import base64
import hashlib
import hmac
import json
import sys
import urllib.request


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


url, secret_file = sys.argv[1], sys.argv[2]
with open(secret_file) as handle:
    secret = handle.read().strip().encode()
payload = {"c": "version"}
signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(payload).encode())
token = signing_input + "." + b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())
request = urllib.request.Request(url + "/coauthoring/CommandService.ashx", data=json.dumps(payload).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
with urllib.request.urlopen(request, timeout=10) as response:
    print(response.read().decode())
