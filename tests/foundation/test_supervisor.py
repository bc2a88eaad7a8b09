"""The demo's supervisor with real child processes: a crashed child comes back after its
backoff; one that dies within seconds of every start stops the demo instead of looping."""

import time

from rtcc.supervisor import EARLY_EXITS_TO_GIVE_UP, Child, Supervisor


def exited(child: Child) -> None:
    child.process.wait(10)


def test_a_crashed_child_restarts_after_a_doubling_backoff():
    child = Child("crashy", ["sh", "-c", "exit 3"])
    supervisor = Supervisor([child])
    child.start()
    exited(child)
    now = time.monotonic()
    assert supervisor.tend(now) is None
    assert child.restart_at == now + 1
    first = child.process.pid
    assert supervisor.tend(now + 1) is None
    assert child.process.pid != first, "started again"
    exited(child)
    supervisor.tend(now + 2)
    assert child.restart_at == now + 2 + 2, "the second restart waits twice as long"
    supervisor.stop_all()


def test_a_child_that_dies_at_every_start_stops_the_demo():
    child = Child("broken", ["sh", "-c", "exit 3"])
    supervisor = Supervisor([child])
    child.start()
    gave_up = None
    for _ in range(EARLY_EXITS_TO_GIVE_UP):
        exited(child)
        gave_up = supervisor.tend(time.monotonic())
        if gave_up:
            break
        supervisor.tend(child.restart_at)
    assert gave_up is child
    supervisor.stop_all()


def test_a_running_child_is_left_alone():
    child = Child("steady", ["sleep", "30"])
    supervisor = Supervisor([child])
    child.start()
    pid = child.process.pid
    assert supervisor.tend(time.monotonic()) is None
    assert child.process.pid == pid and child.restart_at is None
    supervisor.stop_all()
    assert child.process.poll() is not None
