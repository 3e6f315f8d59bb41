"""Build the test bed's images once and reuse them, tagged by a hash of their recipe.

Images (each a folder under tests/images/):
  base                  Debian 12 minbase from debootstrap (build.sh), the root of the rest
  server                systemd + sshd "server" for Ansible over SSH (no docker, no nginx)
  server-engine         server with Debian's docker.io preinstalled (for scenarios that do
                        not test the engine install)
  server-nginx          server with Debian's nginx installed and enabled (for the nginx_site
                        module tests, which do not test the nginx install)
  documentserver-sim    TEST DOUBLE of onlyoffice/documentserver

A Dockerfile-based image is built FROM its parent's tag (build-arg BASE_IMAGE); its hash
covers its own folder and its parent's hash, so changing the base rebuilds the rest.

Usage: python3 tests/bed/images.py [NAME ...]   (prints NAME=TAG lines)
       python3 tests/bed/images.py --save DIR NAME  (docker save to DIR once; prints JSON with
                                                     repository, tag, archive)
"""
import functools
import json
import hashlib
import os
import subprocess
import sys

IMAGES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "images")
PARENTS = {"base": None, "server": "base", "server-engine": "server", "server-nginx": "server",
           "documentserver-sim": "base", "postgres-deb": "base", "rabbitmq-deb": "base", "redis-deb": "base"}
REPOSITORY = "docops-testbed"


@functools.lru_cache(maxsize=None)
def base_mirrors():
    """The Debian mirrors base/build.sh takes from this machine's apt sources (or DEBIAN_MIRROR
    and DEBIAN_SECURITY_MIRROR) and writes into the image: part of its recipe."""
    script = os.path.join(IMAGES_DIR, "base", "build.sh")
    return subprocess.run([script, "--mirrors"], stdout=subprocess.PIPE, check=True).stdout


def recipe_hash(name):
    digest = hashlib.sha256()
    parent = PARENTS[name]
    if parent:
        digest.update(recipe_hash(parent).encode())
    else:
        digest.update(base_mirrors())
    folder = os.path.join(IMAGES_DIR, name)
    for root, dirs, files in sorted(os.walk(folder)):
        dirs[:] = sorted(name for name in dirs if name != "__pycache__")
        for filename in sorted(name for name in files if not name.endswith(".pyc")):
            path = os.path.join(root, filename)
            digest.update(os.path.relpath(path, folder).encode())
            with open(path, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()[:12]


def tag_of(name):
    return "%s/%s:%s" % (REPOSITORY, name, recipe_hash(name))


def exists(tag):
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True, check=False).returncode == 0


def ensure(name):
    tag = tag_of(name)
    if exists(tag):
        return tag
    parent = PARENTS[name]
    folder = os.path.join(IMAGES_DIR, name)
    print("images: building %s" % tag, file=sys.stderr, flush=True)
    if parent is None:
        subprocess.run([os.path.join(folder, "build.sh"), tag], check=True)
    else:
        subprocess.run(
            ["docker", "build", "-q", "--build-arg", "BASE_IMAGE=" + ensure(parent), "-t", tag, folder],
            check=True, stdout=subprocess.DEVNULL,
        )
    return tag


def save(name, directory):
    """Save image NAME to DIRECTORY (once per recipe hash); return its description."""
    tag = ensure(name)
    repository, version = tag.rsplit(":", 1)
    archive = os.path.join(os.path.abspath(directory), "%s-%s.tar" % (name, version))
    if not os.path.exists(archive):
        os.makedirs(directory, exist_ok=True)
        subprocess.run(["docker", "save", "-o", archive + ".part", tag], check=True)
        os.rename(archive + ".part", archive)
    return {"repository": repository, "tag": version, "image": tag, "archive": archive}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--save"]:
        print(json.dumps(save(sys.argv[3], sys.argv[2])))
    else:
        for image in sys.argv[1:] or sorted(PARENTS):
            print("%s=%s" % (image, ensure(image)))
