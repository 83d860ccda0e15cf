"""Group commit: what arrives together is written together; a bad item fails alone."""

import asyncio

import pytest

from wapiz.db.groups import GroupCommit

pytestmark = pytest.mark.asyncio(loop_scope="function")


class Writer:
    """Records each group it is asked to write; "bad" items make a whole group fail, and
    "gone" items are refused one by one."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, items: list[str]) -> list[str | Exception]:
        self.groups.append(list(items))
        await self.release.wait()
        if "bad" in items:
            raise ValueError("cannot write bad")
        return [LookupError(item) if item == "gone" else item.upper() for item in items]


async def test_what_arrives_during_a_write_goes_in_the_next_group() -> None:
    writer = Writer()
    commits = GroupCommit(writer, max_group=3, name="test")
    writer.release.clear()
    first = asyncio.create_task(commits.submit("a"))
    await asyncio.sleep(0)  # "a" is being written alone; the rest arrive meanwhile
    rest = [asyncio.create_task(commits.submit(item)) for item in "bcdef"]
    await asyncio.sleep(0)
    writer.release.set()
    assert await asyncio.gather(first, *rest) == list("ABCDEF")
    assert writer.groups == [["a"], ["b", "c", "d"], ["e", "f"]]


async def test_a_failing_group_is_written_one_by_one() -> None:
    writer = Writer()
    commits = GroupCommit(writer, max_group=10, name="test")
    writer.release.clear()
    blocker = asyncio.create_task(commits.submit("x"))
    await asyncio.sleep(0)
    tasks = [asyncio.create_task(commits.submit(item)) for item in ("a", "bad", "gone", "b")]
    await asyncio.sleep(0)
    writer.release.set()
    results = await asyncio.gather(blocker, *tasks, return_exceptions=True)
    assert results[0] == "X" and results[1] == "A" and results[4] == "B"
    assert isinstance(results[2], ValueError)  # only the item that cannot be written fails
    assert isinstance(results[3], LookupError)  # an item's own refusal reaches only it
    assert writer.groups[1:] == [["a", "bad", "gone", "b"], ["a"], ["bad"], ["gone"], ["b"]]


async def test_an_item_whose_caller_went_away_is_written_all_the_same() -> None:
    writer = Writer()
    commits = GroupCommit(writer, max_group=10, name="test")
    writer.release.clear()
    impatient = asyncio.create_task(commits.submit("a"))
    await asyncio.sleep(0)
    impatient.cancel()
    writer.release.set()
    assert await commits.submit("b") == "B"
    assert [item for group in writer.groups for item in group] == ["a", "b"]
