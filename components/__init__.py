"""
Our Haystack components, installed as `extractive_qa.components`: one component per module, each round-tripping
through YAML. Nothing here imports the application (`extractive_qa.*` outside this package).
"""
