"""Stand-in for ansible-test's pip bootstrap script (get-pip.py) on machines that reach PyPI
but not ci-files.testing.ansible.com, where ansible-test downloads the real one from.

ansible-test runs it inside each fresh sanity venv as `python get_pip.py [pip options]
[--no-setuptools] [--no-wheel] pip==X`. Like get-pip.py, it installs pip (from the
interpreter's own ensurepip wheel), then installs the requested packages from the index.
tests/run.py copies it to ~/.ansible/test/cache/get_pip_<version>.py when that is missing.
"""
import subprocess
import sys

args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
subprocess.run([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", *args], check=True)
