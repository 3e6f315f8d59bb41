"""A client of the Document Server for molecule verify steps, run on the server.

  ds_client.py version URL        CommandService {"c": "version"} with a token signed (HS256)
                                  by the secret in the file $DS_JWT_SECRET_FILE, or read from stdin;
                                  prints the JSON answer.
  ds_client.py secure-link URL    Put a file in the container's cache (docker exec), then fetch it with
                                  a link signed by the secret read from stdin; prints the HTTP status.
Secrets come from a file or stdin, never from the command line or the environment (Ansible
shows both at -vvv).
"""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_secret():
    if os.environ.get("DS_JWT_SECRET_FILE"):
        with open(os.environ["DS_JWT_SECRET_FILE"]) as handle:
            return handle.read().strip()
    return sys.stdin.read().strip()


def version(url):
    payload = {"c": "version"}
    signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(payload).encode())
    signature = hmac.new(jwt_secret().encode(), signing_input.encode(), hashlib.sha256).digest()
    request = urllib.request.Request(url + "/coauthoring/CommandService.ashx", data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json",
                                              "Authorization": "Bearer " + signing_input + "." + b64(signature)})
    with urllib.request.urlopen(request, timeout=10) as response:
        print(response.read().decode())


def secure_link(url, container="onlyoffice-documentserver"):
    folder = "/var/lib/onlyoffice/documentserver/App_Data/cache/files/data/molecule"
    subprocess.run(["docker", "exec", container, "sh", "-c", "mkdir -p %s && printf hello > %s/out.txt" % (folder, folder)],
                   check=True)
    uri = "/cache/files/data/molecule/out.txt/out.txt"
    expires = int(time.time()) + 600
    digest = hashlib.md5(("%d%s%s" % (expires, uri, sys.stdin.read().strip())).encode()).digest()
    link = "%s%s?md5=%s&expires=%d&filename=out.txt" % (url, uri, b64(digest), expires)
    try:
        with urllib.request.urlopen(link, timeout=10) as response:
            print(response.status)
    except urllib.error.HTTPError as exc:
        print(exc.code)


if __name__ == "__main__":
    {"version": version, "secure-link": secure_link}[sys.argv[1]](sys.argv[2])
