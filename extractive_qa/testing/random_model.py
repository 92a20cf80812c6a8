"""Builds RoBERTa question-answering models with random weights, for tests and speed measurements.

A random-weight model of roberta-base shape costs exactly what deepset/roberta-base-squad2 costs to run, and
a tiny one exercises the RoBERTa code paths (byte-level BPE, no token type ids) in a second. The byte-level BPE
tokenizer is trained on local text with the `tokenizers` library, so nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

Size = Literal["tiny", "base"]

_SHAPES = {
    "tiny": {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64},
    "base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
}


def build_random_roberta(
    out_dir: str | Path, corpus: Iterable[str | Path], size: Size = "tiny", vocab_size: int = 8000, seed: int = 0
) -> Path:
    """
    Writes a RoBERTa question-answering model with random weights and a freshly trained byte-level BPE tokenizer.

    :param out_dir: The directory to write the model to (loadable with `AutoModelForQuestionAnswering`).
    :param corpus: Text files to train the tokenizer on.
    :param size: `"tiny"` for tests, `"base"` for the production model's shape (roberta-base: 12 layers, 768 wide).
    :param vocab_size: The tokenizer's vocabulary size (roberta-base has 50,265; the compute barely depends on it).
    :param seed: The random seed for the weights.
    :returns: The model directory.
    """
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from tokenizers.processors import RobertaProcessing
    from transformers import RobertaConfig, RobertaForQuestionAnswering, RobertaTokenizerFast

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer(add_prefix_space=False, trim_offsets=True)
    bpe.train(
        files=[str(p) for p in corpus],
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        show_progress=False,
    )
    bpe._tokenizer.post_processor = RobertaProcessing(
        ("</s>", bpe.token_to_id("</s>")), ("<s>", bpe.token_to_id("<s>")), trim_offsets=True
    )
    tokenizer = RobertaTokenizerFast(
        tokenizer_object=bpe._tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=512,
    )
    if tokenizer.vocab_size < 256:
        raise RuntimeError(f"the trained tokenizer has only {tokenizer.vocab_size} tokens")
    tokenizer.save_pretrained(str(out))
    config = RobertaConfig(
        vocab_size=tokenizer.vocab_size,
        max_position_embeddings=514,
        type_vocab_size=1,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **_SHAPES[size],
    )
    torch.manual_seed(seed)
    model = RobertaForQuestionAnswering(config)
    model.save_pretrained(str(out))
    return out
