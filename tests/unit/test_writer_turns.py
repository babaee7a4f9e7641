"""SQLite writers take turns before BEGIN IMMEDIATE (data/database.py ``WriterTurns``):
threads of a process on a lock, processes on an flock beside the database file."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

import sqlalchemy as sa

from glare_core.data.database import Database


def _database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'glare.db'}")
    with database.write() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    return database


def test_the_turn_is_an_flock_beside_the_database(tmp_path):
    database = _database(tmp_path)
    assert (tmp_path / "glare.db.writer").exists()
    database.dispose()


def test_a_forked_process_waits_for_the_turn_of_its_parent(tmp_path):
    """A forked server worker must not share its parent's lock: each process opens the
    lock file itself, so the child finds the file locked while the parent writes."""
    database = _database(tmp_path)
    with database.write():
        pid = os.fork()
        if pid == 0:  # the child: would it get the turn now?
            try:
                fd = database._writer_turns._lock_file()
                assert fd is not None
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os._exit(1)  # it did: the parent's turn was not respected
            except BlockingIOError:
                os._exit(0)
            except BaseException:
                os._exit(2)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    database.dispose()


def test_a_write_inside_a_write_of_the_same_thread_goes_on(tmp_path):
    database = _database(tmp_path)
    done = threading.Event()

    def nested() -> None:
        with database.write() as outer:
            outer.exec_driver_sql("INSERT INTO t VALUES (1)")
            with database._writer_turns.turn():  # the same thread's turn, again
                pass
        done.set()

    thread = threading.Thread(target=nested, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert done.is_set()
    database.dispose()


def test_concurrent_writers_all_commit(tmp_path):
    database = _database(tmp_path)
    start = threading.Barrier(8)

    def write(n: int) -> None:
        start.wait()
        for i in range(25):
            with database.write() as conn:
                conn.execute(sa.text("INSERT INTO t VALUES (:n)"), {"n": n * 100 + i})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with database.read() as conn:
        assert conn.exec_driver_sql("SELECT count(DISTINCT n) FROM t").scalar() == 200
    database.dispose()
