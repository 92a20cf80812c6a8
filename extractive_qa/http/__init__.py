"""
Serving over HTTP with hayhooks: the configuration (`config`), the ASGI guard (`guard`), the request and response
models (`models`), the served application (`application`), the application's own endpoints (`api`: info, upload,
feedback), the web page (`page`, `static/`), the MCP tools (`mcp_server`), the server (`server`) and the hayhooks
wrappers (`wrappers/`).
"""
