"""The process-wide training queue: first come, first served, with places reported."""

import threading
import time

from tlcore.nets import device


def test_waiters_run_in_order_and_learn_their_place():
    queue = device.TrainingQueue()
    order: list[str] = []
    places: dict[str, list[int]] = {"second": [], "third": []}
    holding = threading.Event()
    release = threading.Event()

    def first():
        with queue.turn():
            holding.set()
            release.wait(5)
            order.append("first")

    def waiter(name):
        with queue.turn(on_wait=places[name].append, poll_seconds=0.01):
            order.append(name)

    threads = [threading.Thread(target=first)]
    threads[0].start()
    holding.wait(5)
    assert queue.is_busy()
    for name in ("second", "third"):
        thread = threading.Thread(target=waiter, args=(name,))
        thread.start()
        threads.append(thread)
        # Let each waiter take its ticket before the next one arrives.
        deadline = time.monotonic() + 5
        while queue.waiting_count() < len(threads) - 1 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert queue.waiting_count() == 2
    release.set()
    for thread in threads:
        thread.join(5)
    assert order == ["first", "second", "third"]
    assert places["second"] == [1]
    # The third may or may not wake while the second runs, so only its first place is sure.
    assert places["third"][0] == 2
    assert places["third"] == sorted(places["third"], reverse=True)
    assert not queue.is_busy()


def test_the_lock_is_released_when_the_work_fails():
    queue = device.TrainingQueue()
    try:
        with queue.turn():
            raise RuntimeError("training broke")
    except RuntimeError:
        pass
    assert not queue.is_busy()
    with queue.turn():
        assert queue.is_busy()
