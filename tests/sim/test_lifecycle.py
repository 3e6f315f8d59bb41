"""Start, restart and stop: secrets per start, state in volumes, the fonts restart, SIGTERM, drain."""
import json
import subprocess
import time

import pytest
import requests

from simhelpers import JWT_SECRET, RawWebSocket, jwt_encode, wait_until, ws_key

RANDOM_SECRET_LINE = ('JWT is enabled by default. A random secret is generated automatically. Run the command '
                      '"docker exec <container> sudo documentserver-jwt-status.sh" to get information about JWT.')
LOCAL_JSON = "/etc/onlyoffice/documentserver/local.json"


def jwt_status_secret(sim):
    for line in sim.exec("sudo", "documentserver-jwt-status.sh").splitlines():
        if line.startswith("JWT secret"):
            return line.split(" -  ", 1)[1].strip()
    raise AssertionError("no secret in documentserver-jwt-status.sh output")


def link_secret(sim):
    return json.loads(sim.read(LOCAL_JSON))["storage"]["fs"]["secretString"]


def version_with(sim, secret):
    claims = {"c": "version"}
    answer = sim.post("/command", json=claims, headers={"Authorization": "Bearer " + jwt_encode(claims, secret)})
    return answer.json()["error"]


def test_random_secrets_change_on_every_start(sims):
    sim = sims.start()
    jwt_secrets, link_secrets = [], []
    for start in range(3):
        if start:
            sim.restart()
        sim.wait_healthy()
        assert sim.logs().count(RANDOM_SECRET_LINE) == start + 1
        jwt_secrets.append(jwt_status_secret(sim))
        link_secrets.append(link_secret(sim))
    assert len(set(jwt_secrets)) == 3 and len(jwt_secrets[0]) == 32
    assert len(set(link_secrets)) == 3
    assert version_with(sim, jwt_secrets[-1]) == 0
    assert version_with(sim, jwt_secrets[0]) == 6  # integrations holding the old secret break


def test_given_secret_and_lib_volume_survive_restart(sims):
    sim = sims.start({"JWT_SECRET": JWT_SECRET})
    sim.wait_healthy()
    first_start = sim.read("/var/lib/onlyoffice/docops-sim/first-start")
    sim.restart()
    sim.wait_healthy()
    assert jwt_status_secret(sim) == JWT_SECRET
    assert version_with(sim, JWT_SECRET) == 0
    assert sim.read("/var/lib/onlyoffice/docops-sim/first-start") == first_start
    assert len(sim.read("/var/lib/onlyoffice/docops-sim/starts.log").splitlines()) == 2
    assert RANDOM_SECRET_LINE not in sim.logs()


def test_fonts_restart_makes_healthcheck_flap(sims):
    sim = sims.start({"SIM_FONTS_SECONDS": "1", "SIM_FONTS_RESTART_SECONDS": "1"}, quick=False)
    seen = []  # distinct consecutive answers, ignoring "nothing listens yet"
    deadline = time.monotonic() + 20
    while seen[-4:] != ["502", "true", "502", "true"] and time.monotonic() < deadline:
        state = sim.health()
        if state != "down" and (not seen or seen[-1] != state):
            seen.append(state)
        time.sleep(0.05)
    assert seen == ["502", "true", "502", "true"]
    logs = sim.logs()
    assert "Generating AllFonts.js, please wait..." in logs
    assert logs.index("ds:docservice: stopped") < logs.index("ds:docservice: started")
    assert logs.count("Express server listening on port 8000") == 2
    assert sim.get("/sdkjs/common/AllFonts.js").status_code == 200  # static, written by the fonts step


def test_sigterm_closes_sockets_and_exits_0(sims):
    sim = sims.start({"SIM_SOCKET_SECONDS": "30"})
    sim.wait_healthy()
    ws = RawWebSocket(sim.port, "/doc/doc-stop/c/?EIO=4&transport=websocket", ws_key(), timeout=10)
    try:
        assert ws.status == 101
        ws.read_frame()
        assert sim.stop() < 10
        assert ws.read_frame() == (8, (1001).to_bytes(2, "big"))  # "going away"
    finally:
        ws.close()
    state = sim.state()
    assert state["ExitCode"] == 0 and not state["OOMKilled"]
    logs = sim.logs()
    assert "SIGTERM received: draining docservice" in logs
    assert "shutdown: docservice stopped" in logs and "docops-sim: stopped cleanly" in logs


def test_prepare4shutdown_drains_before_returning(sims):
    sim = sims.start({"SIM_SOCKET_SECONDS": "5"})  # the drain waits for this socket
    sim.wait_healthy()
    ws = RawWebSocket(sim.port, "/doc/doc-drain/c/?EIO=4&transport=websocket", ws_key(), timeout=10)
    try:
        assert ws.status == 101
        started = time.monotonic()
        script = subprocess.Popen(["docker", "exec", sim.name, "documentserver-prepare4shutdown.sh"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            # draining: new sockets and commands are refused while the old socket stays open
            wait_until(lambda: sim.get("/doc/x/c/", params={"EIO": "4", "transport": "polling"}).status_code == 503,
                       5, what="new sockets refused")
            claims = {"c": "version"}
            refused = sim.post("/command", json=claims,
                               headers={"Authorization": "Bearer " + jwt_encode(claims, JWT_SECRET)})
            assert refused.status_code == 503
            assert script.poll() is None  # still waiting for the open socket
            output, _stderr = script.communicate(timeout=15)
        finally:
            if script.poll() is None:
                script.kill()
        assert time.monotonic() - started >= 3  # it returned only when the socket's 5 s were over
        assert script.returncode == 0
        assert output.strip().endswith("Document server is prepared for shutdown")
        assert ws.read_frame()[0] == 1 and ws.read_frame()[0] == 8  # open packet, then a normal close
    finally:
        ws.close()
    assert sim.get("/healthcheck").text == "true"  # draining is not "down"
    assert sim.exec("curl", "-s", "http://127.0.0.1/internal/cluster/inactive") == "true"
    sim.exec("curl", "-s", "-X", "DELETE", "http://127.0.0.1/internal/cluster/inactive")  # cancel the drain
    assert sim.get("/doc/x/c/", params={"EIO": "4", "transport": "polling"}).status_code == 200
    assert sim.stop() < 10 and sim.state()["ExitCode"] == 0


def test_stop_while_waiting_for_a_dependency(sims):
    sim = sims.start({"DB_HOST": "127.0.0.1", "DB_PORT": "1"})
    sim.wait_log("Waiting for connection to the 127.0.0.1 host on port 1")
    with pytest.raises(requests.ConnectionError):  # like the real one: nginx starts after the waits
        requests.get(sim.url("/healthcheck"), timeout=2)
    assert sim.stop() < 5 and sim.state()["ExitCode"] == 0
