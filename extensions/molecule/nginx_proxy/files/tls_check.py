"""Check a TLS endpoint against Mozilla's "intermediate" configuration (Server Side TLS v5.7)
with testssl (Debian's testssl.sh 3.0.x, command `testssl`; tests/bed/tools.sh installs it).

  python3 tls_check.py --ip 127.0.0.1 --port PORT --name office.example.test \
      [--min-hsts 31536000] [--path /] [--json-out FILE] [--timeout 110]

testssl connects to --ip:--port and sends NAME as SNI and Host (`--ip` on the command line, so
NAME needs no DNS). It runs only the protocol (-p), cipher-per-protocol (-E) and HTTP header
(-h) checks: about 10-15 s against a local nginx. Points checked:
  - SSLv2, SSLv3, TLS 1.0, TLS 1.1 not offered; TLS 1.2 and TLS 1.3 offered;
  - every TLS 1.2 cipher offered is in Mozilla intermediate's list, and at least one is offered;
  - every TLS 1.3 cipher suite offered is in Mozilla intermediate's list;
  - a Strict-Transport-Security header with max-age >= --min-hsts (Mozilla recommends 63072000).

Prints one JSON line with the findings on stdout. Exit 0: all points pass; 1: some fail, one
line per failing point on stderr; 2: the check could not run (testssl missing, no connection,
timeout), reason on stderr. --json-out FILE keeps testssl's own JSON report.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Mozilla Server Side TLS v5.7, "intermediate" (ssl-config-generator src/static/guidelines/5.7.json):
# TLS 1.2 ciphers, OpenSSL name -> IANA name (testssl shows both; either one identifies the cipher).
INTERMEDIATE_TLS12 = {
    "ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-RSA-CHACHA20-POLY1305": "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "DHE-RSA-AES128-GCM-SHA256": "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    "DHE-RSA-AES256-GCM-SHA384": "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "DHE-RSA-CHACHA20-POLY1305": "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}
INTERMEDIATE_TLS13 = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
# testssl's finding ids for the protocols, and whether intermediate wants each offered.
PROTOCOLS = [("SSLv2", "SSLv2", False), ("SSLv3", "SSLv3", False), ("TLS1", "TLS 1.0", False),
             ("TLS1_1", "TLS 1.1", False), ("TLS1_2", "TLS 1.2", True), ("TLS1_3", "TLS 1.3", True)]
# A cipher line of -E, e.g. "TLS 1.2   xc02f   ECDHE-RSA-AES128-GCM-SHA256   ECDH 253   AESGCM   128   TLS_ECDHE_...".
CIPHER_LINE = re.compile(r"\bx(?P<hex>[0-9a-fA-F]+)\s+(?P<openssl>\S+)\s.*?\s(?P<iana>TLS_\w+|SSL_\w+|-)\s*$")


class CheckError(Exception):
    """The check could not run (as opposed to: it ran and a point failed)."""


def run_testssl(args, report):
    testssl = shutil.which("testssl") or shutil.which("testssl.sh")
    if not testssl:
        raise CheckError("testssl not found: install Debian's testssl.sh (tests/bed/tools.sh)")
    uri = "https://%s:%d%s" % (args.name, args.port, args.path)
    command = [testssl, "--quiet", "--warnings", "batch", "--color", "0", "--nodns", "none",
               "--connect-timeout", "5", "--openssl-timeout", "5",
               "--protocols", "--cipher-per-proto", "--headers",
               "--ip", args.ip, "--jsonfile", report]
    if ":" in args.ip:
        command.append("-6")
    command.append(uri)
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, check=False)
    except subprocess.TimeoutExpired:
        raise CheckError("testssl did not finish within %d s against %s (--ip %s)" % (args.timeout, uri, args.ip))
    try:
        with open(report) as handle:
            findings = json.load(handle)
    except (OSError, ValueError) as error:
        tail = " | ".join((result.stdout + result.stderr).strip().splitlines()[-3:])
        raise CheckError("testssl (exit %d) left no JSON report (%s): %s" % (result.returncode, error, tail))
    fatal = [f["finding"] for f in findings if f.get("severity") == "FATAL" or f.get("id") == "scanProblem"]
    if fatal or result.returncode >= 242:  # testssl 3.0 exits 242-255 on its own errors
        raise CheckError("testssl (exit %d) against %s (--ip %s): %s"
                         % (result.returncode, uri, args.ip, "; ".join(fatal) or "scan error"))
    return findings


def evaluate(findings, min_hsts):
    """Return (summary, failures) from testssl's flat JSON findings."""
    by_id = {}
    for finding in findings:
        by_id.setdefault(finding.get("id"), []).append(finding.get("finding", ""))
    failures = []

    protocols = {}
    for finding_id, label, wanted in PROTOCOLS:
        text = (by_id.get(finding_id) or [""])[0].strip()
        if text.startswith("not offered"):
            offered = False
        elif text.startswith("offered"):
            offered = True
        else:  # missing, or an unclear answer such as "connection failed": do not guess
            offered = None
        protocols[label] = text or None
        if offered is None:
            failures.append("%s: no clear answer from testssl (%r)" % (label, text or "no finding"))
        elif offered != wanted:
            failures.append("%s: %s, intermediate wants it %s"
                            % (label, "offered" if offered else "not offered", "offered" if wanted else "not offered"))

    ciphers = {"tls12": [], "tls13": []}
    for finding_id, texts in by_id.items():
        key = {"cipher-tls1_2_": "tls12", "cipher-tls1_3_": "tls13"}.get((finding_id or "")[:14])
        for text in texts if key else ():
            match = CIPHER_LINE.search(text)
            if not match:
                failures.append("%s: cannot read testssl's cipher line %r" % (finding_id, text))
                continue
            ciphers[key].append({"hex": "0x" + match["hex"].lower(), "openssl": match["openssl"], "iana": match["iana"]})

    allowed_iana = set(INTERMEDIATE_TLS12.values())
    weak12 = [c for c in ciphers["tls12"] if c["openssl"] not in INTERMEDIATE_TLS12 and c["iana"] not in allowed_iana]
    if weak12:
        failures.append("TLS 1.2 ciphers outside Mozilla intermediate: %s"
                        % ", ".join(c["openssl"] if c["openssl"] != "-" else c["iana"] for c in weak12))
    if not ciphers["tls12"]:
        failures.append("TLS 1.2: no cipher offered")
    weak13 = [c for c in ciphers["tls13"] if c["iana"] not in INTERMEDIATE_TLS13 and c["openssl"] not in INTERMEDIATE_TLS13]
    if weak13:
        failures.append("TLS 1.3 cipher suites outside Mozilla intermediate: %s" % ", ".join(c["iana"] for c in weak13))

    hsts = {"max_age": None, "finding": None}
    if "HSTS_time" in by_id:
        hsts["finding"] = by_id["HSTS_time"][0]
        match = re.search(r"=\s*(-?\d+)\s*seconds", hsts["finding"])
        hsts["max_age"] = int(match.group(1)) if match else None
    elif "HSTS" in by_id:
        hsts["finding"] = by_id["HSTS"][0]
    if hsts["max_age"] is None:
        failures.append("HSTS: no Strict-Transport-Security max-age (testssl: %s)" % (hsts["finding"] or "no HSTS finding"))
    elif hsts["max_age"] < min_hsts:
        failures.append("HSTS: max-age=%s is below %s" % (hsts["max_age"], min_hsts))

    summary = {
        "protocols": protocols,
        "tls12_ciphers": [c["openssl"] if c["openssl"] != "-" else c["iana"] for c in ciphers["tls12"]],
        "tls13_ciphers": [c["iana"] for c in ciphers["tls13"]],
        "hsts": hsts,
    }
    return summary, failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ip", required=True, help="address to connect to (127.0.0.1, ::1)")
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--name", required=True, help="server name sent as SNI and Host")
    parser.add_argument("--path", default="/", help="path whose response headers are checked (default /)")
    parser.add_argument("--min-hsts", type=int, default=31536000, help="minimum HSTS max-age in seconds")
    parser.add_argument("--json-out", help="keep testssl's JSON report in this file")
    parser.add_argument("--timeout", type=int, default=110, help="seconds testssl may run (default 110)")
    args = parser.parse_args()
    if not args.path.startswith("/"):
        parser.error("--path must start with /")

    with tempfile.TemporaryDirectory(prefix="tls_check.") as workdir:
        report = os.path.join(workdir, "testssl.json")
        try:
            findings = run_testssl(args, report)
        except CheckError as error:
            print("tls_check: %s" % error, file=sys.stderr)
            return 2
        finally:
            if args.json_out and os.path.exists(report):
                shutil.copyfile(report, args.json_out)
    summary, failures = evaluate(findings, args.min_hsts)
    summary.update({"target": "%s:%d" % (args.ip, args.port), "name": args.name, "ok": not failures,
                    "failures": failures})
    print(json.dumps(summary, sort_keys=True))
    for failure in failures:
        print("tls_check: %s" % failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
