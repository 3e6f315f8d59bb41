"""SIM_NODE: every docservice answer says which simulated node made it (X-Docops-Sim-Node).

Gateway tests put several simulators behind one load balancer and read this header to
see where a request went. nginx's own answers (static files, redirects, 403/502) do not
carry it: only docservice sets it.
"""
from simhelpers import JWT_SECRET, RawWebSocket, expected_accept, jwt_encode, wait_until, ws_key

HEADER = "X-Docops-Sim-Node"
SOCKET = "/doc/%s/c/?EIO=4&transport=websocket"


def docservice_answers(sim):
    """(what, status, node header or None) of each kind of docservice answer, through nginx."""
    results = []

    def record(what, answer, status):
        assert answer.status_code == status, (what, answer.status_code, answer.text)
        results.append((what, answer.headers.get(HEADER)))

    record("healthcheck", sim.get("/healthcheck"), 200)
    record("healthcheck HEAD", sim.request("HEAD", "/healthcheck"), 200)
    record("index.html", sim.get("/index.html"), 200)
    record("baseurl", sim.get("/baseurl"), 200)
    version = {"c": "version"}
    record("CommandService POST", sim.post("/coauthoring/CommandService.ashx", json=version,
                                           headers={"Authorization": "Bearer " + jwt_encode(version, JWT_SECRET)}), 200)
    record("CommandService GET", sim.get("/coauthoring/CommandService.ashx", params={"c": "version"}), 200)
    record("command POST", sim.post("/command", data=b"not json"), 200)
    record("404", sim.get("/no-such-page"), 404)
    record("501 (send_error)", sim.request("PATCH", "/healthcheck"), 501)
    record("polling handshake", sim.get("/doc/node-doc/c/", params={"EIO": "4", "transport": "polling"}), 200)
    record("engine.io 400", sim.get("/doc/node-doc/c/", params={"EIO": "3", "transport": "polling"}), 400)

    key = ws_key()
    ws = RawWebSocket(sim.port, SOCKET % "node-doc", key)
    try:
        assert ws.status == 101 and ws.headers["sec-websocket-accept"] == expected_accept(key)
        opcode, payload = ws.read_frame()
        assert opcode == 1 and payload.startswith(b"0{")  # the upgraded socket still works
        results.append(("websocket 101", ws.headers.get(HEADER.lower())))
    finally:
        ws.close()
    ws = RawWebSocket(sim.port, SOCKET % "node-doc")  # no key: the raw 400 of the `ws` library
    try:
        assert ws.status == 400
        results.append(("websocket raw 400", ws.headers.get(HEADER.lower())))
    finally:
        ws.close()
    return results


def assert_all_from(results, node):
    wrong = [(what, value) for what, value in results if value != node]
    assert not wrong, "expected %s: %r on every docservice answer, got %r" % (HEADER, node, wrong)


def test_default_is_the_container_hostname(shared_sim):
    hostname = shared_sim.inspect()["Config"]["Hostname"]
    assert hostname and shared_sim.exec("hostname").strip() == hostname
    assert_all_from(docservice_answers(shared_sim), hostname)


def test_nginx_own_answers_do_not_carry_it(shared_sim):
    for path, status in (("/welcome/", 200), ("/web-apps/apps/api/documents/api.js", 200), ("/", 302),
                         ("/info/info.json", 403), ("/example/", 502), ("/cache/files/x/y", 403)):
        answer = shared_sim.get(path)
        assert answer.status_code == status, path
        assert HEADER not in answer.headers, path


def test_sim_node_overrides_the_hostname_and_survives_a_drain(sims):
    named = sims.start({"SIM_NODE": "node-a", "JWT_SECRET": JWT_SECRET}, args=["--hostname", "host-of-a"])
    by_hostname = sims.start({"JWT_SECRET": JWT_SECRET}, args=["--hostname", "sim-host-b"])
    named.wait_healthy()
    by_hostname.wait_healthy()
    assert_all_from(docservice_answers(named), "node-a")
    assert_all_from(docservice_answers(by_hostname), "sim-host-b")
    assert "node 'node-a'" in named.logs().splitlines()[0]

    # While draining, the 503s come from docservice too.
    named.exec("curl", "-sf", "-X", "PUT", "--max-time", "10", "http://127.0.0.1/internal/cluster/inactive")
    refused = named.get("/doc/drained/c/", params={"EIO": "4", "transport": "polling"})
    assert refused.status_code == 503 and refused.text == "Server is shutting down"
    assert refused.headers[HEADER] == "node-a"
    command = named.post("/coauthoring/CommandService.ashx", json={"c": "version"})
    assert command.status_code == 503 and command.headers[HEADER] == "node-a"


def test_unusable_sim_node_refuses_to_start(sims):
    for value, reason in (("node-a ", "no leading or trailing spaces"), ("nöde", "only printable ASCII is allowed")):
        sim = sims.start({"SIM_NODE": value})
        state = sim.wait_exited(20)
        assert state["ExitCode"] == 2
        logs = wait_until(lambda: sim.logs() if "refusing to start" in sim.logs() else None, 5,
                          what="the refusal in the logs")
        assert "docops-sim: SIM_NODE=%s is not a usable header value (%s); refusing to start" % (ascii(value), reason) in logs
