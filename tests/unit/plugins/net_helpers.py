"""Small network helpers for unit tests (loopback only)."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import socket


def closed_port():
    """A 127.0.0.1 port that nothing listens on (bound once, then released)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
