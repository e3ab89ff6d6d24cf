"""Security fixtures: a test-made CA and server certificate, a TLS-only redis-server, emulator-backed routers."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import shutil
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from langchain_bedrock_routing import HashingEmbeddings, RoutedChatBedrock, make_cache
from langchain_bedrock_routing.caching import CacheBase
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.testing import RedisServer
from langchain_bedrock_routing.testing.redis_server import RedisServerNotFoundError, find_redis_server

NOVA = {"simple": ["amazon.nova-micro-v1:0"], "medium": ["amazon.nova-lite-v1:0"], "complex": ["amazon.nova-pro-v1:0"]}
"""Cheap emulated tiers used by the security tests."""


@pytest.fixture
def router(emulator: BedrockEmulator) -> Callable[..., RoutedChatBedrock]:
    """A factory of routers on the emulator (Nova tiers unless ``tiers=`` is given)."""

    def make(**kwargs: object) -> RoutedChatBedrock:
        kwargs.setdefault("tiers", NOVA)
        return RoutedChatBedrock(endpoint_url=emulator.endpoint_url, region_name="us-east-1", **kwargs)  # type: ignore[arg-type]

    return make


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of a test CA and a server certificate for 127.0.0.1 / localhost signed by it."""

    ca_cert: Path
    server_cert: Path
    server_key: Path

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only this CA (hostname checked)."""
        return ssl.create_default_context(cafile=str(self.ca_cert))

    def server_args(self) -> tuple[str, ...]:
        """redis-server options for TLS with these files, clients not asked for certificates."""
        return (
            "--tls-cert-file", str(self.server_cert),
            "--tls-key-file", str(self.server_key),
            "--tls-ca-cert-file", str(self.ca_cert),
            "--tls-auth-clients", "no",
        )  # fmt: skip


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_tls_files(directory: Path) -> TlsFiles:
    """Create a self-signed CA and a server certificate (SAN 127.0.0.1, localhost) valid for one day."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("lbr test CA"))
        .issuer_name(_name("lbr test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # key_cert_sign, crl_sign
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    files.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.server_key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files


def _tls_binaries(workdir: Path) -> list[str]:
    """redis-server binaries that may have TLS: ``$REDIS_TLS_SERVER``, the usual one, Debian's.

    Debian's ``redis-tools`` package ships the server as ``/usr/bin/redis-check-rdb`` (Redis picks its
    role from the program name), so a ``redis-server`` link to it in ``workdir`` serves.
    """
    found = [os.environ.get("REDIS_TLS_SERVER"), shutil.which("redis-server"), "/usr/bin/redis-server"]
    with contextlib.suppress(RedisServerNotFoundError):
        found.append(find_redis_server())
    if os.access("/usr/bin/redis-check-rdb", os.X_OK):
        link = workdir / "redis-server"
        link.symlink_to("/usr/bin/redis-check-rdb")
        found.append(str(link))
    return list(dict.fromkeys(b for b in found if b and os.access(b, os.X_OK)))


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """The test CA and server certificate (made once per session)."""
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def tls_redis(tls_files: TlsFiles, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A TLS-only redis-server (>= 6) whose certificate is signed by the test CA; fails saying what to install."""
    tried: list[str] = []
    for binary in _tls_binaries(tmp_path_factory.mktemp("tls-bin")):
        server = RedisServer(binary=binary, tls_context=tls_files.client_context(), extra_args=tls_files.server_args())
        try:
            server.start()
        except RuntimeError as exc:
            server.close()
            tried.append(f"{binary}: {str(exc).splitlines()[-1]}")
            continue
        yield server
        server.close()
        return
    pytest.fail(
        "no redis-server with TLS support: set $REDIS_TLS_SERVER or `apt-get install redis-tools` "
        "(Debian's build has TLS). Tried: " + "; ".join(tried)
    )


CacheFactory = Callable[..., CacheBase]
BACKENDS = ["exact-memory", "exact-redis", "semantic-memory", "semantic-redis"]


@pytest.fixture(params=BACKENDS)
def make_any_cache(request: pytest.FixtureRequest) -> Iterator[CacheFactory]:
    """A factory of empty caches of one of the four kinds (exact/semantic, in process/on the session's Redis 8)."""
    made: list[CacheBase] = []
    kind, backend = str(request.param).split("-")

    def make(**kwargs: Any) -> CacheBase:
        if kind == "semantic":
            kwargs.setdefault("embeddings", HashingEmbeddings())
        url = request.getfixturevalue("redis_url") if backend == "redis" else None
        cache = make_cache(kind, redis_url=url, **kwargs)
        made.append(cache)
        return cache

    make.kind = kind  # type: ignore[attr-defined]
    yield make
    for cache in made:
        close = getattr(cache, "close", None)
        if close is not None:
            close()
