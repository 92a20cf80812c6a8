"""
The extractive reader, as a small package:

- `component`: the Haystack component `ExtractiveQAReader` (parameters, YAML round trip, `run`);
- `windows`: (question, passage) windows and the padding-free batch arrays built from them;
- `spans`: span selection over logits, the no-answer evidence and close-call detection (plain numpy);
- `runtime`: running the model in a chosen precision (fp32, mixed bf16 on CPU, fp16 on CUDA), side by side on cores.
"""

from extractive_qa.components.reader.component import ExtractiveQAReader

__all__ = ["ExtractiveQAReader"]
