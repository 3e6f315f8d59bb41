"""A slow link for tests and the bench: a TCP relay on 127.0.0.1 that waits before each connection, as a distant
server would (loopback round trips take about a millisecond, which hides what concurrency saves)."""
import socket
import threading
import time


class SlowLink:
    """A TCP relay on 127.0.0.1 that waits DELAY before connecting each client to TARGET: a distant server."""

    def __init__(self, target, delay):
        self.target, self.delay = target, delay
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.url = "http://127.0.0.1:%d" % self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self.relay, args=(client,), daemon=True).start()

    def relay(self, client):
        time.sleep(self.delay)
        try:
            upstream = socket.create_connection(self.target, timeout=10)
        except OSError:
            client.close()
            return
        threading.Thread(target=self.pump, args=(upstream, client), daemon=True).start()
        self.pump(client, upstream)

    @staticmethod
    def pump(source, destination):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                destination.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, destination):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.listener.close()
