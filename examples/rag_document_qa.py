"""RAG document QA: retrieval over examples/data with a routed Bedrock model, a semantic cache and prompt caching.

What it shows: the Markdown files in examples/data are split, embedded with langchain-aws
BedrockEmbeddings (Titan Text Embeddings V2) and stored in LangChain's InMemoryVectorStore; an LCEL
retrieval chain answers on RoutedChatBedrock with a semantic response cache (Redis when REDIS_URL
is set) and prompt_cache="auto" for the retrieved context. A batch of questions with repeats and
paraphrases prints each answer, its route and cache result, then the stats report.

Run offline (an in-process Bedrock emulator): .venv/bin/python examples/rag_document_qa.py
Against Amazon Bedrock: .venv/bin/python examples/rag_document_qa.py --live --region us-east-1
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore
from langchain_text_splitters import RecursiveCharacterTextSplitter

from langchain_bedrock_routing.backend import add_backend_arguments, open_backend
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.callbacks import get_bedrock_stats_callback
from langchain_bedrock_routing.embeddings import HashingEmbeddings

DATA = Path(__file__).parent / "data"
QUESTIONS = [
    "How much does the Plus plan cost?",
    "Where is customer data stored?",
    "How much does the Plus plan cost?",
    "how much does the Plus plan cost per month?",
    "How long do deleted notes stay in the trash?",
    "Where is customer data stored?",
    "Explain how shared notebooks work and summarize what the version history keeps.",
    "How long do deleted notes stay in the trash before removal?",
]
PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "Answer the question using only this context from the Orbit Notes documentation.\n\n{context}"),
        ("human", "{question}"),
    ]
)


def load_chunks() -> list[Document]:
    """The Markdown files of examples/data, split into chunks that remember their file and offset."""
    docs = [Document(p.read_text("utf-8"), metadata={"source": p.name}) for p in sorted(DATA.glob("*.md"))]
    return RecursiveCharacterTextSplitter(chunk_size=600, chunk_overlap=0, add_start_index=True).split_documents(docs)


def format_context(docs: list[Document]) -> str:
    """Retrieved chunks in a fixed order (file, offset), so equal retrievals give an equal, cacheable prefix."""
    ordered = sorted(docs, key=lambda d: (d.metadata["source"], d.metadata["start_index"]))
    return "\n\n".join(f"[{d.metadata['source']}]\n{d.page_content}" for d in ordered)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_backend_arguments(parser)
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL")
    cache = (
        RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url, namespace="lbr-example-rag")
        if redis_url
        else InMemorySemanticCache(HashingEmbeddings())
    )
    with open_backend(live=args.live, region=args.region, profile=args.profile) as backend:
        print(f"Bedrock: {backend.label}; semantic cache: {'Redis' if redis_url else 'in process'}")
        store = InMemoryVectorStore(backend.embeddings())
        store.add_documents(load_chunks())
        retriever = store.as_retriever(search_kwargs={"k": 2})
        model = backend.routed(preset="nova", prompt_cache="auto", cache=cache, max_tokens=300)
        chain = (
            {"context": retriever | RunnableLambda(format_context), "question": RunnablePassthrough()} | PROMPT | model
        )
        with get_bedrock_stats_callback() as stats:
            answers = chain.batch(QUESTIONS, config={"max_concurrency": 1})
        for question, answer in zip(QUESTIONS, answers, strict=True):
            routing, hit = answer.response_metadata["routing"], answer.response_metadata.get("cache") or {}
            read = (answer.usage_metadata or {}).get("input_token_details", {}).get("cache_read", 0)
            cache_result = f"{hit['kind']} hit" if hit.get("hit") else "miss"
            print(f"Q: {question}\nA: {answer.text}")
            route = f"tier={routing['tier']} model={routing['model_id']}"
            print(f"   route: {route} cache={cache_result} prompt_cache_read={read}")
        stats.report()
    if redis_url:
        cache.clear()


if __name__ == "__main__":
    main()
