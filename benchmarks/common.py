"""Shared by the benchmarks: machine facts, fresh databases, a gunicorn server."""

from __future__ import annotations

import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql://postgres@127.0.0.1:5432"


def machine() -> dict[str, object]:
    memory = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) // 1024
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line)
    except (OSError, StopIteration):
        pass
    return {
        "cores": os.cpu_count(),
        "memory_mb": memory,
        "cpu": cpu,
        "python": platform.python_version(),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def database(kind: str, name: str) -> Iterator[str]:
    """A new, empty database URL; removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/{name}.sqlite"
        return
    subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    try:
        yield f"{PG}/{name}"
    finally:
        subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", name])


def environment(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "QUIZAPP_ENV": "production",
        "SECRET_KEY": "benchmark-secret-key-0123456789-abcdefghijklmnop",
    }


def flask(url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "quizapp", *args],
        env={**environment(url), "QUIZAPP_ENV": "development"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@contextmanager
def gunicorn(
    url: str,
    *,
    workers: int,
    module: str = "benchmarks.bench_wsgi:app",
    threads: int | None = None,
) -> Iterator[str]:
    """gunicorn's default sync workers, or gthread workers with `threads` threads each."""
    port = free_port()
    extra = ["--worker-class", "gthread", "--threads", str(threads)] if threads else []
    log_path = Path(tempfile.mkdtemp(prefix="quizapp-bench-")) / "gunicorn.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            *extra,
            module,
        ],
        env=environment(url),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a busy machine starts gunicorn slowly
        while True:
            try:
                urllib.request.urlopen(base + "/hello", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text()) from None
                time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def worker_rss_mb(base: str) -> list[float]:
    """Resident memory of the gunicorn workers serving `base` (children of the master)."""
    port = base.rsplit(":", 1)[1]
    out = subprocess.run(["ps", "-eo", "pid,ppid,rss,args"], capture_output=True, text=True).stdout
    masters = [line.split()[0] for line in out.splitlines() if f"127.0.0.1:{port}" in line]
    return [
        round(int(line.split()[2]) / 1024, 1)
        for line in out.splitlines()[1:]
        if line.split()[1] in masters
    ]


def summary(name: str, **figures: object) -> None:
    """The machine-readable line each benchmark ends with."""
    print(json.dumps({"benchmark": name, **figures, "machine": machine()}))
