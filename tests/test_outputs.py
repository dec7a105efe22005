"""The station and the output base class: an output that falls behind drops and
reports, and never holds up the mixer; the station on the one real-time loop (a
Mixer driven by hand on a fake clock); the server's ChannelOutputs fan-out."""

from __future__ import annotations

import threading

import numpy as np

from soundscape.clock import AudioClock
from soundscape.mixer import Mixer
from soundscape.outputs import ChannelOutputs, Level, Station, ThreadedOutput


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


class FakeTime:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def on_mixer(station: Station, block: int = 480) -> tuple[Mixer[Station], FakeTime]:
    """``station`` as the only stream of a mixer driven by hand on a fake clock."""
    fake = FakeTime()
    mixer: Mixer[Station] = Mixer("test", AudioClock(station.rate, block, now=fake),
                                  lambda s, frames: None)
    mixer.add(station)
    return mixer, fake


def test_a_stuck_output_drops_and_reports_while_the_others_get_everything():
    gate = threading.Event()
    stuck = Recorder("stuck", queue_blocks=5, gate=gate)
    good = Recorder("good")
    total = 40 * 480
    station = Station(counting_pull(), 48000, [stuck, good], block=480, frames=total)
    station.start()
    mixer, fake = on_mixer(station)
    for _ in range(40):
        assert mixer.step(fake.t) == 1  # never waited for "stuck"
        fake.t += 0.01
    assert station.done.is_set() and station.frames == total and len(mixer) == 1
    assert mixer.step(fake.t) == 0 and len(mixer) == 0  # done: dropped by the mixer
    events = station.events()
    gate.set()
    station.close()
    events += station.events()
    assert stuck.dropped == 35 and len(stuck.blocks) == 5
    assert [str(e) for e in events if e.level is Level.WARNING] == [
        "stuck: falling behind: 1 blocks dropped so far (the mixer does not wait for outputs)"]
    got = np.concatenate(good.blocks, axis=1)
    assert good.dropped == 0 and got.shape == (2, total)
    assert good.delivered == 0  # a Recorder does not count: real outputs do
    assert np.array_equal(got[0], np.arange(total, dtype=np.float32))  # in order, no gap
    assert not stuck.alive and not good.alive


def test_the_last_block_is_cut_to_the_frames_asked_for():
    out = Recorder("a")
    station = Station(counting_pull(), 48000, [out], block=480, frames=1000)
    station.start()
    mixer, fake = on_mixer(station)
    fake.t = 0.05  # 6 blocks due: the station ends after three
    assert mixer.step(fake.t) == 3 and station.frames == 1000
    station.close()
    assert [b.shape[1] for b in out.blocks] == [480, 480, 40]


def test_a_station_that_fell_behind_skips_ahead_and_its_audio_stays_continuous():
    """The one rule of the real-time loop (soundscape.mixer): more than max_late blocks
    behind, skip to the block due now; skipped blocks are never made, nothing bursts."""
    out = Recorder("a")
    station = Station(counting_pull(), 48000, [out], block=480)
    station.start()
    mixer, fake = on_mixer(station)
    assert mixer.step(0.0) == 1  # block 0
    fake.t = 0.5  # block 50 due: 49 behind, more than max_late (10)
    assert mixer.step(fake.t) == 1  # only block 50, not a burst of 50
    assert station.late_blocks == 49 and mixer.late_blocks == 49 and station.index == 51
    fake.t = 0.5 + 0.05  # 5 blocks due: within max_late, all made (a short burst)
    assert mixer.step(fake.t) == 5
    station.close()
    got = np.concatenate(out.blocks, axis=1)[0]
    assert np.array_equal(got, np.arange(7 * 480, dtype=np.float32))  # no gap in the audio


def test_station_stops_when_every_output_failed_and_play_stops_on_request():
    out = Recorder("a")
    out.failed = True
    station = Station(counting_pull(), 48000, [out], block=480)
    mixer, fake = on_mixer(station)
    assert mixer.step(10.0) == 1 and station.done.is_set() and station.frames == 480
    stop = threading.Event()
    stop.set()
    again = Station(counting_pull(), 48000, [Recorder("b")], block=480)
    assert again.play(stop) <= 480  # returns at once; at most the first block was made
    again.close()
    assert not again.outputs[0].alive


def test_play_runs_the_station_on_a_mixer_thread_to_its_end():
    out = Recorder("a")
    station = Station(counting_pull(), 48000, [out], block=480, frames=10 * 480)
    ticks: list[int] = []
    assert station.play(threading.Event(), on_tick=ticks.append) == 10 * 480
    station.close()
    assert station.done.is_set() and sum(b.shape[1] for b in out.blocks) == 10 * 480
    assert all(t <= 10 * 480 for t in ticks)


class Counter:
    """A stream for a mixer (the Producer attributes, and a server stream's kind): its
    blocks are its indexes."""

    def __init__(self, key: str):
        from soundscape.server.stream import Kind

        self.key = key
        self.kind = Kind(key.split(":")[0])
        self.index = 0
        self.paused = False
        self.stopped = False
        self.late_blocks = 0

    def produce(self) -> int:
        self.index += 1
        return self.index - 1


def test_the_server_engine_is_the_same_loop_channels_first_with_the_same_rule():
    from soundscape.server.engine import Engine

    fake = FakeTime()
    made: list[tuple[str, int]] = []
    engine = Engine("0", AudioClock(48000, 4800, now=fake),
                    lambda s, block: made.append((s.key, block)))
    assert isinstance(engine, Mixer)
    personal, channel = Counter("personal:1"), Counter("channel:rain")
    engine.add(personal)
    engine.add(channel)
    assert engine.step(0.1) == 4
    assert made == [("channel:rain", 0), ("channel:rain", 1),
                    ("personal:1", 0), ("personal:1", 1)]  # a channel serves many: first
    made.clear()
    assert engine.step(5.0) == 2  # block 50 due, 48 behind: both skip ahead to it
    assert made == [("channel:rain", 50), ("personal:1", 50)]
    assert channel.late_blocks == personal.late_blocks == 48 and engine.late_blocks == 96


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
