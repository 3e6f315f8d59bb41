from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.docops.onlyoffice.plugins.module_utils import _checks, _probe
from ansible_collections.docops.onlyoffice.plugins.modules import gateway_probe
from ansible_collections.docops.onlyoffice.tests.unit.plugins.modules.module_runner import Exit, Fail, outcome_runner

NOW = 1795000000.0
SECRET = "0123456789abcdefghijklmnopqrstuv"


def answer(status=200, body="", headers=None, error_kind=None, total=0.01, **extra):
    """A probe() result as the verdicts see it."""
    result = {"url": "http://127.0.0.1:8080/x", "status": status, "reason": None, "headers": dict(headers or {}),
              "body": body, "error_kind": error_kind, "phase": None,
              "error": None if error_kind is None else "connect: [Errno 111] Connection refused",
              "timings": {"connect": 0.001, "tls": None, "first_byte": 0.002, "total": total}}
    result.update(extra)
    return result


REFUSED = answer(status=None, error_kind="refused")
MARKED_502 = answer(502, "502 Bad Gateway: the gateway got no answer from the Document Server\n",
                    {"x-docops-gateway-error": "upstream=127.0.0.1:8080 status=502"})
PLAIN_502 = answer(502, "<html>502 Bad Gateway</html>")


def params(**overrides):
    base = {"checks": [], "user_checks": [], "expected_baseurl": None, "jwt_secret": None,
            "jwt_header": "Authorization", "private_paths": ["/example/", "/admin/"], "tls_min_days": 14,
            "check_timeout": 3.0}
    base.update(overrides)
    return base


def b64decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# ---------------------------------------------------------------- JWT

def test_jwt_matches_the_well_known_jwt_io_token():
    token = _checks.jwt_hs256({"sub": "1234567890", "name": "John Doe", "iat": 1516239022}, "your-256-bit-secret")
    assert token == ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                     "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
                     "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")


def test_hs256_signature_of_rfc_7515_appendix_a1():
    key = b64decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
    signing_input = (b"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
                     b"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ")
    assert _checks.hs256_signature(signing_input, key) == "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"


def test_command_request_carries_the_token_in_the_header_and_in_the_body():
    headers, body = _checks.command_request(SECRET, "AuthorizationJwt", NOW)
    assert headers["Content-Type"] == "application/json"
    assert headers["AuthorizationJwt"].startswith("Bearer ")
    token = headers["AuthorizationJwt"][len("Bearer "):]
    sent = json.loads(body)
    assert sent == {"c": "version", "token": token}
    header, payload, _signature = token.split(".")
    assert json.loads(b64decode(header)) == {"alg": "HS256", "typ": "JWT"}
    assert json.loads(b64decode(payload)) == {"c": "version", "iat": int(NOW), "exp": int(NOW) + 300}
    # The signature is the one of the secret: the same payload signed again gives the same token.
    assert _checks.jwt_hs256(json.loads(b64decode(payload)), SECRET) == token
    assert _checks.jwt_hs256(json.loads(b64decode(payload)), SECRET + "x") != token


# ---------------------------------------------------------------- the gateway's marker

@pytest.mark.parametrize("value, expected", [
    ("upstream=127.0.0.1:8080 status=502", {"upstream": "127.0.0.1:8080", "status": "502"}),
    ("upstream=10.0.0.5:80, 10.0.0.6:80 status=502, 504", {"upstream": "10.0.0.5:80, 10.0.0.6:80",
                                                           "status": "502, 504"}),
    ("upstream=[::1]:8080 status=-", {"upstream": "[::1]:8080", "status": "-"}),
    ("upstream=- status=-", {"upstream": "-", "status": "-"}),
    ("garbled\r\nvalue", {"upstream": None, "status": None, "raw": "garbled value"}),
])
def test_gateway_error_marker(value, expected):
    assert _checks.gateway_error({"x-docops-gateway-error": value}) == expected


def test_no_marker():
    assert _checks.gateway_error({"content-type": "text/plain"}) is None
    assert _checks.gateway_error(None) is None


@pytest.mark.parametrize("given, hint", [
    (MARKED_502, "gateway"),
    (answer(504, headers={"x-docops-gateway-error": "upstream=127.0.0.1:8080 status=504"}), "gateway"),
    (PLAIN_502, "upstream"),
    (answer(503), "upstream"),
    (answer(404), None),
    (answer(200, "true"), None),
    (REFUSED, None),
])
def test_layer_hint(given, hint):
    assert _checks.layer_hint(given) == hint


# ---------------------------------------------------------------- verdicts

def verdict(function, *answers, now=NOW):
    passed, detail, speaking = function(list(answers), now)
    assert "\n" not in detail
    return passed, detail, speaking


def test_healthcheck():
    assert verdict(_checks.healthcheck_verdict, answer(200, "true"))[:2] == (True, 'HTTP 200 "true"')
    assert verdict(_checks.healthcheck_verdict, answer(200, "false"))[:2] == (
        False, 'expected HTTP 200 "true"; got HTTP 200 "false"')
    assert verdict(_checks.healthcheck_verdict, MARKED_502)[1] == (
        'expected HTTP 200 "true"; got HTTP 502 marked by the gateway (upstream=127.0.0.1:8080 status=502)')
    assert verdict(_checks.healthcheck_verdict, PLAIN_502)[1] == (
        'expected HTTP 200 "true"; got HTTP 502 "<html>502 Bad Gateway</html>" not marked by the gateway '
        '(it came from behind it)')
    passed, detail, _speaking = verdict(_checks.healthcheck_verdict, REFUSED)
    assert not passed and detail.startswith('expected HTTP 200 "true"; got refused (connect: ')


@pytest.mark.parametrize("content_type", ["application/javascript", "text/javascript; charset=utf-8",
                                          "application/x-javascript"])
def test_api_js_passes_with_a_javascript_type(content_type):
    assert verdict(_checks.api_js_verdict, answer(200, "var DocsAPI", {"content-type": content_type}))[0]


def test_api_js_fails():
    html = answer(200, "<html>", {"content-type": "text/html"})
    assert verdict(_checks.api_js_verdict, html)[:2] == (
        False, "expected HTTP 200 with a JavaScript Content-Type; got HTTP 200 text/html")
    assert verdict(_checks.api_js_verdict, answer(200, "x"))[1].endswith("got HTTP 200 without a Content-Type")
    assert verdict(_checks.api_js_verdict, answer(404, "not found"))[1] == (
        'expected HTTP 200 with a JavaScript Content-Type; got HTTP 404 "not found"')


@pytest.mark.parametrize("expected, body", [
    ("https://office.example.test", "https://office.example.test"),
    ("https://office.example.test/", "https://office.example.test"),
    ("https://example.test/ds-vpath", "https://example.test/ds-vpath\n"),
])
def test_baseurl_matches(expected, body):
    assert verdict(_checks.baseurl_verdict(expected), answer(200, body))[0]


def test_baseurl_mismatch_says_what_came():
    check = _checks.baseurl_verdict("https://office.example.test")
    passed, detail, _speaking = verdict(check, answer(200, "http://127.0.0.1:8080"))
    assert not passed
    assert detail.startswith("expected https://office.example.test; got http://127.0.0.1:8080 (check X-Forwarded-Proto")
    assert verdict(_checks.baseurl_verdict("https://a.test"), PLAIN_502)[1].startswith(
        'expected HTTP 200 "https://a.test"; got HTTP 502')


OPEN = '0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000}'


def upgrade(frame=OPEN, accept_ok=True, upgrade_ok=True, status=101, **extra):
    headers = {"upgrade": "websocket", "connection": "Upgrade", "sec-websocket-accept": "xyz="}
    return answer(status, "", headers, frame=frame, accept_ok=accept_ok, upgrade_ok=upgrade_ok, **extra)


def test_websocket_verdicts():
    assert verdict(_checks.websocket_verdict, upgrade())[:2] == (True, "HTTP 101, accept key and engine.io open frame ok")
    assert verdict(_checks.websocket_verdict, upgrade(accept_ok=False))[1] == (
        "expected Sec-WebSocket-Accept for the key sent; got xyz=")
    assert verdict(_checks.websocket_verdict, upgrade(upgrade_ok=False))[1].startswith(
        "expected Upgrade: websocket and Connection: upgrade with the 101")
    assert verdict(_checks.websocket_verdict, upgrade(frame=None))[1] == (
        "HTTP 101 but no engine.io open frame within the timeout")
    assert verdict(_checks.websocket_verdict, upgrade(frame="opcode 8"))[1].startswith(
        "HTTP 101 but the first frame is not an engine.io open packet")
    assert not verdict(_checks.websocket_verdict, upgrade(frame='0{"upgrades":[]}'))[0]
    refused = upgrade(status=400, accept_ok=False, upgrade_ok=False, frame=None)
    refused["body"] = "Missing or invalid Sec-WebSocket-Key header"
    assert verdict(_checks.websocket_verdict, refused)[1].startswith(
        "expected HTTP 101 with the right Sec-WebSocket-Accept and the engine.io open frame 0{...}; got HTTP 400")


def test_command_version_verdicts():
    assert verdict(_checks.command_version_verdict, answer(200, '{"error":0,"version":"9.4.0.1"}'))[:2] == (
        True, "error 0, version 9.4.0.1")
    passed, detail, _speaking = verdict(_checks.command_version_verdict, answer(200, '{"error":6}'))
    assert not passed and detail.startswith("CommandService answered error 6 (token rejected: jwt_secret is not the")
    assert "clocks" in verdict(_checks.command_version_verdict, answer(200, '{"error":7}'))[1]
    assert verdict(_checks.command_version_verdict, answer(200, '{"error":42}'))[1] == (
        "CommandService answered error 42 (unknown error code)")
    assert verdict(_checks.command_version_verdict, answer(200, "<html>"))[1] == (
        'expected JSON from CommandService; got HTTP 200 "<html>"')
    assert verdict(_checks.command_version_verdict, answer(200, "[1]"))[1].startswith("expected JSON")
    assert verdict(_checks.command_version_verdict, MARKED_502)[1].startswith(
        'expected HTTP 200 {"error": 0, ...} from CommandService; got HTTP 502 marked by the gateway')


def test_private_paths_pass_with_403_and_404_and_report_the_slowest():
    check = _checks.private_paths_verdict(["/example/", "/admin/", "/info/"])
    slow = answer(404, total=0.5)
    passed, detail, speaking = verdict(check, answer(404), slow, answer(403))
    assert passed and detail == "/example/ HTTP 404, /admin/ HTTP 404, /info/ HTTP 403"
    assert speaking is slow


@pytest.mark.parametrize("bad, shown", [
    (answer(200, "<html>example</html>"), "/admin/ HTTP 200: public"),
    (answer(204), "/admin/ HTTP 204: public"),
    (PLAIN_502, '/admin/ HTTP 502 "<html>502 Bad Gateway</html>" not marked by the gateway'),
    (REFUSED, "/admin/ no answer: refused"),
])
def test_private_paths_fail_on_2xx_5xx_and_no_answer(bad, shown):
    passed, detail, speaking = verdict(_checks.private_paths_verdict(["/example/", "/admin/"]), answer(404), bad)
    assert not passed and speaking is bad
    assert detail.startswith("expected no 2xx and no 5xx; got /example/ HTTP 404, " + shown)


def handshake(days, version="TLSv1.3"):
    return answer(None, tls={"version": version, "cipher": "TLS_AES_256_GCM_SHA384", "server_name": "office.example.test",
                             "not_after": "x", "not_after_epoch": NOW + days * 86400})


def test_tls_verdicts():
    passed, detail, _speaking = verdict(_checks.tls_verdict(14), handshake(30.5))
    assert passed and detail.startswith("TLSv1.3, certificate valid for office.example.test until ")
    assert detail.endswith("(30 days left, need 14)")
    assert not verdict(_checks.tls_verdict(14), handshake(13.9))[0]
    assert verdict(_checks.tls_verdict(0), handshake(0.1))[0]
    assert not verdict(_checks.tls_verdict(0), handshake(-1))[0]
    failed = answer(None, error_kind="tls", tls=None)
    failed["error"] = "tls: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch"
    assert verdict(_checks.tls_verdict(14), failed)[1] == (
        "expected a certificate valid for the name; got tls (tls: [SSL: CERTIFICATE_VERIFY_FAILED] certificate "
        "verify failed: Hostname mismatch)")


def user_check(**overrides):
    check = {"name": "mine", "path": "/x", "method": "GET", "headers": {}, "body": None, "status": 200,
             "body_regex": None, "json_query": None}
    check.update(overrides)
    return check


def compiled(expression):
    return _checks.compile_queries([user_check(json_query=expression)])[0]


def test_user_check_status_and_regex():
    assert verdict(_checks.user_check_verdict(user_check()), answer(200, "x"))[:2] == (True, "HTTP 200")
    assert verdict(_checks.user_check_verdict(user_check(status=404)), answer(404))[0]
    assert verdict(_checks.user_check_verdict(user_check()), answer(404, "nope"))[1] == 'expected HTTP 200; got HTTP 404 "nope"'
    check = _checks.user_check_verdict(user_check(body_regex=r"Version: 9\.\d"))
    assert verdict(check, answer(200, "Server is functioning normally. Version: 9.4.0."))[:2] == (
        True, "HTTP 200, body matches")
    assert verdict(check, answer(200, "Version: 8.3"))[1] == 'HTTP 200 but the body does not match Version: 9\\.\\d: "Version: 8.3"'


@pytest.mark.parametrize("expression, body, passed", [
    ("error == `0`", '{"error": 0}', True),
    ("error == `0`", '{"error": 6}', False),
    ("error", '{"error": 0}', True),  # JMESPath: 0 is true
    ("version", '{"error": 0}', False),  # null
    ("items", '{"items": []}', False),
    ("starts_with(version, '9.')", '{"version": "9.4.0.1"}', True),
])
def test_user_check_json_query(expression, body, passed):
    check = user_check(json_query=expression)
    assert verdict(_checks.user_check_verdict(check, compiled(expression)), answer(200, body))[0] is passed


def test_user_check_json_query_on_a_body_that_is_not_json():
    check = user_check(json_query="error")
    detail = verdict(_checks.user_check_verdict(check, compiled("error")), answer(200, "<html>"))[1]
    assert detail.startswith("HTTP 200 but the body is not JSON")


def test_json_query_false_says_what_it_gave():
    check = user_check(json_query="error == `0`")
    assert verdict(_checks.user_check_verdict(check, compiled("error == `0`")), answer(200, '{"error": 6}'))[1] == (
        "HTTP 200 but json_query error == `0` gave false")


# ---------------------------------------------------------------- parameters

@pytest.mark.parametrize("overrides, scheme, message", [
    ({"check_timeout": 0}, "http", "check_timeout must be > 0 and <= 60, got 0"),
    ({"check_timeout": float("nan")}, "http", "check_timeout must be a finite number, got nan"),
    ({"check_timeout": 61.0}, "http", "check_timeout must be > 0 and <= 60, got 61"),
    ({"tls_min_days": -1}, "http", "tls_min_days must be >= 0 and <= 3650, got -1"),
    ({"tls_min_days": 3651}, "http", "tls_min_days must be >= 0 and <= 3650, got 3651"),
    ({"checks": ["tls"]}, "http", "checks: tls needs an https:// url"),
    ({"checks": ["baseurl"]}, "http", "expected_baseurl: the baseurl check compares /baseurl with the public URL"),
    ({"checks": ["baseurl"], "expected_baseurl": "office.example.test"}, "http", "expected_baseurl: "),
    ({"checks": ["command_version"]}, "http", "jwt_secret: the command_version check signs its request"),
    ({"checks": ["command_version"], "jwt_secret": ""}, "http", "jwt_secret: "),
    ({"jwt_header": "Bad Header"}, "http", "jwt_header: 'Bad Header' is not an HTTP header name"),
    ({"jwt_header": "X\r\nY"}, "http", "jwt_header: "),
    ({"checks": ["private_paths"], "private_paths": []}, "http", "private_paths: give at least one path"),
    ({"private_paths": ["example/"]}, "http", "private_paths: 'example/' must start with /"),
    ({"user_checks": [user_check(status=99)]}, "http", "user_checks[0].status must be >= 100 and <= 599, got 99"),
    ({"user_checks": [user_check(name=" ")]}, "http", "user_checks[0].name: give each user check a name"),
    ({"user_checks": [user_check(name="healthcheck")]}, "http",
     "user_checks[0].name: healthcheck is already the name of another check"),
    ({"user_checks": [user_check(), user_check()]}, "http", "user_checks[1].name: mine is already the name"),
    ({"user_checks": [user_check(path="x")]}, "http", "user_checks[0].path: 'x' must start with /"),
    ({"user_checks": [user_check(method="get it")]}, "http", "user_checks[0].method: 'get it' is not an HTTP method"),
    ({"user_checks": [user_check(headers={"X": "a\nb"})]}, "http", "user_checks[0].headers: header 'X' has a line break"),
    ({"user_checks": [user_check(body_regex="(")]}, "http", "user_checks[0].body_regex: ( is not a regular expression"),
])
def test_parameter_problems(overrides, scheme, message):
    problem = _checks.parameter_problem(params(**overrides), scheme)
    assert problem is not None and problem.startswith(message), problem
    assert "\n" not in problem


def test_good_parameters():
    good = params(checks=list(_checks.BUILTIN), expected_baseurl="https://office.example.test", jwt_secret=SECRET,
                  user_checks=[user_check(body_regex="ok", json_query="a")])
    assert _checks.parameter_problem(good, "https") is None


def test_a_bad_json_query_is_one_line():
    with pytest.raises(ValueError) as info:
        _checks.compile_queries([user_check(), user_check(name="b", json_query="error ==")])
    assert str(info.value).startswith("user_checks[1].json_query: error == is not a JMESPath expression: ")
    assert "\n" not in str(info.value)


def test_json_query_without_jmespath(monkeypatch):
    def missing():
        raise ImportError("No module named 'jmespath'")
    monkeypatch.setattr(_checks, "_jmespath", missing)
    assert _checks.compile_queries([user_check()]) == {}  # not needed: not imported
    with pytest.raises(ValueError) as info:
        _checks.compile_queries([user_check(json_query="error")])
    assert str(info.value) == ("user_checks[0].json_query needs the Python library jmespath where the module runs "
                               "(Debian: apt install python3-jmespath; else pip install jmespath)")


# ---------------------------------------------------------------- plan and run

def test_plan_in_order_without_duplicates():
    checks = _checks.plan(params(checks=["websocket", "healthcheck", "websocket", "private_paths", "command_version"],
                                 jwt_secret=SECRET, user_checks=[user_check(headers={"X-A": "1"})]), {}, NOW)
    assert [check.name for check in checks] == ["websocket", "healthcheck", "private_paths", "command_version", "mine"]
    assert checks[0].requests == [("websocket", {"doc_key": "docops-probe"})]
    assert checks[2].requests == [("http", {"path": "/example/"}), ("http", {"path": "/admin/"})]
    kind, options = checks[3].requests[0]
    assert kind == "http" and options["method"] == "POST" and options["path"] == "/coauthoring/CommandService.ashx"
    assert options["headers"]["Authorization"].startswith("Bearer ")
    assert checks[4].requests == [("http", {"path": "/x", "method": "GET", "headers": {"X-A": "1"}, "body": None,
                                            "body_limit": _checks.USER_BODY_LIMIT})]


def test_run_sends_every_request_at_once_and_judges_each_check():
    """Every request waits at a barrier for all the others: the run only completes when they all run at once."""
    checks = _checks.plan(params(checks=["healthcheck", "api_js", "private_paths"],
                                 private_paths=["/a/", "/b/", "/c/"]), {}, NOW)
    barrier = threading.Barrier(5, timeout=5)
    answers = {"/healthcheck": answer(200, "true"), "/web-apps/apps/api/documents/api.js": MARKED_502,
               "/a/": answer(404), "/b/": answer(403), "/c/": answer(404)}

    def send(kind, options):
        barrier.wait()
        return answers[options["path"]]

    results, seconds = _checks.run(checks, send, label="public", clock=lambda: NOW)
    assert seconds >= 0
    assert [(result["name"], result["passed"], result["status"]) for result in results] == [
        ("healthcheck", True, 200), ("api_js", False, 502), ("private_paths", True, 404)]
    api_js = results[1]
    assert api_js["label"] == "public" and api_js["layer_hint"] == "gateway"
    assert api_js["gateway_error"] == {"upstream": "127.0.0.1:8080", "status": "502"}
    assert set(api_js["timing"]) == {"connect", "tls", "first_byte", "total"}
    assert results[0]["layer_hint"] is None and results[0]["gateway_error"] is None


def test_run_without_checks():
    assert _checks.run([], None) == ([], 0.0)


def test_prober_merges_headers_and_routes_each_kind(monkeypatch):
    calls = []
    monkeypatch.setattr(_probe, "probe", lambda url, path, **kwargs: calls.append(("probe", url, path, kwargs)) or {})
    monkeypatch.setattr(_probe, "websocket_handshake", lambda url, **kwargs: calls.append(("ws", url, kwargs)) or {})
    monkeypatch.setattr(_probe, "tls_handshake", lambda url, **kwargs: calls.append(("tls", url, kwargs)) or {})
    prober = _checks.Prober("https://127.0.0.1", {"Host": "office.example.test", "authorization": "x"}, 2.5, False, None)
    prober("http", {"path": "/p", "method": "POST", "body": "{}", "headers": {"Authorization": "Bearer t"}})
    prober("websocket", {"doc_key": "k"})
    prober("tls", {})
    kind, _url, path, kwargs = calls[0]
    assert (kind, path, kwargs["method"], kwargs["body"], kwargs["timeout"]) == ("probe", "/p", "POST", "{}", 2.5)
    assert kwargs["headers"] == {"Host": "office.example.test", "Authorization": "Bearer t"}
    assert calls[1][2]["doc_key"] == "k" and calls[1][2]["validate_certs"] is False
    assert calls[2][2] == {"headers": {"Host": "office.example.test", "authorization": "x"}, "timeout": 2.5,
                           "ca_path": None}


def test_failure_message_names_the_failed_checks_on_one_line():
    results = [{"name": "healthcheck", "passed": True, "detail": 'HTTP 200 "true"'},
               {"name": "baseurl", "passed": False, "detail": "expected https://a.test; got http://b.test"},
               {"name": "command_version", "passed": False, "detail": "CommandService answered error 6 (...)"}]
    assert _checks.failure_message("https://a.test", results, "public") == (
        "2 of 3 checks failed at https://a.test (public): baseurl (expected https://a.test; got http://b.test); "
        "command_version (CommandService answered error 6 (...))")


# ---------------------------------------------------------------- the module, in-process (Ansible's no_log
# filter does not run here: the integration test proves the masking through ansible-playbook)

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        routes = self.server.routes
        status, body, headers = routes.get(self.path, (404, "not found", {}))
        data = body.encode()
        self.send_response(status)
        for name, value in dict({"Content-Length": str(len(data))}, **headers).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.routes = {"/healthcheck": (200, "true", {}),
                    "/web-apps/apps/api/documents/api.js": (502, "502 Bad Gateway", {
                        "X-Docops-Gateway-Error": "upstream=127.0.0.1:8080 status=502"})}
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(2)


@pytest.fixture
def run(monkeypatch):
    return outcome_runner(monkeypatch, gateway_probe)


def url_of(httpd):
    return "http://127.0.0.1:%d" % httpd.server_address[1]


def test_module_checks_and_reports(run, server, tmp_path):
    report_json, report_junit = str(tmp_path / "r.json"), str(tmp_path / "r.xml")
    kind, result = run({"url": url_of(server), "successes": 1, "label": "public",
                        "checks": ["healthcheck", "api_js", "private_paths"], "private_paths": ["/admin/"],
                        "user_checks": [{"name": "healthcheck is true", "path": "/healthcheck", "body_regex": "^true$"}],
                        "report_json": report_json, "report_junit": report_junit,
                        "report_extra": [{"name": "healthcheck", "passed": True, "label": "container"}]})
    assert kind is Exit and result["ready"] and not result["changed"]
    assert [(check["name"], check["passed"]) for check in result["checks"]] == [
        ("healthcheck", True), ("api_js", False), ("private_paths", True), ("healthcheck is true", True)]
    assert result["checks"][1]["layer_hint"] == "gateway" and not result["checks_passed"]
    assert result["reports"] == [report_json, report_junit]
    with open(report_json) as handle:
        written = json.load(handle)
    assert written["summary"] == {"checks": 5, "passed": 4, "failed": 1} and written["url"] == url_of(server)
    assert result["warnings"] == []


def test_module_check_mode_writes_no_report(run, server, tmp_path):
    report = str(tmp_path / "r.json")
    kind, result = run({"url": url_of(server), "successes": 1, "checks": ["healthcheck"], "report_json": report},
                       check_mode=True)
    assert kind is Exit and result["checks_passed"] and result["reports"] == []
    assert not os.path.exists(report)
    assert result["warnings"] == ["check mode: the reports were not written (%s)" % report]


def test_module_fails_when_checks_fail_with_one_line(run, server):
    kind, result = run({"url": url_of(server), "successes": 1, "label": "public", "checks": ["healthcheck", "api_js"],
                        "fail_when_checks_fail": True})
    assert kind is Fail and result["ready"] and len(result["checks"]) == 2
    assert result["msg"] == ("1 of 2 checks failed at %s (public): api_js (expected HTTP 200 with a JavaScript "
                             "Content-Type; got HTTP 502 \"502 Bad Gateway\" marked by the gateway (upstream=127.0.0.1:8080 "
                             "status=502))"
                             % url_of(server))


def test_module_runs_the_checks_when_not_ready(run, server):
    server.routes["/healthcheck"] = (200, "false", {})
    kind, result = run({"url": url_of(server), "budget": 0.3, "checks": ["healthcheck"], "fail_when_not_ready": True})
    assert kind is Fail and not result["ready"] and " not ready after 0.3s" in result["msg"]
    assert result["checks"][0]["detail"] == 'expected HTTP 200 "true"; got HTTP 200 "false"'


@pytest.mark.parametrize("args, message", [
    ({"check_timeout": 0}, "check_timeout must be > 0 and <= 60, got 0"),
    ({"check_timeout": "inf"}, "check_timeout must be a finite number, got inf"),
    # ansible-core 2.16 refuses these two with its own conversion message, which names the parameter too.
    ({"tls_min_days": 1e30}, ("tls_min_days must be >= 0 and <= 3650", "argument 'tls_min_days' is of type")),
    ({"checks": ["tls"]}, "checks: tls needs an https:// url"),
    ({"checks": ["command_version"]}, "jwt_secret: the command_version check signs its request"),
    ({"checks": ["nope"]}, "value of checks must be one or more of: "),
    ({"user_checks": [{"name": "x", "path": "/", "json_query": "a =="}]}, "user_checks[0].json_query: a == is not a"),
    ({"user_checks": [{"name": "x", "path": "/", "status": "inf"}]},
     ("user_checks[0].status must be", "argument 'status' is of type <class 'str'> found in 'user_checks'")),
    ({"user_checks": [{"path": "/"}]}, "missing required arguments: name found in user_checks"),
    ({"report_json": "/nonexistent/dir/r.json"}, "report_json: the directory /nonexistent/dir does not exist"),
    ({"report_extra": [{"name": "a"}]}, "report_extra[0].passed: expected true or false, got None"),
])
def test_module_refuses_bad_check_parameters_before_probing(run, args, message):
    kind, result = run(dict({"url": "http://127.0.0.1:1"}, **args))
    messages = message if isinstance(message, tuple) else (message,)
    assert kind is Fail and any(text in result["msg"] for text in messages), result["msg"]
    assert "\n" not in result["msg"] and "ready" not in result and "checks" not in result
