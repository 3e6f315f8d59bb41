"""gateway_probe's checks and reports against a simulator container, through one real ansible-playbook -vvv run.

The simulator is a TEST DOUBLE of the Document Server (tests/images/documentserver-sim), started
here with a fixed JWT_SECRET and published on 127.0.0.1 only; it is removed at the end, also on
failure. One play: every built-in check but tls (the simulator speaks no TLS) and user checks pass
on the healthy simulator; a wrong jwt_secret fails command_version with error 6; a wrong
expected_baseurl fails baseurl; the container's own /example/ (502 by design, behind its nginx)
fails private_paths as an unmarked 5xx; fail_when_checks_fail fails the task with one line; the
report files are written and parse; the secrets appear nowhere in the -vvv output nor in the
reports. It prints what K=10 checks cost against K=1, straight to the container and through a
relay that delays each connection by 50 ms like a distant server (figures only: timings belong in
bench/; on loopback a round trip takes a millisecond and the CPU cost of each request dominates).
Run: .venv/bin/python -m pytest tests/integration/test_gateway_probe_checks.py -q -s
"""
import json
import statistics
import textwrap
import uuid
import xml.etree.ElementTree as ET

import pytest

from .ansible_runs import run_local
from .test_gateway_probe_container import LABEL, docker, free_port, images
from slowlink import SlowLink  # noqa: E402  (tests/bed is on the path, see test_gateway_probe_container)

SECRET = "Docops-Checks-Jwt-Secret-0123456789-abcdefghij"
WRONG_SECRET = "Not-The-Servers-Secret-9876543210-zyxwvutsrq"
PLACEHOLDER = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
ROUNDS = 5
LINK_DELAY = 0.05

PLAY = textwrap.dedent("""\
    - hosts: localhost
      connection: local
      gather_facts: false
      vars:
        builtin: [healthcheck, api_js, baseurl, websocket, command_version, private_paths]
        # The container's own nginx answers /example/ with 502 by design; /admin/ is 404 and /info/ 403 there.
        container_private_paths: [/admin/, /info/, /internal/]
        mine:
          - name: index names the version
            path: /index.html
            body_regex: 'Version: 9\\.4\\.0\\. Build: 1\\.'
          - name: command service without a token says error 6
            path: /coauthoring/CommandService.ashx
            method: POST
            body: '{"c": "version"}'
            headers:
              Content-Type: application/json
            json_query: error == `6`
          - name: welcome page
            path: /welcome/
          - name: no such page
            path: /no-such-page
            status: 404
      tasks:
        - name: Wait for the simulator, then every check that applies to it
          docops.onlyoffice.gateway_probe:
            url: "{{ url }}"
            budget: 60
            fail_when_not_ready: true
            label: container
            checks: "{{ builtin }}"
            expected_baseurl: "{{ url }}"
            jwt_secret: "{{ good_jwt }}"
            private_paths: "{{ container_private_paths }}"
            user_checks: "{{ mine }}"
            report_json: "{{ reports }}/checks.json"
            report_junit: "{{ reports }}/checks.xml"
            report_extra:
              - {name: healthcheck, passed: true, status: 200, label: target, detail: from an earlier run}
            fail_when_checks_fail: true
          register: healthy

        - name: A wrong secret
          docops.onlyoffice.gateway_probe:
            url: "{{ url }}"
            successes: 1
            checks: [command_version]
            jwt_secret: "{{ bad_jwt }}"
          register: wrong_secret

        - name: A public URL the proxy headers do not produce, and the container's /example/
          docops.onlyoffice.gateway_probe:
            url: "{{ url }}"
            successes: 1
            checks: [baseurl, private_paths]
            expected_baseurl: https://office.example.test
          register: mismatch

        - name: The same with fail_when_checks_fail
          docops.onlyoffice.gateway_probe:
            url: "{{ url }}"
            successes: 1
            label: public
            checks: [healthcheck, baseurl, command_version]
            expected_baseurl: https://office.example.test
            jwt_secret: "{{ bad_jwt }}"
            fail_when_checks_fail: true
          register: failed
          ignore_errors: true

        - name: One check
          docops.onlyoffice.gateway_probe:
            url: "{{ url }}"
            successes: 1
            checks: [healthcheck]
          register: one
          loop: "{{ range(rounds) | list }}"

        - name: Ten checks
          docops.onlyoffice.gateway_probe:
            url: "{{ url }}"
            successes: 1
            checks: "{{ builtin }}"
            expected_baseurl: "{{ url }}"
            jwt_secret: "{{ good_jwt }}"
            private_paths: "{{ container_private_paths }}"
            user_checks: "{{ mine }}"
          register: ten
          loop: "{{ range(rounds) | list }}"

        - name: One check through the slow link
          docops.onlyoffice.gateway_probe:
            url: "{{ slow_url }}"
            successes: 1
            checks: [healthcheck]
          register: one_slow
          loop: "{{ range(rounds) | list }}"

        - name: Ten checks through the slow link
          docops.onlyoffice.gateway_probe:
            url: "{{ slow_url }}"
            successes: 1
            checks: "{{ builtin }}"
            expected_baseurl: "{{ slow_url }}"
            jwt_secret: "{{ good_jwt }}"
            private_paths: "{{ container_private_paths }}"
            user_checks: "{{ mine }}"
          register: ten_slow
          loop: "{{ range(rounds) | list }}"

        - name: Hand the results to the test
          ansible.builtin.copy:
            content: "{{ {'healthy': healthy, 'wrong_secret': wrong_secret, 'mismatch': mismatch, 'failed': failed,
                          'one': one.results | map(attribute='checks_seconds') | list,
                          'ten': ten.results | map(attribute='checks_seconds') | list,
                          'ten_count': ten.results[0].checks | length,
                          'one_slow': one_slow.results | map(attribute='checks_seconds') | list,
                          'ten_slow': ten_slow.results | map(attribute='checks_seconds') | list,
                          'ten_slow_passed': ten_slow.results | map(attribute='checks_passed') | list} | to_json }}"
            dest: "{{ reports }}/results.json"
            mode: "0600"
    """)


def by_name(result):
    return dict((check["name"], check) for check in result["checks"])


@pytest.fixture
def simulator_url():
    """URL of a healthy simulator container with JWT_SECRET=SECRET on 127.0.0.1; removed at the end."""
    image = images.ensure("documentserver-sim")
    name, port = "docops-gp-checks-%s" % uuid.uuid4().hex[:10], free_port()
    try:
        docker("run", "-d", "--name", name, "--label", LABEL, "-p", "127.0.0.1:%d:80" % port,
               "-e", "JWT_SECRET=" + SECRET, "-e", "GENERATE_FONTS=false", image)
        yield "http://127.0.0.1:%d" % port
    finally:
        docker("rm", "-fv", name, check=False)


@pytest.fixture
def outcome(simulator_url, collections, tmp_path):
    url = simulator_url
    link = SlowLink(("127.0.0.1", int(url.rpartition(":")[2])), LINK_DELAY)
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY)
    try:
        code, output = run_local(collections, playbook, {
            "url": url, "slow_url": link.url, "good_jwt": SECRET, "bad_jwt": WRONG_SECRET, "reports": str(tmp_path),
            "rounds": ROUNDS}, verbose=True)
    finally:
        link.close()
    assert code == 0, output
    results = json.loads((tmp_path / "results.json").read_text())
    return url, results, output, tmp_path


def test_checks_reports_and_secrets(outcome):
    url, results, output, reports = outcome

    healthy = results["healthy"]
    assert healthy["ready"] and healthy["checks_passed"], healthy["checks"]
    checks = by_name(healthy)
    assert list(checks) == ["healthcheck", "api_js", "baseurl", "websocket", "command_version", "private_paths",
                            "index names the version", "command service without a token says error 6",
                            "welcome page", "no such page"]
    for check in healthy["checks"]:
        assert check["label"] == "container" and check["layer_hint"] is None and check["gateway_error"] is None
        assert set(check["timing"]) == {"connect", "tls", "first_byte", "total"}
        assert check["timing"]["total"] is not None and "\n" not in check["detail"]
    assert checks["command_version"]["detail"] == "error 0, version 9.4.0.1"
    assert checks["websocket"]["status"] == 101
    assert checks["baseurl"]["detail"] == url
    assert checks["private_paths"]["detail"] == "/admin/ HTTP 404, /info/ HTTP 403, /internal/ HTTP 403"
    assert checks["command service without a token says error 6"]["detail"] == "HTTP 200, json_query true"
    assert healthy["reports"] == [str(reports / "checks.json"), str(reports / "checks.xml")]

    wrong = by_name(results["wrong_secret"])["command_version"]
    assert not wrong["passed"] and wrong["status"] == 200
    assert wrong["detail"].startswith("CommandService answered error 6 (token rejected: jwt_secret is not the JWT "
                                      "secret of the Document Server")

    mismatch = by_name(results["mismatch"])
    assert not results["mismatch"]["checks_passed"] and results["mismatch"]["ready"]
    assert mismatch["baseurl"]["detail"].startswith("expected https://office.example.test; got %s (check " % url)
    example = mismatch["private_paths"]
    assert not example["passed"] and example["status"] == 502 and example["layer_hint"] == "upstream"
    assert example["url"] == url + "/example/"
    assert example["detail"].startswith("expected no 2xx and no 5xx; got /example/ HTTP 502 ")

    failed = results["failed"]
    assert failed["failed"] and len(failed["checks"]) == 3 and "\n" not in failed["msg"]
    assert failed["msg"].startswith("2 of 3 checks failed at %s (public): baseurl (expected https://office.example.test;"
                                    % url)
    assert "; command_version (CommandService answered error 6 (" in failed["msg"]

    report = json.loads((reports / "checks.json").read_text())
    assert report["passed"] and report["ready"] and report["url"] == url and report["label"] == "container"
    assert report["summary"] == {"checks": 11, "passed": 11, "failed": 0}
    assert report["checks"][0]["label"] == "target" and report["checks"][0]["detail"] == "from an earlier run"
    junit = ET.fromstring((reports / "checks.xml").read_bytes())
    assert [(suite.get("name"), suite.get("tests"), suite.get("failures")) for suite in junit.findall("testsuite")] == [
        ("target", "1", "0"), ("container", "10", "0")]

    for secret in (SECRET, WRONG_SECRET):
        assert secret not in output
        for name in ("checks.json", "checks.xml", "results.json"):
            assert secret not in (reports / name).read_text()
    assert "'jwt_secret': '%s'" % PLACEHOLDER in output or '"jwt_secret": "%s"' % PLACEHOLDER in output

    assert all(results["ten_slow_passed"])
    for link, one, ten in (("straight to the container", results["one"], results["ten"]),
                           ("through a link that adds %g ms per connection" % (LINK_DELAY * 1000), results["one_slow"],
                            results["ten_slow"])):
        print("\nchecks %s, %d rounds each: K=1 median %.4fs %s; K=%d median %.4fs %s; ratio %.2f" % (
            link, ROUNDS, statistics.median(one), one, results["ten_count"], statistics.median(ten), ten,
            statistics.median(ten) / max(statistics.median(one), 1e-6)))
