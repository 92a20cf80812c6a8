"""The server's configuration: exposure, the API key, limits and CORS from the environment; plain hayhooks' limits."""

from __future__ import annotations

import re

import pytest

from extractive_qa.errors import InvalidSettings, UnsafeToServe
from extractive_qa.http.config import ServeConfig, check_plain_hayhooks, is_loopback

KEY = "k" * 24


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_exposure_follows_the_bind_address_and_eqa_exposed(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ServeConfig.from_env("127.0.0.1").exposed is False
    assert ServeConfig.from_env("0.0.0.0").exposed is True
    monkeypatch.setenv("EQA_EXPOSED", "1")
    assert ServeConfig.from_env("127.0.0.1").exposed is True
    monkeypatch.setenv("EQA_EXPOSED", "0")
    with pytest.raises(InvalidSettings, match="EQA_EXPOSED=0"):
        ServeConfig.from_env("0.0.0.0")
    monkeypatch.setenv("EQA_EXPOSED", "maybe")
    with pytest.raises(InvalidSettings, match="EQA_EXPOSED"):
        ServeConfig.from_env("127.0.0.1")


def test_limits_and_cors_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EQA_MAX_BODY_BYTES", "4096")
    monkeypatch.setenv("EQA_MAX_DOCUMENTS", "7")
    monkeypatch.setenv("EQA_MAX_CONCURRENT", "2")
    monkeypatch.setenv("EQA_MAX_QUEUE", "0")
    monkeypatch.setenv("EQA_QUEUE_TIMEOUT", "2.5")
    monkeypatch.setenv("EQA_CORS_ORIGINS", "https://a.example, https://b.example")
    config = ServeConfig.from_env("127.0.0.1")
    assert (config.max_body_bytes, config.max_documents, config.max_concurrent) == (4096, 7, 2)
    assert (config.max_queue, config.queue_timeout) == (0, 2.5)
    assert config.cors_origins == ("https://a.example", "https://b.example")
    monkeypatch.setenv("EQA_CORS_ORIGINS", "*")
    with pytest.raises(InvalidSettings, match="not '\\*'"):
        ServeConfig.from_env("127.0.0.1")
    monkeypatch.setenv("EQA_CORS_ORIGINS", "")
    monkeypatch.setenv("EQA_MAX_DOCUMENTS", "0")
    with pytest.raises(InvalidSettings, match="EQA_MAX_DOCUMENTS"):
        ServeConfig.from_env("127.0.0.1")
    monkeypatch.setenv("EQA_MAX_DOCUMENTS", "many")
    with pytest.raises(InvalidSettings, match="EQA_MAX_DOCUMENTS"):
        ServeConfig.from_env("127.0.0.1")


def test_an_exposed_server_needs_a_key_unless_anonymous_is_asked_for() -> None:
    with pytest.raises(InvalidSettings, match="EQA_API_KEY is not set"):
        ServeConfig(exposed=True).check_startup()
    ServeConfig(exposed=True, api_key=KEY).check_startup()
    ServeConfig(exposed=True, allow_anonymous=True).check_startup()
    ServeConfig(exposed=False).check_startup()
    with pytest.raises(InvalidSettings, match="at least 16"):
        ServeConfig(api_key="short")


def test_key_matching() -> None:
    config = ServeConfig(api_key=KEY)
    assert config.key_matches({"authorization": f"Bearer {KEY}"})
    assert config.key_matches({"authorization": f"bearer {KEY}"})
    assert config.key_matches({"x-api-key": KEY})
    assert not config.key_matches({"authorization": f"Basic {KEY}"})
    assert not config.key_matches({"authorization": f"Bearer {KEY}x"})
    assert not config.key_matches({"x-api-key": KEY[:-1]})
    assert not config.key_matches({})
    assert not config.key_matches(None)
    assert ServeConfig().key_matches(None)  # no key configured: nothing to check


def test_plain_hayhooks_is_refused_where_it_would_be_unsafe() -> None:
    check_plain_hayhooks(ServeConfig(host="127.0.0.1"))  # hayhooks' developer set-up
    with pytest.raises(UnsafeToServe, match=re.escape("bound to '0.0.0.0'")):
        check_plain_hayhooks(ServeConfig(host="0.0.0.0", exposed=True, api_key=KEY))
    with pytest.raises(UnsafeToServe, match="EQA_EXPOSED=1"):
        check_plain_hayhooks(ServeConfig(host="127.0.0.1", exposed=True, api_key=KEY))
    with pytest.raises(UnsafeToServe, match="cannot ask for it"):  # the key would not be checked
        check_plain_hayhooks(ServeConfig(host="127.0.0.1", api_key=KEY))
