"""langchain-aws's integration tests at the installed version, taken from its PyPI sdist (MIT licensed).

The sdist is fetched once with ``pip download`` (PyPI only) and its ``tests/`` tree kept in a cache directory.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import version
from pathlib import Path

CACHE = Path.home() / ".cache" / "langchain-bedrock-routing"
SELECTION = (
    "tests/integration_tests/chat_models/test_bedrock_converse.py",
    "tests/integration_tests/chat_models/test_standard.py::TestBedrockUseConverseStandard",
    "tests/integration_tests/embeddings/test_bedrock_embeddings.py",
    "tests/integration_tests/embeddings/test_bedrock_multimodal.py",
)
"""The Converse chat-model and embeddings tests, as pytest node ids relative to the sdist root."""
INVOKE_SELECTION = (
    "tests/integration_tests/chat_models/test_standard.py::TestBedrockStandard",
    "tests/integration_tests/chat_models/test_bedrock.py",
    "tests/integration_tests/llms/test_bedrock.py",
)
"""The InvokeModel chat tests (``ChatBedrock`` / ``BedrockLLM`` with each family's native body: Claude, Llama,
Mistral, DeepSeek ...), measured on request."""


def installed_version() -> str:
    """The installed langchain-aws version."""
    return version("langchain-aws")


def sdist_root(explicit: Path | None = None) -> Path:
    """The unpacked sdist directory holding ``tests/``: ``explicit``, else the cache, else downloaded into it."""
    if explicit is not None:
        if not (explicit / "tests" / "integration_tests").is_dir():
            raise FileNotFoundError(f"{explicit} has no tests/integration_tests (pass an unpacked langchain-aws sdist)")
        return explicit
    root = CACHE / f"langchain_aws-{installed_version()}"
    if not (root / "tests" / "integration_tests").is_dir():
        _download(root)
    return root


def _download(root: Path) -> None:
    spec = f"langchain-aws=={installed_version()}"
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps", spec, "-d", tmp]
        subprocess.run(command, check=True)
        archive = next(Path(tmp).glob("*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        unpacked = next(p for p in Path(tmp).iterdir() if p.is_dir())
        root.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(unpacked, root)
