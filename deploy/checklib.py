"""What the deploy/ check scripts share: counting checks and saying 'N passed, M failed', and a free
port on 127.0.0.1."""
import socket
import time


class Checks:
    """Counts checks; a failed one is printed at once with what was checked."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def __call__(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}", flush=True)

    def summary(self):
        """Prints the closing line; returns the exit code."""
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(ask, timeout, interval=1):
    """Asks `ask()` until it is true or `timeout` seconds have passed; returns whether it was."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if ask():
            return True
        time.sleep(interval)
    return False
