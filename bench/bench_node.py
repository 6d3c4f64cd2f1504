"""Support for the benchmarks and fault tests that drive stock Yjs clients in Node (bench/node/clients.mjs).

Servers are started as child processes with their log in a file; their CPU time and memory are read from /proc for
the whole process tree (the server and any children). Nothing here talks to a server the caller did not start.
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = ROOT / "bench" / "node"
CLIENTS = NODE_DIR / "clients.mjs"
def origin_of(server_url: str) -> str:
    """The page origin a browser would send to ``server_url``: scheme, host and port (the hub checks all three)."""
    from urllib.parse import urlsplit

    parts = urlsplit(server_url)
    return f"{'https' if parts.scheme == 'wss' else 'http'}://{parts.netloc}"
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def node() -> str:
    path = shutil.which("node")
    if not path:
        raise SystemExit("node is not on PATH")
    return path


def ensure_bench_node_modules() -> None:
    """Hocuspocus is a benchmark-only dependency: installed here, never by `make run` or `make test`."""
    if not (NODE_DIR / "node_modules" / "@hocuspocus" / "server").is_dir():
        subprocess.run(["npm", "ci", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund"], check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def now_ms() -> float:
    return time.time() * 1000


def wait_until(predicate, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


# --- the process tree of a server -------------------------------------------------------------------------
def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces; the fields after it are positional.
    return raw[raw.rindex(")") + 2:].split()


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, ()))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """utime + stime of the process and its live descendants, plus the CPU of children it has reaped (cutime,
    cstime), from /proc/<pid>/stat."""
    total = 0
    for p in descendants(pid):
        fields = _stat(p)
        if fields:
            # Fields 14-17 of stat (1-based) are utime, stime, cutime, cstime; here shifted by the 2 cut off.
            total += sum(int(x) for x in fields[11:15])
    return total / TICK


def tree_rss_bytes(pid: int) -> int:
    total = 0
    for p in descendants(pid):
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except OSError:
            pass
    return total


# --- servers ----------------------------------------------------------------------------------------------
class Server:
    """One server process: ``hub`` (python -m hub.worker), ``reference`` (y-websocket's bin/server.js) or
    ``hocuspocus`` (bench/node/hocuspocus.mjs)."""

    def __init__(self, kind: str, env: dict, name: str = "", port: int | None = None):
        self.kind, self.name, self.env = kind, name or kind, env
        self.port = port or free_port()
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{kind}-", suffix=".log", delete=False)
        self.proc: subprocess.Popen | None = None
        self.start()

    def command(self) -> tuple[list[str], dict]:
        if self.kind == "reference":
            return [node(), "node_modules/y-websocket/bin/server.js"], {**self.env, "HOST": "127.0.0.1",
                                                                          "PORT": str(self.port)}
        if self.kind == "hocuspocus":
            return [node(), str(NODE_DIR / "hocuspocus.mjs"), str(self.port)], self.env
        return [sys.executable, "-m", "hub.worker", "--port", str(self.port)], self.env  # as production runs it

    def start(self, timeout: float = 240) -> None:
        """Wait for the port: minutes, not seconds — a worker importing Django and Wagtail and warming up search took
        over a minute to start on a 2-core machine at load 25."""
        cmd, env = self.command()
        # The log goes to a file: a pipe nobody reads fills up and then blocks the server.
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()  # not left running behind a benchmark that gives up on it
        raise RuntimeError(f"{self.name}: port {self.port} never opened")

    def log_tail(self, chars: int = 3000) -> str:
        return Path(self.log.name).read_text(errors="replace")[-chars:]

    def log_text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def base_url(self) -> str:
        """What a stock provider is given; it appends ``/<room>``."""
        if self.kind == "hub":
            return f"ws://127.0.0.1:{self.port}/ws/notes"
        return f"ws://127.0.0.1:{self.port}"

    def client_kind(self) -> str:
        return "hocuspocus" if self.kind == "hocuspocus" else "yws"

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.proc.pid)

    def rss_bytes(self) -> int:
        return tree_rss_bytes(self.proc.pid)

    def kill(self) -> None:
        """kill -9, as a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- a Node process of stock clients ----------------------------------------------------------------------
class NodeClients:
    """One Node process holding several stock Yjs clients of one room, all on one server."""

    def __init__(self, server_url: str, kind: str, room: str, specs: list[dict], *, report_each: bool = False):
        config = {"kind": kind, "url": server_url, "room": room, "origin": origin_of(server_url), "clients": specs,
                  "reportEach": report_each}
        self.indices = [s["index"] for s in specs]
        self.typed = {s["index"]: 0 for s in specs}
        self.events: queue.Queue = queue.Queue()
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([node(), str(CLIENTS), json.dumps(config)], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True, bufsize=1)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("ev") == "t":
                self.typed[msg["i"]] = msg["k"]
            else:
                self.events.put(msg)
        self.events.put({"ev": "exit"})

    def send(self, cmd: str, **kwargs) -> None:
        try:
            self.proc.stdin.write(json.dumps({"cmd": cmd, **kwargs}) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass

    def expect(self, ev: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {ev!r} from Node clients within {timeout:.0f} s; stderr: {self.err()}")
            try:
                msg = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if "error" in msg or msg.get("ev") == "exit":
                raise RuntimeError(f"Node clients failed waiting for {ev!r}: {msg} {self.err()}")
            if msg.get("ev") == ev:
                return msg

    def err(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")[-2000:]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.alive():
            self.send("close")
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
            self.proc.wait()


def stored_tags(url: str, cookie: str) -> tuple[list[str], str]:
    """The tags of a stored notes.yjs, applied to an empty Y.Doc by Node's yjs."""
    done = subprocess.run([node(), str(CLIENTS), "stored", url, cookie], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    msg = json.loads(done.stdout.strip().splitlines()[-1])
    if "error" in msg:
        raise RuntimeError(msg["error"])
    return msg["tags"], msg["digest"]


def repeated_edits(rows: list[bytes]) -> int:
    """How many edits (Yjs items, by client and clock) more than one of these log rows holds. A row may merge
    several edits (a reconnecting client's sync reply carries all it typed meanwhile); the target is one copy of
    each edit in the log."""
    from hub.meetings import protocol

    seen: dict[tuple[int, int], int] = {}
    for data in rows:
        blocks, pos = protocol.read_var_uint(data, 0)
        for _ in range(blocks):
            count, pos = protocol.read_var_uint(data, pos)
            client, pos = protocol.read_var_uint(data, pos)
            clock, pos = protocol.read_var_uint(data, pos)
            for _ in range(count):
                pos, length, skip = protocol._struct(data, pos)
                if not skip:
                    for tick in range(clock, clock + length):
                        seen[client, tick] = seen.get((client, tick), 0) + 1
                clock += length
    return sum(1 for n in seen.values() if n > 1)


# --- statistics -------------------------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, in the values' unit per hour."""
    if len(points) < 2:
        return float("nan")
    mean_t = sum(t for t, _ in points) / len(points)
    mean_m = sum(m for _, m in points) / len(points)
    den = sum((t - mean_t) ** 2 for t, _ in points)
    return 3600 * sum((t - mean_t) * (m - mean_m) for t, m in points) / den if den else float("nan")


# --- throwaway services the fault benchmark and tests may kill ---------------------------------------------
class RedisServer:
    """A redis-server of our own on a free port (never the machine's 6379), a direct child so it can be killed
    with -9 and started again on the same port."""

    def __init__(self, port: int | None = None):
        if not shutil.which("redis-server"):
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="bench-redis-")
        self.proc: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 30) -> None:
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", self.dir], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        if not wait_until(self.ping, timeout, 0.05):
            raise RuntimeError(f"redis-server did not start on port {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class TcpProxy:
    """A TCP relay on a free local port to ``host:port`` that can be cut (every open connection closed, new ones
    closed at once) and restored: an outage of the service behind it, as its clients see one, while the service
    itself (the machine's PostgreSQL, shared with others) keeps running."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.up = True
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return  # closed
            with self.lock:
                if not self.up:
                    conn.close()
                    continue
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    conn.close()
                    continue
                upstream.settimeout(None)
                self.open |= {conn, upstream}
            threading.Thread(target=self._pump, args=(conn, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, conn), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(src)
            self._drop(dst)

    def _drop(self, sock: socket.socket) -> None:
        with self.lock:
            self.open.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def cut(self) -> None:
        with self.lock:
            self.up = False
            doomed = list(self.open)
        for sock in doomed:
            self._drop(sock)

    def restore(self) -> None:
        with self.lock:
            self.up = True

    def close(self) -> None:
        self.server.close()
        self.cut()


def _pg_bindir() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: [int(x) for x in
                                                                                  p.parent.name.split(".")
                                                                                  if x.isdigit()])
    for path in reversed(candidates):
        if (path / "initdb").exists():
            return path
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL's initdb was not found (apt-get install postgresql)")


class PgCluster:
    """A PostgreSQL cluster of our own in a temporary directory on a free port (never the machine's 5432): initdb as
    the ``postgres`` system user when we are root (initdb refuses root), like scripts/test-services.sh. It can be
    stopped and started again on the same port."""

    def __init__(self):
        self.bin = _pg_bindir()
        self.root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="bench-pg-"))
        self.data, self.sock, self.logfile = self.dir / "data", self.dir / "sock", self.dir / "postgres.log"
        self.data.mkdir()
        self.sock.mkdir()
        self.logfile.touch()
        os.chmod(self.dir, 0o755)
        if self.root:
            subprocess.run(["chown", "-R", "postgres:", str(self.dir)], check=True)
        self._as_pg([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                     "--encoding=UTF8", "--locale=C.UTF-8"])
        self.port = free_port()
        self.start()

    def _as_pg(self, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess:
        if self.root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._as_pg([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "60",
                     "-o", options, "start"])

    def stop(self, mode: str = "fast") -> None:
        self._as_pg([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"], check=False)

    def createdb(self, name: str) -> None:
        self._as_pg([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name])

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
