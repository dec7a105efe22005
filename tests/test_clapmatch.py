"""CLAP ranking for ``soundscape new --clap`` with a tiny real ClapModel.

The model is built here from a small config with seeded random weights and a
tokenizer trained locally (tests/tiny_pipelines.py), saved with save_pretrained and
loaded back through soundscape.clapmatch's own path (local_files_only). Random
weights rank meaninglessly, so the tests check the mechanics against an independent
computation with the same model: scores, order, what is added and why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import torch  # noqa: E402

from soundscape import clapmatch  # noqa: E402
from soundscape.errors import GeneratorError  # noqa: E402
from soundscape.scene import load_scene  # noqa: E402
from soundscape.wordscene import SOUNDS, scene_text_from_words  # noqa: E402
from tiny_pipelines import roberta_tokenizer  # noqa: E402


def _save_tiny_clap(model_dir: Path, tokenizer_dir: Path) -> None:
    from transformers import ClapAudioConfig, ClapConfig, ClapModel, ClapTextConfig

    torch.manual_seed(0)
    text_cfg = ClapTextConfig(
        bos_token_id=0, eos_token_id=2, pad_token_id=1, hidden_size=16, intermediate_size=24,
        num_attention_heads=2, num_hidden_layers=1, vocab_size=400, projection_dim=16,
        max_position_embeddings=80,
    )
    audio_cfg = ClapAudioConfig(  # type: ignore[call-arg]
        spec_size=64, window_size=4, num_mel_bins=64, intermediate_size=24, depths=[1, 1],
        num_attention_heads=[2, 2], num_hidden_layers=2, hidden_size=32, projection_dim=16,
        patch_size=2, patch_stride=2, patch_embed_input_channels=4, patch_embeds_hidden_size=16,
    )
    model = ClapModel(ClapConfig(text_config=text_cfg.to_dict(),
                                 audio_config=audio_cfg.to_dict(), projection_dim=16))
    model.eval()
    model.save_pretrained(model_dir)
    roberta_tokenizer(77).save_pretrained(tokenizer_dir)


@pytest.fixture(scope="module")
def tiny_clap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clap")
    _save_tiny_clap(folder, folder)
    return folder


def _reference_embed(folder: Path, texts: list[str]) -> torch.Tensor:
    """The same embedding computed here, without soundscape.clapmatch."""
    from transformers import ClapModel, RobertaTokenizer

    model = ClapModel.from_pretrained(str(folder), local_files_only=True).eval()
    tok = RobertaTokenizer.from_pretrained(str(folder), local_files_only=True)
    batch = tok(texts, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        out = model.get_text_features(input_ids=batch["input_ids"],
                                      attention_mask=batch["attention_mask"])
    if not isinstance(out, torch.Tensor):
        out = out.pooler_output
    return torch.nn.functional.normalize(out.float(), dim=-1)


def test_rank_sounds_is_the_cosine_ranking(tiny_clap: Path) -> None:
    clap = clapmatch.load_clap(str(tiny_clap))
    text = "rain on a tent with distant thunder"
    ranking = clapmatch.rank_sounds(text, clap)
    assert sorted(k for k, _ in ranking) == sorted(SOUNDS)
    scores = [s for _, s in ranking]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 <= s <= 1.0 for s in scores)
    keys = list(SOUNDS)
    emb = _reference_embed(tiny_clap, [text, *(clapmatch.sound_text(k) for k in keys)])
    expected = dict(zip(keys, (emb[1:] @ emb[0]).tolist(), strict=True))
    for key, score in ranking:
        assert score == pytest.approx(expected[key], abs=1e-3), key
    assert len(set(scores)) > 1  # a real model: the sounds do not all score the same
    assert clapmatch.rank_sounds(text, clap) == ranking  # deterministic


def test_suggest_adds_the_best_sound_for_a_missed_word(tiny_clap: Path) -> None:
    clap = clapmatch.load_clap(str(tiny_clap))
    words = "rain on a window with a zorblax"  # a tent is a place: it adds a breeze
    keys = clapmatch.candidate_sounds(words)
    assert "rain" not in keys and len(keys) == len(SOUNDS) - 1  # asked for already
    emb = _reference_embed(tiny_clap, ["the sound of zorblax",
                                       *(clapmatch.sound_text(k) for k in keys)])
    scores = (emb[1:] @ emb[0]).tolist()
    best = keys[max(range(len(keys)), key=lambda i: scores[i])]
    extra, notes = clapmatch.suggest_sounds(words, clap, min_score=-1.0)
    assert list(extra) == [best]
    assert extra[best] == (f"CLAP ({clap.name}): 'zorblax' is closest to {best} "
                           f"({max(scores):.2f})")
    assert notes == [f"CLAP ({clap.name}) added: {best} (cosine at least -1)"]
    # the scene takes it: a layer from no word, its comment saying why
    text = scene_text_from_words(words, extra_sounds=extra, extra_notes=notes)
    scene_file = tiny_clap / "s.toml"
    scene_file.write_text(text, encoding="utf-8")
    scene = load_scene(scene_file)
    names = [layer.name for layer in scene.layers]
    assert "rain" in names and best in names
    assert f"from CLAP ({clap.name}): 'zorblax' is closest to" in text.replace("\n# ", " ")
    assert f"# CLAP ({clap.name}) added: {best}" in text
    # a threshold above any cosine adds nothing, and says so
    extra, notes = clapmatch.suggest_sounds(words, clap, min_score=1.01)
    assert extra == {}
    assert notes[0] == f"CLAP ({clap.name}) added: nothing (cosine at least 1.01)"
    assert notes[1].startswith(f"CLAP: not added (best match, cosine): zorblax ({best} ")
    # nothing missed: nothing to rank
    assert clapmatch.suggest_sounds("rain", clap) == (
        {}, [f"CLAP ({clap.name}): every word was in the table, nothing added"])


def test_found_through_the_environment_and_pipeline_folders(
        tiny_clap: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SOUNDSCAPE_CLAP_MODEL", str(tiny_clap))
    assert clapmatch.find_model() == tiny_clap
    # an AudioLDM2 pipeline folder: text_encoder/ is CLAP, tokenizer/ its tokenizer
    pipe = tmp_path / "pipe"
    _save_tiny_clap(pipe / "text_encoder", pipe / "tokenizer")
    a = clapmatch.rank_sounds("owl at night", clapmatch.load_clap(str(pipe)))
    b = clapmatch.rank_sounds("owl at night", clapmatch.load_clap(str(tiny_clap)))
    assert a == b  # same seed, same weights, same tokenizer
    # the command: --clap with the model from the environment
    from soundscape.cli import main

    out = tmp_path / "z.toml"
    assert main(["new", "rain and a zorblax", "--clap", "-o", str(out)]) == 0
    text = out.read_text()
    assert f"# CLAP ({tiny_clap.name}) added: " in text
    load_scene(out)
    capsys.readouterr()


def test_missing_model_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SOUNDSCAPE_CLAP_MODEL", str(tmp_path / "nowhere"))
    with pytest.raises(GeneratorError, match="SOUNDSCAPE_CLAP_MODEL = .*nowhere.* is not "
                                             "a folder"):
        clapmatch.find_model()
    monkeypatch.delenv("SOUNDSCAPE_CLAP_MODEL")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(GeneratorError, match="no CLAP model on this machine") as info:
        clapmatch.find_model()
    assert "laion/clap-htsat-unfused" in str(info.value)
    assert "never downloads" in str(info.value)
    from soundscape.cli import main

    out = tmp_path / "x.toml"
    assert main(["new", "rain", "--clap", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("soundscape: error: no CLAP model on this machine")
    assert not out.exists()
    # a folder that is not a CLAP model
    (tmp_path / "junk").mkdir()
    with pytest.raises(GeneratorError, match="cannot load a CLAP model from"):
        clapmatch.load_clap(str(tmp_path / "junk"))
