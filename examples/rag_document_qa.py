"""RAG document QA: retrieval over examples/data with a routed Bedrock model, a semantic cache and prompt caching.

What it shows: the Markdown files in examples/data are split into small chunks, embedded with
langchain-aws BedrockEmbeddings (Titan Text Embeddings V2) and stored in a vector store: a Redis 8
vector set (RedisVectorSetStore) when REDIS_URL is set, LangChain's InMemoryVectorStore otherwise.
An LCEL retrieval chain answers on RoutedChatBedrock with a semantic response cache (Redis when
REDIS_URL is set) and prompt_cache="auto". A batch of questions with repeats and paraphrases prints
each answer, its route, the response-cache result and Bedrock's prompt-cache write/read tokens,
then the stats report.

Why whole documents in the prompt (parent-document retrieval): small chunks match a question
precisely, but the prompt gets the whole documents those chunks come from, in file order. The
model sees each fact with its surroundings, and every question about the same document yields a
byte-identical system prompt of ~1,050 tokens: the stable prefix Bedrock's prompt cache needs
(identical bytes, at least the model's minimum: 1,000 tokens for Nova). So the first question on a
document writes the prompt cache (per model: Nova Micro and Nova Lite each write their own) and
later, different questions on it read it, at a quarter of the input price on Nova. Exact repeats and
paraphrases never reach Bedrock: the semantic response cache answers them. Retrieved chunks alone
would be a few hundred tokens that differ from question to question: cheaper per call, never
cached. With documents longer than these, use their sections as the parents.

Run offline (an in-process Bedrock emulator): .venv/bin/python examples/rag_document_qa.py
Against Amazon Bedrock: .venv/bin/python examples/rag_document_qa.py --live --region us-east-1
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from _bedrock import add_arguments, bedrock
from langchain_aws import BedrockEmbeddings
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore, VectorStore
from langchain_text_splitters import RecursiveCharacterTextSplitter

from langchain_bedrock_routing import (
    HashingEmbeddings,
    InMemorySemanticCache,
    RedisSemanticCache,
    RedisVectorSetStore,
    RoutedChatBedrock,
)
from langchain_bedrock_routing.callbacks import TokenUsage, get_bedrock_stats_callback
from langchain_bedrock_routing.catalog import estimate_tokens

DATA = Path(__file__).parent / "data"
INDEX = "lbr-example-rag:chunks"
QUESTIONS = [
    "How much does the Plus plan cost?",
    "Where is customer data stored?",
    "How much does the Plus plan cost?",
    "How much is the Plus plan?",
    "How is a Team workspace billed for new members?",
    "Where is customer data stored?",
    "Where does customer data get stored?",
    "Where do backups stay?",
    "How much notice is given before a price increase?",
    "How long are server logs kept?",
    "Explain how shared notebooks work and summarize what the version history keeps.",
]
PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "Answer the question using only these Orbit Notes documents.\n\n{context}"),
        ("human", "{question}"),
    ]
)


def load_documents() -> dict[str, str]:
    """The Markdown files of examples/data by file name: the parent documents."""
    return {p.name: p.read_text("utf-8") for p in sorted(DATA.glob("*.md"))}


def split(documents: dict[str, str]) -> list[Document]:
    """Small chunks for matching; each remembers its file, offset and a stable id (so re-runs overwrite)."""
    splitter = RecursiveCharacterTextSplitter(chunk_size=300, chunk_overlap=0, add_start_index=True)
    chunks = splitter.split_documents([Document(text, metadata={"source": name}) for name, text in documents.items()])
    for chunk in chunks:
        chunk.id = f"{chunk.metadata['source']}#{chunk.metadata['start_index']}"
    return chunks


def vector_store(embeddings: Embeddings, redis_url: str | None) -> VectorStore:
    """A Redis 8 vector set when ``redis_url`` is given, else LangChain's in-process store."""
    if redis_url:
        return RedisVectorSetStore(embeddings, redis_url=redis_url, index_name=INDEX)
    return InMemoryVectorStore(embeddings)


def parent_sources(chunks: list[Document]) -> list[str]:
    """The files the retrieved chunks come from, in file order (so equal sets give an equal prompt prefix)."""
    return sorted({chunk.metadata["source"] for chunk in chunks})


def with_context(documents: dict[str, str]) -> RunnableLambda[dict[str, Any], dict[str, Any]]:
    """``{sources, question}`` -> ``{context, question}`` with the whole text of each source file."""
    return RunnableLambda(
        lambda x: {"question": x["question"], "context": "\n\n".join(documents[s] for s in x["sources"])}
    )


def bedrock_usage(answer: AIMessage) -> TokenUsage | None:
    """Tokens Bedrock billed for this answer; ``None`` when the response cache answered (no Bedrock call)."""
    if (answer.response_metadata.get("cache") or {}).get("hit"):
        return None
    return TokenUsage.from_usage_metadata(answer.usage_metadata)


def prompt_cache_line(usage: TokenUsage | None) -> str:
    """Bedrock prompt-cache tokens of a call, or why there are none."""
    if usage is None:
        return "prompt_cache=- (no Bedrock call)"
    return f"prompt_cache_write={usage.cache_write} prompt_cache_read={usage.cache_read}"


def prompt_cache_summary(usages: list[TokenUsage]) -> str:
    """One line: how many calls wrote and read Bedrock's prompt cache, and how many tokens."""
    writes = [u.cache_write for u in usages if u.cache_write and not u.cache_read]
    reads = [u.cache_read for u in usages if u.cache_read]
    return (
        f"Bedrock prompt cache: {len(writes)} call(s) wrote {sum(writes):,} tokens, "
        f"{len(reads)} call(s) read {sum(reads):,} tokens, of {len(usages)} Bedrock calls"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL")
    cache = (
        RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url, namespace="lbr-example-rag")
        if redis_url
        else InMemorySemanticCache(HashingEmbeddings())
    )
    documents = load_documents()
    with bedrock(args) as (where, aws):
        store = vector_store(BedrockEmbeddings(model_id="amazon.titan-embed-text-v2:0", **aws), redis_url)
        chunks = split(documents)
        store.add_documents(chunks)
        kind = f"Redis vector set {INDEX!r}" if redis_url else "InMemoryVectorStore"
        print(f"Bedrock: {where}; semantic cache: {'Redis' if redis_url else 'in process'}")
        print(f"Vector store: {kind}, {len(chunks)} chunks of {len(documents)} documents")
        for name, text in documents.items():
            print(f"   {name}: ~{estimate_tokens(text):,} tokens")
        retriever = store.as_retriever(search_kwargs={"k": 3})
        model = RoutedChatBedrock(**aws, preset="nova", prompt_cache="auto", cache=cache, max_tokens=300)
        chain = {
            "sources": retriever | RunnableLambda(parent_sources),
            "question": RunnablePassthrough(),
        } | RunnablePassthrough.assign(answer=with_context(documents) | PROMPT | model)
        with get_bedrock_stats_callback() as stats:
            results = chain.batch(QUESTIONS, config={"max_concurrency": 1})
        usages = []
        for result in results:
            answer: AIMessage = result["answer"]
            routing, hit = answer.response_metadata["routing"], answer.response_metadata.get("cache") or {}
            usage = bedrock_usage(answer)
            usages += [usage] if usage else []
            print(f"Q: {result['question']}\nA: {answer.text}")
            print(f"   context: {', '.join(result['sources'])}")
            route = f"tier={routing['tier']} model={routing['model_id']}"
            cache_result = f"{hit['kind']} hit" if hit.get("hit") else "miss"
            print(f"   route: {route} cache={cache_result} {prompt_cache_line(usage)}")
        print(prompt_cache_summary(usages))
        stats.report()
    if isinstance(store, RedisVectorSetStore):
        store.clear()
        store.close()
    if redis_url:
        cache.clear()


if __name__ == "__main__":
    main()
