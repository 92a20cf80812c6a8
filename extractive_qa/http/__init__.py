"""
Serving over HTTP with hayhooks: the configuration (`config`), the ASGI guard (`guard`), the request and response
models (`models`), the served application (`application`), the server (`server`) and the hayhooks wrappers
(`wrappers/`).
"""
