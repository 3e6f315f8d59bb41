"""Run every test layer, each logged to tests/output/<layer>.log, and print a summary.

Layers (in order): unit, changelog, lint, sanity, compat216 (units and sanity with
ansible-core 2.16), engine, integration (collection build and
install, companion images and modules against the engine), bed, sim, molecule.
A layer that cannot run fails with its reason; nothing is skipped silently.
The last line is "summary: N passed, N failed" over all test cases of all layers
(pytest cases, sanity tests, molecule scenarios; one case each for the other checks).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "tests", "output")
BIN = os.path.dirname(sys.executable)
ENV = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"], ANSIBLE_FORCE_COLOR="0", PY_COLORS="0")


def run(layer, command, cwd=ROOT, env=None):
    """Run one command, appending to the layer's log; return its exit code."""
    with open(os.path.join(OUTPUT, layer + ".log"), "a") as log:
        log.write("$ %s\n" % " ".join(command))
        log.flush()
        return subprocess.run(command, cwd=cwd, env=env or ENV, stdout=log, stderr=subprocess.STDOUT, check=False).returncode


def pytest_layer(layer, path, python=sys.executable):
    junit = os.path.join(OUTPUT, layer + ".xml")
    code = run(layer, [python, "-m", "pytest", path, "-q", "-p", "no:cacheprovider", "--junitxml", junit])
    passed = failed = 0
    if os.path.exists(junit):
        for suite in ET.parse(junit).getroot().iter("testsuite"):
            total = int(suite.get("tests", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped = int(suite.get("skipped", 0))
            passed += total - bad - skipped
            failed += bad + skipped  # a skipped test is a test that did not prove anything
    if code != 0 and failed == 0:
        failed = 1
    if passed == 0 and failed == 0:
        failed = 1  # ran no test: that is a failure, not a pass
    return passed, failed


def single(layer, command, cwd=ROOT, env=None):
    return (1, 0) if run(layer, command, cwd, env) == 0 else (0, 1)


def collection_tree():
    """Copy the working tree to <tmp>/ansible_collections/docops/onlyoffice (for ansible-test)."""
    top = tempfile.mkdtemp(prefix="docops-tree-")
    dest = os.path.join(top, "ansible_collections", "docops", "onlyoffice")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = os.path.join(ROOT, name)
        if os.path.isfile(source):
            os.makedirs(os.path.dirname(os.path.join(dest, name)), exist_ok=True)
            shutil.copy2(source, os.path.join(dest, name))
    return top, dest


def layer_unit():
    return pytest_layer("unit", "tests/unit")


def layer_changelog():
    return single("changelog", ["antsibull-changelog", "lint"])


def layer_lint():
    # The playbooks name this collection by FQCN: resolve it to the working copy.
    env = dict(ENV, ANSIBLE_COLLECTIONS_PATH=collections_path())
    return single("lint", ["ansible-lint", "--profile", "production", "--offline"], env=env)


def sanity(layer, ansible_test):
    """ansible-test sanity in venvs for Python 3.11, the only Python on this machine.

    The other Pythons ansible-test knows are not tested here (ansible-test says so in the log).
    """
    top, tree = collection_tree()
    command = [ansible_test, "sanity", "--venv", "--python", "3.11", "--color", "no"]
    log = os.path.join(OUTPUT, layer + ".log")
    try:
        code = run(layer, command, cwd=tree)
        with open(log) as handle:
            missing = re.search(r"can be manually downloaded and saved to: (\S+)", handle.read())
        if code and missing:
            # ansible-test could not download its pip bootstrap script (its host is not
            # reachable here): put our stand-in in its cache and run again.
            os.makedirs(os.path.dirname(missing.group(1)), exist_ok=True)
            shutil.copy(os.path.join(ROOT, "tests", "sanity_get_pip.py"), missing.group(1))
            code = run(layer, command, cwd=tree)
        with open(log) as handle:
            text = handle.read()
        ran = len(re.findall(r'^Running sanity test "', text, re.M))
        failures = len(re.findall(r"^ERROR: Found \d+ ", text, re.M)) or (1 if code else 0)
        return (max(ran - failures, 0), failures) if ran else (0, 1)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def layer_sanity():
    return sanity("sanity", "ansible-test")


def layer_compat216():
    """Units and sanity again with ansible-core 2.16, the oldest version meta/runtime.yml accepts."""
    venv = os.environ.get("DOCOPS_VENV_216", os.path.join(ROOT, ".venv-2.16"))
    if run("compat216", ["bash", "tests/bootstrap.sh", "tests/requirements-2.16.txt", venv]) != 0:
        return 0, 1
    python = os.path.join(venv, "bin", "python")
    units = pytest_layer("compat216", "tests/unit", python=python)
    checks = sanity("compat216", os.path.join(venv, "bin", "ansible-test"))
    return units[0] + checks[0], units[1] + checks[1]


def layer_integration():
    return pytest_layer("integration", "tests/integration")


def layer_engine():
    return single("engine", ["bash", "tests/bed/engine.sh"])


def layer_bed():
    return pytest_layer("bed", "tests/bed")


def layer_sim():
    return pytest_layer("sim", "tests/sim")


def collections_path():
    """A tree where ansible_collections/docops/onlyoffice is this working copy."""
    top = tempfile.mkdtemp(prefix="docops-collections-")
    os.makedirs(os.path.join(top, "ansible_collections", "docops"))
    os.symlink(ROOT, os.path.join(top, "ansible_collections", "docops", "onlyoffice"))
    return top


def layer_molecule():
    scenarios = sorted(d for d in os.listdir(os.path.join(ROOT, "extensions", "molecule"))
                       if os.path.isfile(os.path.join(ROOT, "extensions", "molecule", d, "molecule.yml")))
    env = dict(ENV, ANSIBLE_COLLECTIONS_PATH=collections_path(), NO_COLOR="1")
    passed = failed = 0
    # The TLS scanner (testssl.sh from Debian) that the nginx_proxy scenario runs on this machine.
    if run("molecule", ["bash", "tests/bed/tools.sh"]) != 0:
        return 0, 1
    for scenario in scenarios:
        ok = run("molecule", ["molecule", "test", "-s", scenario], env=env) == 0
        print("  molecule %-24s %s" % (scenario, "passed" if ok else "FAILED"), flush=True)
        passed, failed = passed + ok, failed + (not ok)
    return (passed, failed) if scenarios else (0, 1)


LAYERS = ["unit", "changelog", "lint", "sanity", "compat216", "engine", "integration", "bed", "sim", "molecule"]


def main(selected):
    unknown = set(selected) - set(LAYERS)
    if unknown:
        sys.exit("unknown layer(s): %s; choose from %s" % (", ".join(sorted(unknown)), " ".join(LAYERS)))
    os.makedirs(OUTPUT, exist_ok=True)
    total_passed = total_failed = 0
    started = time.monotonic()
    for layer in selected or LAYERS:
        log = os.path.join(OUTPUT, layer + ".log")
        if os.path.exists(log):
            os.remove(log)
        print("== %s" % layer, flush=True)
        began = time.monotonic()
        passed, failed = globals()["layer_" + layer]()
        total_passed += passed
        total_failed += failed
        print("   %s: %d passed, %d failed in %.0f s (log: %s)" % (
            layer, passed, failed, time.monotonic() - began, os.path.relpath(log, ROOT)), flush=True)
        if failed:
            with open(log) as handle:
                tail = handle.readlines()[-40:]
            print("   --- last lines of %s ---\n%s" % (layer, "".join("   | " + line for line in tail)), flush=True)
    print("wall time: %.0f s" % (time.monotonic() - started))
    print("summary: %d passed, %d failed" % (total_passed, total_failed))
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
