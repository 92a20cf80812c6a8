"""
Haystack retrievers of the application, installed as `extractive_qa.components.retrievers`.

- `tantivy_bm25_retriever`: `TantivyBM25Retriever`, BM25 retrieval from a `TantivyDocumentStore`.
"""
