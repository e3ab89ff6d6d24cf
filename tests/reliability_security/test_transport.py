"""Redis transport security: TLS with a test-made CA, AUTH passwords and least-privilege ACL users.

What a user can expect: a cache that cannot authenticate or verify the server never fails a request
and never falls back to plaintext; it serves counted misses and logs the cause (never the password).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from langchain_bedrock_routing import HashingEmbeddings, RedisCache, RedisSemanticCache, RoutedChatBedrock, make_cache
from langchain_bedrock_routing.caching import CacheBase
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.testing import RedisServer

from .conftest import TlsFiles

QUESTION = "What is the boiling point of water at sea level?"
PASSWORD = "s3cret-Pa55"


def _with_ca(url: str, tls_files: TlsFiles) -> str:
    return f"{url}?ssl_ca_certs={quote(str(tls_files.ca_cert))}"


def _make(kind: str, url: str) -> CacheBase:
    if kind == "exact":
        return RedisCache(redis_url=url)
    return RedisSemanticCache(HashingEmbeddings(), redis_url=url)


def _ask_twice(llm: RoutedChatBedrock, cache: CacheBase) -> list[bool]:
    """Invoke the same question twice with ``cache`` set; whether each answer was a cache hit."""
    from langchain_core.globals import set_llm_cache

    set_llm_cache(cache)
    return [bool(llm.invoke(QUESTION).response_metadata.get("cache", {}).get("hit")) for _ in range(2)]


def test_rediss_with_the_test_ca_caches_over_tls(
    tls_redis: RedisServer,
    tls_files: TlsFiles,
    router: Callable[..., RoutedChatBedrock],
    emulator: BedrockEmulator,
):
    # Debian's TLS build is Redis 7 (no vector sets), so this is RedisCache; both caches share RedisConnection.
    cache = RedisCache(redis_url=_with_ca(tls_redis.url, tls_files))
    assert tls_redis.url.startswith("rediss://")
    assert _ask_twice(router(), cache) == [False, True]
    assert len(emulator.requests) == 1
    assert cache.stats.errors == 0
    client = tls_redis.client(ssl=True, ssl_ca_certs=str(tls_files.ca_cert))
    assert client.dbsize() > 0
    client.close()
    cache.close()


async def test_async_lookups_go_over_tls_too(tls_redis: RedisServer, tls_files: TlsFiles):
    cache = RedisCache(redis_url=_with_ca(tls_redis.url, tls_files), namespace="tlsasync")
    from langchain_core.outputs import Generation

    await cache.aupdate("prompt", "llm", [Generation(text="answer")])
    hit = await cache.alookup("prompt", "llm")
    assert hit is not None
    assert hit[0].text == "answer"
    assert cache.stats.errors == 0
    await cache.aclose()


def test_plaintext_client_cannot_talk_to_the_tls_port(tls_redis: RedisServer):
    plain = redis.Redis(host=tls_redis.host, port=tls_redis.port, socket_timeout=1, retry=Retry(NoBackoff(), 0))
    with pytest.raises(redis.ConnectionError):
        plain.ping()
    plain.close()


def test_an_untrusted_server_certificate_is_a_counted_miss_not_a_plaintext_fallback(
    tls_redis: RedisServer,
    router: Callable[..., RoutedChatBedrock],
    caplog: pytest.LogCaptureFixture,
):
    cache = RedisCache(redis_url=tls_redis.url)  # system CAs only: the test CA is not trusted
    with caplog.at_level(logging.WARNING, logger="langchain_bedrock_routing"):
        assert _ask_twice(router(), cache) == [False, False]
    assert cache.stats.error_misses >= 1
    assert cache.stats.stores == 0
    assert "certificate verify failed" in caplog.text.lower()


def test_plain_redis_url_against_a_tls_port_is_a_counted_miss(
    tls_redis: RedisServer, router: Callable[..., RoutedChatBedrock]
):
    cache = RedisCache(redis_url=tls_redis.url.replace("rediss://", "redis://"))
    assert _ask_twice(router(), cache) == [False, False]
    assert cache.stats.errors >= 1
    assert cache.stats.hits == 0


@pytest.fixture(scope="module")
def auth_redis() -> Iterator[RedisServer]:
    """A redis-server with ``requirepass`` and three ACL users: one limited to ``lbr:*`` keys, the commands the
    caches use (scripts included) and the near cache's invalidation channel, one the same without scripts and the
    near cache's commands, one limited to ``other:*`` keys."""
    with RedisServer(extra_args=("--requirepass", PASSWORD)) as server:
        admin = server.client(password=PASSWORD)
        cache_commands = [
            "+get",
            "+set",
            "+mget",
            "+unlink",
            "+scan",
            "+vadd",
            "+vsim",
            "+vrem",
            "+vcard",
            "+vinfo",
            "+zadd",
            "+zrem",
            "+zcard",
            "+zpopmin",
            "+pexpire",
            "+ping",
            "+hello",
            "+client|setinfo",
        ]
        scripts_and_near_cache = ["+evalsha", "+eval", "+client|id", "+client|tracking", "+subscribe",
                                  "&__redis__:invalidate"]  # fmt: skip
        admin.execute_command(
            "ACL", "SETUSER", "cacher", "on", ">cacher-pw", "~lbr:*", "resetchannels", "-@all", *cache_commands,
            *scripts_and_near_cache,
        )  # fmt: skip
        admin.execute_command(
            "ACL", "SETUSER", "untracked", "on", ">untracked-pw", "~lbr:*", "resetchannels", "-@all", *cache_commands
        )
        admin.execute_command("ACL", "SETUSER", "stranger", "on", ">stranger-pw", "~other:*", "-@all", *cache_commands)
        admin.close()
        yield server


@pytest.fixture
def auth_server(auth_redis: RedisServer) -> RedisServer:
    admin = auth_redis.client(password=PASSWORD)
    admin.flushall()
    admin.close()
    return auth_redis


def _url(server: RedisServer, user: str, password: str) -> str:
    return f"redis://{user}:{quote(password)}@{server.host}:{server.port}/0"


@pytest.mark.parametrize("kind", ["exact", "semantic"])
def test_password_and_least_privilege_acl_user_work(
    kind: str, auth_server: RedisServer, router: Callable[..., RoutedChatBedrock]
):
    for url in (_url(auth_server, "", PASSWORD), _url(auth_server, "cacher", "cacher-pw")):
        cache = _make(kind, url)
        assert _ask_twice(router(), cache) == [False, True], url
        assert cache.stats.errors == 0
        cache.clear()  # SCAN + UNLINK only: no FLUSHDB, no KEYS
        cache.close()  # type: ignore[attr-defined]
    admin = auth_server.client(password=PASSWORD)
    assert admin.dbsize() == 0
    admin.close()


def test_the_near_cache_runs_with_least_privileges_and_is_off_without_them(
    auth_server: RedisServer, router: Callable[..., RoutedChatBedrock], caplog: pytest.LogCaptureFixture
):
    tracked = RedisCache(_url(auth_server, "cacher", "cacher-pw"))
    untracked = RedisCache(_url(auth_server, "untracked", "untracked-pw"))
    assert tracked.near_cache is not None
    assert untracked.near_cache is not None
    assert tracked.near_cache.wait_live(5.0)
    assert not untracked.near_cache.wait_live(0.5)
    assert "NOPERM" in caplog.text or "permission" in caplog.text.lower()
    assert "untracked-pw" not in caplog.text
    for cache in (tracked, untracked):
        assert _ask_twice(router(), cache) == [False, True]
        assert cache.stats.errors == 0
        cache.clear()
        cache.close()


def test_make_cache_reads_credentials_from_redis_url(
    auth_server: RedisServer, monkeypatch: pytest.MonkeyPatch, router: Callable[..., RoutedChatBedrock]
):
    monkeypatch.setenv("REDIS_URL", _url(auth_server, "cacher", "cacher-pw"))
    cache = make_cache("exact")
    assert isinstance(cache, RedisCache)
    assert _ask_twice(router(), cache) == [False, True]


@pytest.mark.parametrize("kind", ["exact", "semantic"])
@pytest.mark.parametrize(
    ("user", "password", "problem"),
    [
        ("", "wrong-password", "AuthenticationError"),
        ("cacher", "wrong-password", "AuthenticationError"),
        ("", "", "AuthenticationError"),  # no password at all: NOAUTH
        ("stranger", "stranger-pw", "NoPermissionError"),  # a user without access to lbr:* keys
    ],
)
def test_wrong_credentials_are_counted_misses_logged_without_the_password(
    kind: str,
    user: str,
    password: str,
    problem: str,
    auth_server: RedisServer,
    router: Callable[..., RoutedChatBedrock],
    emulator: BedrockEmulator,
    caplog: pytest.LogCaptureFixture,
):
    url = _url(auth_server, user, password) if password else f"redis://{auth_server.host}:{auth_server.port}/0"
    cache = _make(kind, url)
    with caplog.at_level(logging.DEBUG):
        answers = _ask_twice(router(), cache)
    assert answers == [False, False]  # every request answered by the model, none failed
    assert len(emulator.requests) == 2
    assert cache.stats.errors >= 1
    assert cache.stats.stores == 0
    assert problem in caplog.text
    assert "wrong-password" not in caplog.text
    assert "stranger-pw" not in caplog.text
    admin = auth_server.client(password=PASSWORD)
    assert admin.dbsize() == 0
    admin.close()
    cache.close()  # type: ignore[attr-defined]
