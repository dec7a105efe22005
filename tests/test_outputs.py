"""The station and the output base class: an output that falls behind drops and
reports, and never holds up the mixer; the server's ChannelOutputs fan-out."""

from __future__ import annotations

import threading

import numpy as np

from soundscape.outputs import ChannelOutputs, Level, OutputEvent, Station, ThreadedOutput


class Recorder(ThreadedOutput):
    """Keeps every block; ``gate`` (when given) holds the thread before the first."""

    def __init__(self, name: str, queue_blocks: int = 50, gate: threading.Event | None = None):
        super().__init__(name, queue_blocks=queue_blocks)
        self.gate = gate
        self.blocks: list[np.ndarray] = []

    def _run_output(self) -> None:
        if self.gate is not None:
            self.gate.wait(60)
        while True:
            block = self._next(timeout=0.5)
            if block is not None:
                self.blocks.append(block)


def counting_pull():
    position = [0]

    def pull(frames: int) -> np.ndarray:
        out = np.arange(position[0], position[0] + frames, dtype=np.float32)
        position[0] += frames
        return np.stack([out, -out])

    return pull


def test_a_stuck_output_drops_and_reports_while_the_others_get_everything():
    gate = threading.Event()
    stuck = Recorder("stuck", queue_blocks=5, gate=gate)
    good = Recorder("good")
    station = Station(counting_pull(), 48000, [stuck, good], block=480)
    events: list[OutputEvent] = []
    total = 40 * 480
    assert station.run(total, on_event=events.append) == total  # never waited for "stuck"
    gate.set()
    station.close()
    events += station.events()
    assert stuck.dropped == 35 and len(stuck.blocks) == 5
    assert [str(e) for e in events if e.level is Level.WARNING] == [
        "stuck: falling behind: 1 blocks dropped so far (the mixer does not wait for outputs)"]
    got = np.concatenate(good.blocks, axis=1)
    assert good.dropped == 0 and got.shape == (2, total)
    assert np.array_equal(got[0], np.arange(total, dtype=np.float32))  # in order, no gap
    assert not stuck.alive and not good.alive


def test_station_stops_on_request_and_when_every_output_failed():
    out = Recorder("a")
    stop = threading.Event()
    stop.set()
    station = Station(counting_pull(), 48000, [out], block=480)
    assert station.run(None, stop) == 0
    out.failed = True
    assert Station(counting_pull(), 48000, [out], block=480).run(None) == 480
    station.close()


def test_channel_outputs_fan_out_by_channel():
    outputs = ChannelOutputs()
    rain, fire = Recorder("rain"), Recorder("fire")
    outputs.add("rain", [rain])
    outputs.add("fire", [fire])
    block = np.ones((2, 960), np.float32)
    outputs.push("rain", block)
    outputs.push("rain", block * 2)
    outputs.push("nobody", block)  # a channel without outputs: ignored
    outputs.close()
    assert [b[0, 0] for b in rain.blocks] == [1.0, 2.0] and fire.blocks == []
    assert outputs.events() == []
