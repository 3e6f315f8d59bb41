"""The engine.io v4 co-authoring socket under /doc/<docId>/c/, through the container's nginx."""
import json

from simhelpers import JWT_SECRET, RawWebSocket, expected_accept, jwt_encode, ws_key

SOCKET = "/doc/%s/c/?EIO=4&transport=websocket"


def open_packet(text):
    assert text[0] == "0"
    packet = json.loads(text[1:])
    assert isinstance(packet["sid"], str) and packet["sid"]
    assert (packet["pingInterval"], packet["pingTimeout"], packet["maxPayload"]) == (25000, 20000, 1000000)
    return packet


def test_upgrade_open_packet_and_close(shared_sim):
    key = ws_key()
    ws = RawWebSocket(shared_sim.port, SOCKET % "doc-ws-1", key)
    try:
        assert ws.status == 101
        assert ws.headers["upgrade"].lower() == "websocket"
        assert ws.headers["connection"].lower() == "upgrade"
        assert ws.headers["sec-websocket-accept"] == expected_accept(key)
        opcode, payload = ws.read_frame()
        assert opcode == 1 and open_packet(payload.decode())["upgrades"] == []
        ws.send_frame(1, b"40")  # socket.io CONNECT
        opcode, payload = ws.read_frame()
        assert opcode == 1 and "sid" in json.loads(payload.decode()[2:])
        # while the socket is open, CommandService knows the document
        info = {"c": "info", "key": "doc-ws-1"}
        answer = shared_sim.post("/coauthoring/CommandService.ashx", json=info,
                                 headers={"Authorization": "Bearer " + jwt_encode(info, JWT_SECRET)})
        assert answer.json() == {"key": "doc-ws-1", "error": 0}
        ws.send_frame(8, (1000).to_bytes(2, "big"))
        assert ws.read_frame() == (8, (1000).to_bytes(2, "big"))
    finally:
        ws.close()


def test_server_closes_after_the_hold_time(shared_sim):
    ws = RawWebSocket(shared_sim.port, SOCKET % "doc-ws-2", ws_key(), timeout=8)
    try:
        assert ws.status == 101
        ws.read_frame()
        assert ws.read_frame() == (8, (1000).to_bytes(2, "big"))  # SIM_SOCKET_SECONDS=3 in the tests
    finally:
        ws.close()


def test_upgrade_without_key_is_400(shared_sim):
    ws = RawWebSocket(shared_sim.port, SOCKET % "doc-ws-3")
    try:
        assert ws.status == 400
        assert ws.body() == "Missing or invalid Sec-WebSocket-Key header"
    finally:
        ws.close()


def test_engine_io_v3_is_refused(shared_sim):
    answer = shared_sim.get("/doc/doc-ws-4/c/", params={"EIO": "3", "transport": "polling"})
    assert answer.status_code == 400
    assert answer.text == '{"code":5,"message":"Unsupported protocol version"}'
    ws = RawWebSocket(shared_sim.port, "/doc/doc-ws-4/c/?EIO=3&transport=websocket", ws_key())
    try:
        assert ws.status == 400 and json.loads(ws.body())["code"] == 5
    finally:
        ws.close()


def test_polling_handshake(shared_sim):
    answer = shared_sim.get("/doc/doc-ws-5/c/", params={"EIO": "4", "transport": "polling"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert open_packet(answer.text)["upgrades"] == ["websocket"]


def test_websocket_transport_without_upgrade_is_400(shared_sim):
    answer = shared_sim.get("/doc/doc-ws-6/c/", params={"EIO": "4", "transport": "websocket"})
    assert answer.status_code == 400 and answer.json() == {"code": 3, "message": "Bad request"}
