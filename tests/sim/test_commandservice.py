"""CommandService with real HS256 checks: header, body and query tokens, JWT off, JWT_IN_BODY."""
import json
import time

import pytest

from simhelpers import JWT_SECRET, jwt_encode

VERSION = {"c": "version"}
SERVICE = "/coauthoring/CommandService.ashx"
LOCAL_JSON = "/etc/onlyoffice/documentserver/local.json"


def bearer(claims, secret=JWT_SECRET, header="Authorization"):
    return {header: "Bearer " + jwt_encode(claims, secret)}


def command(sim, body=None, path=SERVICE, **kwargs):
    answer = sim.post(path, json=body, **kwargs)
    assert answer.status_code == 200  # CommandService answers 200 even for token errors
    assert answer.headers["Content-Type"].startswith("application/json")
    return answer.json()


def test_header_token(shared_sim):
    assert command(shared_sim, VERSION, headers=bearer(VERSION)) == {"error": 0, "version": "9.4.0.1"}
    assert command(shared_sim, VERSION, path="/command", headers=bearer(VERSION))["error"] == 0


def test_parameters_from_the_payload_field(shared_sim):
    assert command(shared_sim, {}, headers=bearer({"payload": VERSION}))["version"] == "9.4.0.1"


def test_body_and_query_token(shared_sim):
    assert command(shared_sim, {"token": jwt_encode(VERSION, JWT_SECRET)})["error"] == 0
    answer = shared_sim.get(SERVICE, params={"c": "version", "token": jwt_encode(VERSION, JWT_SECRET)})
    assert answer.json() == {"error": 0, "version": "9.4.0.1"}


def test_body_token_is_accepted_with_body_tokens_off(shared_sim):
    """DESIGN.md 7a: JWT_IN_BODY=false does not shut the body out; the header is not the only way in."""
    inbox = json.loads(shared_sim.read(LOCAL_JSON))["services"]["CoAuthoring"]["token"]["inbox"]
    assert inbox["inBody"] is False
    # no Authorization header at all; the parameters come from the body token's payload
    assert command(shared_sim, {"token": jwt_encode(VERSION, JWT_SECRET)}) == {"error": 0, "version": "9.4.0.1"}
    assert command(shared_sim, {"token": jwt_encode({"payload": VERSION}, JWT_SECRET)})["version"] == "9.4.0.1"
    assert command(shared_sim, {"token": jwt_encode(VERSION, "not-the-secret-not-the-secret-0000")}) == {"error": 6}


@pytest.mark.parametrize("headers", [
    {},
    bearer(VERSION, secret="not-the-secret-not-the-secret-0000"),
    {"Authorization": jwt_encode(VERSION, JWT_SECRET)},  # no "Bearer " prefix
    {"Authorization": "Bearer not.a.jwt"},
], ids=["missing", "wrong-secret", "no-bearer", "garbage"])
def test_bad_token_is_error_6(shared_sim, headers):
    assert command(shared_sim, VERSION, headers=headers) == {"error": 6}


def test_expired_token_is_error_7(shared_sim):
    expired = dict(VERSION, exp=int(time.time()) - 60)
    assert command(shared_sim, VERSION, headers=bearer(expired)) == {"error": 7}
    assert command(shared_sim, {"token": jwt_encode(expired, JWT_SECRET)}) == {"error": 7}


def test_other_error_codes(shared_sim):
    assert shared_sim.post(SERVICE, data=b"{not json").json() == {"error": 2}
    assert command(shared_sim, {"c": "nonsense"}, headers=bearer({"c": "nonsense"})) == {"error": 5}
    info = {"c": "info", "key": "no-such-document"}
    assert command(shared_sim, info, headers=bearer(info)) == {"key": "no-such-document", "error": 1}
    assert command(shared_sim, {"c": "info"}, headers=bearer({"c": "info"})) == {"error": 1}


def test_jwt_disabled_accepts_anything_and_version_override(sims):
    sim = sims.start({"JWT_ENABLED": "false", "SIM_VERSION": "9.0.4", "SIM_BUILD": "55",
                      "SIM_RELEASE_DATE": "2025-06-30"})
    sim.wait_healthy()
    assert command(sim, VERSION) == {"error": 0, "version": "9.0.4.55"}
    assert command(sim, VERSION, headers={"Authorization": "Bearer garbage"})["error"] == 0
    assert "Version: 9.0.4. Build: 55. Release date: 2025-06-30. Package type: 0." in sim.get("/index.html").text
    assert "'9.0.4'" in sim.get("/web-apps/apps/api/documents/api.js").text
    assert "JWT is enabled by default" not in sim.logs()


def test_custom_header_and_token_in_body(sims):
    sim = sims.start({"JWT_SECRET": JWT_SECRET, "JWT_HEADER": "AuthorizationJwt", "JWT_IN_BODY": "true"})
    sim.wait_healthy()
    assert command(sim, VERSION, headers=bearer(VERSION, header="AuthorizationJwt"))["error"] == 0
    assert command(sim, VERSION, headers=bearer(VERSION)) == {"error": 6}  # the default header is ignored
    # JWT_IN_BODY: the token's payload replaces the request's own parameters
    answer = command(sim, {"c": "nonsense", "token": jwt_encode(VERSION, JWT_SECRET)})
    assert answer == {"error": 0, "version": "9.4.0.1"}
    assert "JWT Enabled      -  true" in sim.exec("documentserver-jwt-status.sh")
