"""SQLite's write lock, taken in turns by every process: a steady writer in one process does
not keep another process's writes waiting, and a wait given up leaves nothing locked."""

import asyncio
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from wapiz.db.database import create_engine
from wapiz.db.write_turns import WriteTurns, writes

ASYNC = pytest.mark.asyncio(loop_scope="function")

# A process that writes without pause: each transaction keeps the lock for 20 ms, and the
# next begins as soon as the last has committed.
STEADY_WRITER = textwrap.dedent("""
    import asyncio, sys, time
    from sqlalchemy import text
    from wapiz.db.database import create_engine

    async def main(url, seconds):
        engine = create_engine(url, "steady-writer")
        until = time.monotonic() + seconds
        print("writing", flush=True)
        while time.monotonic() < until:
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO rows (who) VALUES ('steady')"))
                await asyncio.sleep(0.02)
        await engine.dispose()

    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
""")


def test_what_counts_as_a_write() -> None:
    assert not writes("SELECT 1") and not writes("  pragma journal_mode")
    assert writes("INSERT INTO rows VALUES (1)") and writes("update rows set who = 'x'")
    assert writes("DELETE FROM rows") and writes("CREATE TABLE t (x)")


@ASYNC
async def test_a_steady_writer_does_not_starve_another_process(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}"
    engine = create_engine(url, "test")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE rows (who TEXT)"))
        writer = await asyncio.create_subprocess_exec(
            sys.executable, "-c", STEADY_WRITER, url, "6", stdout=asyncio.subprocess.PIPE)
        try:
            assert writer.stdout is not None and await writer.stdout.readline() == b"writing\n"
            await asyncio.sleep(0.5)
            waits = []
            for _ in range(10):
                started = time.monotonic()
                async with engine.begin() as connection:
                    await connection.execute(text("INSERT INTO rows (who) VALUES ('test')"))
                waits.append(time.monotonic() - started)
                await asyncio.sleep(0.05)
            still_writing = writer.returncode is None
        finally:
            if writer.returncode is None:
                writer.kill()
            await writer.wait()
        assert still_writing, "the steady writer stopped before the test's writes were done"
        # Each write waited for at most a transaction or two of the other process's (20 ms
        # each), where SQLite's busy handler alone can miss its gaps for seconds.
        assert max(waits) < 1.0, waits
    finally:
        await engine.dispose()


async def waiter_given_up(tmp_path: Path) -> tuple[WriteTurns, WriteTurns]:
    """Two processes' turns on one file: the holder's taken, the waiter's given up on."""
    database = str(tmp_path / "turns.db")
    holder, waiter = WriteTurns(database, timeout_s=5), WriteTurns(database, timeout_s=0.2)
    await holder.take()
    with pytest.raises(TimeoutError, match="not free within"):
        await waiter.take()
    return holder, waiter


@ASYNC
async def test_a_wait_given_up_leaves_the_lock_free(tmp_path: Path) -> None:
    holder, waiter = await waiter_given_up(tmp_path)
    holder.give_back()
    # The late waiter's lock went straight back, so both can go on taking turns.
    await asyncio.wait_for(waiter.take(), 2)
    waiter.give_back()
    await asyncio.wait_for(holder.take(), 2)
    holder.give_back()
    holder.close()
    waiter.close()


@ASYNC
async def test_the_limit_covers_the_whole_wait(tmp_path: Path) -> None:
    """Waiting behind this process's own writer and then for the files: one limit for both."""
    database = str(tmp_path / "turns.db")
    turns = WriteTurns(database, timeout_s=0.6)
    other_process = WriteTurns(database, timeout_s=5)
    await turns.take()
    started = time.monotonic()
    second = asyncio.create_task(turns.take())  # in line within the process...
    other = asyncio.create_task(other_process.take())  # ...and another process in line too
    await asyncio.sleep(0.4)
    turns.give_back()  # the other process writes next, and keeps the lock
    await asyncio.wait_for(other, 2)
    with pytest.raises(TimeoutError):
        await second
    assert 0.5 < time.monotonic() - started < 0.95  # 0.6 s in all, not 0.6 s for each
    other_process.give_back()
    other_process.close()
    turns.close()


@ASYNC
async def test_closing_ends_the_waiting_thread(tmp_path: Path) -> None:
    holder, waiter = await waiter_given_up(tmp_path)  # its thread still waits for the holder
    thread = waiter._waiter
    assert thread is not None and thread.is_alive()
    waiter.close()
    holder.give_back()  # the thread's wait ends, and then the thread
    await asyncio.to_thread(thread.join, 2)
    assert not thread.is_alive()
    # Nothing left locked: the holder takes its turn again at once.
    await asyncio.wait_for(holder.take(), 1)
    holder.give_back()
    holder.close()
