"""The embedded profile's channel layer and the synchronous publishing path."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from channels.exceptions import ChannelFull

from taihe.kernel.realtime import layers
from taihe.kernel.realtime.layers import LocalChannelLayer, group_send_sync


async def _members(layer: LocalChannelLayer, group: str, count: int) -> list[str]:
    names = [await layer.new_channel() for _ in range(count)]
    for name in names:
        await layer.group_add(group, name)
    return names


@pytest.mark.asyncio
async def test_every_member_of_a_group_gets_the_message_once() -> None:
    # given a group of three
    layer = LocalChannelLayer()
    names = await _members(layer, "room", 3)

    # when one message is sent to the group
    data = {"n": 1}
    message = {"type": "topic.message", "topic": "room", "data": data}
    await layer.group_send("room", message)
    data["n"] = 2  # the sender's dict changing later changes nothing queued

    # then each member receives it, as it was when sent, and nothing more
    received = [await asyncio.wait_for(layer.receive(name), 5) for name in names]
    assert received == [{"type": "topic.message", "topic": "room", "data": {"n": 1}}] * 3
    assert all(layer.channels.get(name) is None for name in names)


@pytest.mark.asyncio
async def test_a_send_from_a_worker_thread_reaches_a_waiting_receiver() -> None:
    # given a consumer waiting on the server's loop
    layer = LocalChannelLayer()
    (name,) = await _members(layer, "room", 1)
    waiting = asyncio.ensure_future(layer.receive(name))
    await asyncio.sleep(0)
    owner_threads: list[int] = []
    deliver = layer._deliver

    def record(group: str, message: dict[str, Any]) -> None:
        owner_threads.append(threading.get_ident())
        deliver(group, message)

    layer._deliver = record

    # when a view on a worker thread publishes, as Django code does after commit
    thread = threading.Thread(target=group_send_sync,
                              args=(layer, "room", {"type": "topic.message", "n": 7}))
    thread.start()
    await asyncio.to_thread(thread.join)

    # then the message is queued on the server's loop (which is woken), not on the thread
    assert await asyncio.wait_for(waiting, 5) == {"type": "topic.message", "n": 7}
    assert owner_threads == [threading.get_ident()]


@pytest.mark.asyncio
async def test_a_full_member_misses_the_message_and_the_others_still_get_it() -> None:
    # given a group where one member's queue is full
    layer = LocalChannelLayer(capacity=1)
    full, other = await _members(layer, "room", 2)
    await layer.send(full, {"type": "first"})
    with pytest.raises(ChannelFull):
        await layer.send(full, {"type": "overflow"})

    # when a message goes to the group
    await layer.group_send("room", {"type": "second"})

    # then the full member keeps what it had and the other member gets the message
    assert await layer.receive(full) == {"type": "first"}
    assert await layer.receive(other) == {"type": "second"}


@pytest.mark.asyncio
async def test_expired_messages_are_still_swept() -> None:
    # given a layer whose messages expire at once and which sweeps on every call
    layer = LocalChannelLayer(expiry=-1, clean_interval=0)
    (stale,) = await _members(layer, "room", 1)
    await layer.group_send("room", {"type": "old"})

    # when the layer next sweeps (any group send does)
    await layer.group_send("other", {"type": "nobody"})

    # then the expired message is gone and its channel has left the group (as Channels does)
    assert stale not in layer.channels
    assert layer.groups.get("room", {}) == {}


@pytest.mark.asyncio
async def test_sweeping_waits_for_the_interval() -> None:
    # given a layer that sweeps at most once an hour and has just swept
    layer = LocalChannelLayer(expiry=-1, clean_interval=3600)
    layer._clean_expired()
    (name,) = await _members(layer, "room", 1)

    # when an (already expired) message is queued and another group send happens
    await layer.group_send("room", {"type": "old"})
    await layer.group_send("other", {"type": "x"})

    # then it is still there: the sweep did not run on every call
    assert name in layer.channels


def test_synchronous_publishers_share_one_loop_per_process() -> None:
    # given two publishes to a layer that is not the local one
    class Recording:
        def __init__(self) -> None:
            self.loops: list[asyncio.AbstractEventLoop] = []

        async def group_send(self, group: str, message: dict[str, Any]) -> None:
            self.loops.append(asyncio.get_running_loop())

    recording = Recording()

    # when synchronous code publishes twice
    group_send_sync(recording, "a", {"type": "x"})
    group_send_sync(recording, "b", {"type": "y"})

    # then both ran on the same long-lived loop (one Redis connection pool, not one per send)
    assert len(recording.loops) == 2
    assert recording.loops[0] is recording.loops[1] is layers._publishing_loop()
    assert recording.loops[0].is_running()


def test_a_failing_layer_raises_to_the_publisher() -> None:
    class Broken:
        async def group_send(self, group: str, message: dict[str, Any]) -> None:
            raise ConnectionError("redis is down")

    with pytest.raises(ConnectionError, match="redis is down"):
        group_send_sync(Broken(), "a", {"type": "x"})
