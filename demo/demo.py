"""Demo: deploy the collection's site playbook to a disposable server container.

By default the Document Server is the SIMULATOR (a test double, tests/images/documentserver-sim)
because this machine cannot pull images; --real-image deploys onlyoffice/documentserver at the
collection's pinned tag, which needs the server to reach Docker Hub.
"""
import argparse
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "bed"))
import images  # noqa: E402
import server  # noqa: E402

NAME = "docops-demo"
STATE = os.path.join(ROOT, ".testbed", "demo")
BIN = os.path.dirname(sys.executable)


def say(message):
    print("demo: " + message, flush=True)


def simulator_archive():
    say("building/saving the simulator image (cached by a hash of its recipe)")
    saved = images.save("documentserver-sim", os.path.join(ROOT, ".testbed", "images"))
    return {"documentserver_image": saved["repository"], "documentserver_image_tag": saved["tag"],
            "documentserver_image_archive_src": saved["archive"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--real-image", action="store_true", help="deploy the real onlyoffice/documentserver")
    parser.add_argument("--down", action="store_true", help="remove the demo server and stop")
    args = parser.parse_args()
    if args.down:
        server.down(NAME)
        say("removed %s" % NAME)
        return 0

    os.makedirs(STATE, exist_ok=True)
    extra = {} if args.real_image else simulator_archive()
    # The demo server's 443 is reached on another port here: the HTTP redirect must name it.
    say("image: %s" % ("the real onlyoffice/documentserver (pinned tag, pulled by the server)" if args.real_image
                       else "the Document Server SIMULATOR (a test double, not the real server)"))
    say("starting the server container %s (Debian 12, systemd, sshd)" % NAME)
    hostvars = server.up(NAME, image="server", state_dir=STATE)
    extra["nginx_proxy_redirect_https_port"] = hostvars["testbed_port_443"]
    # The verify role probes the public URL from here: the demo's gateway is that mapped port, with a
    # self-signed certificate (not verified; the certificate check still reports its expiry and protocol).
    public = "https://127.0.0.1:%d/" % hostvars["testbed_port_443"]
    reports = os.path.join(STATE, "reports")
    os.makedirs(reports, exist_ok=True)
    extra.update(verify_public_url=public, verify_validate_certs=False, verify_report_dir=reports)
    inventory = os.path.join(STATE, "inventory.yml")
    server.write_inventory(inventory, {NAME: hostvars}, group="documentserver")
    say("running playbooks/site.yml over SSH (127.0.0.1:%d)" % hostvars["ansible_port"])
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), PATH=BIN + os.pathsep + os.environ["PATH"])
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", inventory,
                             os.path.join(ROOT, "playbooks", "site.yml"), "-e", json.dumps(extra)],
                            env=env, check=False)
    if result.returncode != 0:
        say("the play FAILED (exit %d); the server is left running for inspection: docker exec -it %s bash"
            % (result.returncode, NAME))
        return result.returncode

    port = 8080
    https, http = hostvars["testbed_port_443"], hostvars["testbed_port_80"]
    health = fetch("https://127.0.0.1:%d/healthcheck" % https)
    baseurl = fetch("https://127.0.0.1:%d/baseurl" % https)
    version = fetch("https://127.0.0.1:%d/index.html" % https)
    redirect = fetch("http://127.0.0.1:%d/welcome/" % http, redirect=True)
    firewall = firewall_summary()
    say("summary")
    print("  Image: %s" % ("onlyoffice/documentserver (real)" if args.real_image
                           else "Document Server SIMULATOR (test double, not the real server)"))
    print("  Open: https://127.0.0.1:%d/  (the gateway on %s's port 443; self-signed certificate, so the" % (https, NAME))
    print("        browser warns: set nginx_proxy_tls to provided or acme for a real one)")
    print("  /healthcheck through the gateway: %s" % (health or "no answer"))
    print("  /baseurl (the public URL the Document Server builds links with): %s" % (baseurl or "no answer"))
    print("  /index.html: %s" % (version or "no answer"))
    print("  http://127.0.0.1:%d/welcome/ redirects to: %s" % (http, redirect or "no redirect"))
    print("  Container: http://127.0.0.1:%d on %s, published on the server's loopback only" % (port, NAME))
    print("  Firewall on %s: %s" % (NAME, firewall))
    print("  Remove the demo server: bash demo/run.sh --down")
    print()
    print("Verification (the verify role: container, gateway on the server, public URL from here; report %s):"
          % os.path.join(reports, "verify-%s.json" % NAME))
    for line in verification_table(os.path.join(reports, "verify-%s.json" % NAME)):
        print("  " + line)
    print()
    print("Open %s (the gateway's self-signed certificate makes the browser warn)." % public)
    return 0 if health == "true" else 1


def verification_table(path):
    """The verify role's checks from its JSON report: name, verdict, HTTP status, total time."""
    try:
        with open(path) as handle:
            checks = json.load(handle)["checks"]
    except (OSError, ValueError, KeyError) as exc:
        return ["no report: %s" % exc]
    lines = []
    for check in checks:
        name = "%s %s" % (check.get("label") or "", check["name"])
        total = (check.get("timing") or {}).get("total") or 0
        lines.append("%-34s %-4s %-5s %6.3f s" % (name, "ok" if check["passed"] else "FAIL", check.get("status") or "-", total))
    return lines


def firewall_summary():
    """What the firewall role left on the server: the incoming policy and the ports accepted (read with nft)."""
    done = subprocess.run(["docker", "exec", NAME, "nft", "list", "table", "inet", "docops_firewall"],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return "no docops_firewall table (%s)" % (done.stderr.strip() or "nft failed")
    policy = re.search(r"hook input .*policy (\w+);", done.stdout)
    ports = re.findall(r"(tcp|udp) dport (\d+) accept", done.stdout)
    return "incoming %s except %s (nftables table inet docops_firewall)" % (
        policy.group(1) if policy else "?", ", ".join("%s/%s" % (port, proto) for proto, port in ports))


def fetch(url, redirect=False):
    """GET URL from this machine (the gateway's self-signed certificate is not verified): the body,
    or with REDIRECT the URL it redirects to; '' when there is no answer."""
    command = ["curl", "-sS", "-k", "-m", "10", url]
    if redirect:
        command[1:1] = ["-o", "/dev/null", "-w", "%{redirect_url}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    return result.stdout.strip()


def collections_path():
    top = os.path.join(STATE, "collections")
    link = os.path.join(top, "ansible_collections", "docops", "onlyoffice")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)
    return top


if __name__ == "__main__":
    sys.exit(main())
