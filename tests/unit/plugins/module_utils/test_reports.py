from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import stat
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.docops.onlyoffice.plugins.module_utils import _reports

NOW = 1795000000.0


def check(name, passed=True, label="public", status=200, detail="ok", total=0.012, **extra):
    result = {"name": name, "label": label, "url": "https://office.example.test/" + name, "passed": passed,
              "status": status, "detail": detail,
              "timing": {"connect": 0.001, "tls": 0.004, "first_byte": 0.01, "total": total},
              "layer_hint": None, "gateway_error": None}
    result.update(extra)
    return result


FROM_THE_TARGET = [check("healthcheck", label="container", total=0.002),
                   {"name": "websocket", "passed": True, "label": "gateway"}]
THIS_RUN = [check("healthcheck"),
            check("command_version", passed=False, detail="CommandService answered error 6 (token rejected)"),
            check("api_js", passed=False, status=502, detail='expected HTTP 200; got HTTP 502 & <"more">',
                  layer_hint="gateway", gateway_error={"upstream": "127.0.0.1:8080", "status": "502"})]


def report():
    return _reports.build(THIS_RUN, FROM_THE_TARGET, "https://office.example.test", "public", True, 0.0213, NOW)


def test_build_merges_the_extra_checks_first_and_counts():
    built = report()
    assert [(item["label"], item["name"]) for item in built["checks"]] == [
        ("container", "healthcheck"), ("gateway", "websocket"), ("public", "healthcheck"),
        ("public", "command_version"), ("public", "api_js")]
    assert built["summary"] == {"checks": 5, "passed": 3, "failed": 2}
    assert built["failed"] == ["public: command_version", "public: api_js"]
    assert not built["passed"] and built["ready"] and built["generated"] == "2026-11-18T11:06:40Z"
    # A sparse extra item gets every key of a check result.
    assert built["checks"][1] == {"name": "websocket", "label": "gateway", "url": None, "passed": True, "status": None,
                                  "detail": None, "layer_hint": None, "gateway_error": None, "error_kind": None, "error": None,
                                  "timing": {"connect": None, "tls": None, "first_byte": None, "total": None}}


def test_build_without_checks_passes():
    built = _reports.build([], [], "http://127.0.0.1:8080", None, False, 0.0, NOW)
    assert built["passed"] and built["summary"] == {"checks": 0, "passed": 0, "failed": 0}


def test_json_round_trip():
    built = report()
    assert json.loads(_reports.render_json(built)) == built


def test_junit_is_well_formed_with_a_suite_per_label():
    root = ET.fromstring(_reports.render_junit(report()))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("time")) == ("5", "2", "0", "0.0213")
    suites = root.findall("testsuite")
    assert [(suite.get("name"), suite.get("tests"), suite.get("failures")) for suite in suites] == [
        ("container", "1", "0"), ("gateway", "1", "0"), ("public", "3", "2")]
    public = suites[2]
    properties = dict((item.get("name"), item.get("value")) for item in public.find("properties"))
    assert properties == {"url": "https://office.example.test", "ready": "true"}
    assert suites[0].find("properties") is None
    cases = public.findall("testcase")
    assert [(case.get("name"), case.get("classname"), case.get("time")) for case in cases] == [
        ("healthcheck", "docops.onlyoffice.gateway_probe.public", "0.0120"),
        ("command_version", "docops.onlyoffice.gateway_probe.public", "0.0120"),
        ("api_js", "docops.onlyoffice.gateway_probe.public", "0.0120")]
    assert cases[0].find("failure") is None
    failure = cases[2].find("failure")
    assert failure.get("message") == 'expected HTTP 200; got HTTP 502 & <"more">' and failure.get("type") == "check_failed"
    output = cases[2].find("system-out").text
    assert "layer: gateway" in output and "gateway error: upstream=127.0.0.1:8080 status=502" in output
    assert "timing: connect=0.0010 tls=0.0040 first_byte=0.0100 total=0.0120" in output
    assert suites[1].find("testcase").get("time") == "0.0000"


def test_junit_survives_characters_xml_cannot_carry():
    odd = [check("weird\x00name", passed=False, label=None, detail="body \x1b[31mred\x07 \ud800 end")]
    text = _reports.render_junit(_reports.build(odd, [], "http://127.0.0.1", None, True, 0.1, NOW))
    root = ET.fromstring(text.encode("utf-8"))
    case = root.find("testsuite/testcase")
    assert case.get("name") == "weird\ufffdname"
    assert case.find("failure").get("message") == "body \ufffd[31mred\ufffd \ufffd end"
    assert root.find("testsuite").get("name") == "probe"


@pytest.mark.parametrize("items, message", [
    (["healthcheck"], "report_extra[0]: expected a check result (a dict with name and passed), got str"),
    ([{"passed": True}], "report_extra[0].name: expected the name of a check, got None"),
    ([{"name": " ", "passed": True}], "report_extra[0].name: expected the name of a check"),
    ([{"name": "a", "passed": "yes"}], "report_extra[0].passed: expected true or false, got 'yes'"),
    ([{"name": "a", "passed": True}, {"name": "b", "passed": True, "status": "502"}],
     "report_extra[1].status: expected an HTTP status or null, got '502'"),
    ([{"name": "a", "passed": True, "status": True}], "report_extra[0].status: expected an HTTP status or null"),
    ([{"name": "a", "passed": True, "detail": 5}], "report_extra[0].detail: expected text or null, got 5"),
    ([{"name": "a", "passed": True, "timing": {"total": "slow"}}], "report_extra[0].timing: expected {connect, "),
    ([{"name": "a", "passed": True, "timing": 3}], "report_extra[0].timing: expected {connect, "),
    ([{"name": "a", "passed": True, "gateway_error": "x"}], "report_extra[0].gateway_error: expected {upstream, status}"),
])
def test_extra_problems(items, message):
    problem = _reports.extra_problem(items)
    assert problem is not None and problem.startswith(message), problem


def test_extra_of_a_real_run_is_fine():
    assert _reports.extra_problem(THIS_RUN + FROM_THE_TARGET) is None
    assert _reports.extra_problem([]) is None and _reports.extra_problem(None) is None


def test_path_problems(tmp_path):
    assert _reports.path_problem("report_json", None) is None
    assert _reports.path_problem("report_json", str(tmp_path / "r.json")) is None
    assert _reports.path_problem("report_json", str(tmp_path)) == (
        "report_json: %s is a directory; give the path of the report file" % tmp_path)
    assert _reports.path_problem("report_junit", str(tmp_path / "no" / "r.xml")) == (
        "report_junit: the directory %s does not exist where the module runs; create it first" % (tmp_path / "no"))


def test_write_replaces_the_file(tmp_path):
    path = tmp_path / "report.json"
    path.write_text("old")
    _reports.write(str(path), u"{\"new\": \"\u00e9\"}\n")
    assert json.loads(path.read_text(encoding="utf-8")) == {"new": u"\u00e9"}
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o644
    assert os.listdir(str(tmp_path)) == ["report.json"]  # no temporary file left
