"""Tiny AudioLDM2 and Stable Audio Open pipelines for offline CPU tests.

Built from small configs with seeded random weights and tokenizers made here (no hub),
then saved with ``save_pretrained`` so the real loading path of
``soundscape.generators.diffusion`` is exercised. Shapes follow diffusers' own fast
tests; rates and lengths are chosen so that a 2 s segment costs milliseconds.

Random weights make meaningless audio; the AudioLDM2 vocoder's last layer is scaled
up so its output is audible (a random tiny vocoder peaks near 1e-6) and the quality
gates see something like real levels.
"""

from __future__ import annotations

import json
from pathlib import Path

WORDS: tuple[str, ...] = ("high", "quality", "recording", "of", "field", "ambient", "soundscape", "rain", "on", "a", "window", "heavy", "light", "thunder", "rolling", "distant", "crackling", "fire", "popping", "wind", "through", "trees", "birds", "singing", "forest", "stream", "water", "flowing", "waves", "ocean", "night", "crickets", "city", "traffic", "cafe", "music", "voices", "low", "distorted", "the", "and", "of", "in", "with", "a", "an", "sound", "close", "far", "soft", "loud", "gentle")


def _corpus() -> list[str]:
    return [" ".join(WORDS[i : i + 6]) for i in range(0, len(WORDS), 3)] + list(WORDS)


def roberta_tokenizer(max_length: int = 77):
    """A byte-level BPE RobertaTokenizer trained on a small fixed corpus."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaTokenizer

    bpe = ByteLevelBPETokenizer()
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    bpe.train_from_iterator(_corpus(), vocab_size=400, min_frequency=1, special_tokens=specials)
    vocab = bpe.get_vocab()
    merges_json = json.loads(bpe._tokenizer.to_str())["model"]["merges"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges_json]
    return RobertaTokenizer(vocab=vocab, merges=merges, model_max_length=max_length)


def t5_tokenizer(max_length: int = 77):
    """A hand-built Unigram T5Tokenizer (trained Unigram vocabularies vary by run)."""
    from transformers import T5Tokenizer

    pieces: list[tuple[str, float]] = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    pieces += [("\u2581" + w, -2.0 - i * 0.01) for i, w in enumerate(WORDS)]
    letters = "abcdefghijklmnopqrstuvwxyz0123456789,.-'"
    pieces += [("\u2581", -5.0)] + [(ch, -8.0) for ch in letters]
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=max_length)


def _eval(*modules):
    for m in modules:
        m.eval()


def build_tiny_audioldm2(folder: str | Path, loud: float = 3000.0) -> Path:
    """Save a tiny random AudioLDM2 pipeline (16 kHz, mono) to ``folder``."""
    import torch
    from diffusers import (
        AudioLDM2Pipeline,
        AudioLDM2ProjectionModel,
        AudioLDM2UNet2DConditionModel,
        AutoencoderKL,
        DDIMScheduler,
    )
    from transformers import (
        ClapAudioConfig,
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        ClapTextConfig,
        GPT2Config,
        GPT2Model,
        SpeechT5HifiGan,
        SpeechT5HifiGanConfig,
        T5Config,
        T5EncoderModel,
    )

    folder = Path(folder)
    torch.manual_seed(0)
    unet = AudioLDM2UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        norm_num_groups=4,
        sample_size=16,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=([None, 16, 32], [None, 16, 32]),
        attention_head_dim=2,
    )
    scheduler = DDIMScheduler(
        beta_start=0.0015, beta_end=0.0195, beta_schedule="scaled_linear",
        clip_sample=False, set_alpha_to_one=False,
    )
    vae = AutoencoderKL(
        block_out_channels=[8, 16], in_channels=1, out_channels=1, norm_num_groups=4,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"], latent_channels=4,
    )
    text_cfg = ClapTextConfig(
        bos_token_id=0, eos_token_id=2, pad_token_id=1, hidden_size=16, intermediate_size=24,
        num_attention_heads=2, num_hidden_layers=1, vocab_size=400, projection_dim=16,
        max_position_embeddings=80,
    )
    audio_cfg = ClapAudioConfig(
        spec_size=64, window_size=4, num_mel_bins=64, intermediate_size=24, depths=[1, 1],
        num_attention_heads=[2, 2], num_hidden_layers=2, hidden_size=32, projection_dim=16,
        patch_size=2, patch_stride=2, patch_embed_input_channels=4, patch_embeds_hidden_size=16,
    )
    clap = ClapModel(ClapConfig(text_config=text_cfg.to_dict(), audio_config=audio_cfg.to_dict(),
                                projection_dim=16))
    # 1 s of 48 kHz audio at this hop gives 50 frames: under the spec size of 64
    feature_extractor = ClapFeatureExtractor(feature_size=64, hop_length=960, max_length_s=1)
    t5 = T5EncoderModel(T5Config(vocab_size=128, d_model=32, d_ff=37, d_kv=8, num_heads=2,
                                 num_layers=1))
    gpt2_cfg = GPT2Config(n_embd=16, n_head=2, n_layer=1, vocab_size=50, bos_token_id=0,
                          eos_token_id=0, n_ctx=99, n_positions=99)
    gpt2 = GPT2Model(gpt2_cfg)
    gpt2.config.max_new_tokens = 4
    projection = AudioLDM2ProjectionModel(text_encoder_dim=16, text_encoder_1_dim=32,
                                          langauge_model_dim=16)
    vocoder = SpeechT5HifiGan(SpeechT5HifiGanConfig(
        model_in_dim=8, sampling_rate=16000, upsample_initial_channel=16,
        upsample_rates=[8, 8], upsample_kernel_sizes=[16, 16], resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]], normalize_before=False,
    ))
    with torch.no_grad():
        vocoder.conv_post.weight.mul_(loud)
    _eval(unet, vae, clap, t5, gpt2, projection, vocoder)
    pipe = AudioLDM2Pipeline(
        vae=vae, text_encoder=clap, text_encoder_2=t5, projection_model=projection,
        language_model=gpt2, tokenizer=roberta_tokenizer(77), tokenizer_2=t5_tokenizer(77),
        feature_extractor=feature_extractor, unet=unet, scheduler=scheduler, vocoder=vocoder,
    )
    pipe.save_pretrained(folder)
    return folder


def build_tiny_stable_audio(folder: str | Path) -> Path:
    """Save a tiny random Stable Audio pipeline (2 kHz stereo, 6 s per call) to ``folder``."""
    import torch
    from diffusers import (
        AutoencoderOobleck,
        CosineDPMSolverMultistepScheduler,
        StableAudioDiTModel,
        StableAudioPipeline,
        StableAudioProjectionModel,
    )
    from transformers import T5Config, T5EncoderModel

    folder = Path(folder)
    torch.manual_seed(0)
    rate, hop, seconds = 2000, 16, 6
    transformer = StableAudioDiTModel(
        sample_size=seconds * rate // hop, in_channels=3, num_layers=1, attention_head_dim=4,
        num_attention_heads=2, num_key_value_attention_heads=1, out_channels=3,
        cross_attention_dim=4, time_proj_dim=8, global_states_input_dim=8,
        cross_attention_input_dim=4,
    )
    scheduler = CosineDPMSolverMultistepScheduler(
        solver_order=2, prediction_type="v_prediction", sigma_data=1.0,
        sigma_schedule="exponential",
    )
    vae = AutoencoderOobleck(
        encoder_hidden_size=6, downsampling_ratios=[2, 8], decoder_channels=3,
        decoder_input_channels=3, audio_channels=2, channel_multiples=[2, 4], sampling_rate=rate,
    )
    t5 = T5EncoderModel(T5Config(vocab_size=128, d_model=8, d_ff=16, d_kv=4, num_heads=2,
                                 num_layers=1))
    projection = StableAudioProjectionModel(text_encoder_dim=8, conditioning_dim=4,
                                            min_value=0, max_value=seconds)
    _eval(transformer, vae, t5, projection)
    pipe = StableAudioPipeline(
        transformer=transformer, scheduler=scheduler, vae=vae, text_encoder=t5,
        tokenizer=t5_tokenizer(32), projection_model=projection,
    )
    pipe.save_pretrained(folder)
    return folder
