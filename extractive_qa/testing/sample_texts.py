"""
Passages about the Normans for the reader's tests: at `max_seq_length` 64 they make windows of several lengths (one
short, one that fits, one that needs several windows).

Usage example:
```python
from extractive_qa.testing.sample_texts import TEXTS

print([len(text) for text in TEXTS])
```
"""

TEXTS = [
    "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in France.",
    "Rollo, a Viking leader, agreed to swear fealty to King Charles III of West Francia in 911.",
    "Short text.",
    "The Duchy of Normandy, which they formed by treaty with the French crown, was a great fief of medieval France. "
    * 6,
]
