"""LCEL pipeline: prompt | RoutedChatBedrock | StrOutputParser, with batch and streaming.

What it shows: RoutedChatBedrock is a drop-in LangChain chat model, so a plain LCEL chain routes each
question to a Nova tier by complexity; batch() runs several questions, stream() prints chunks as they
arrive; the stats report shows which tiers answered and what it cost.

Run offline (an in-process Bedrock emulator): .venv/bin/python examples/lcel_pipeline.py
Against Amazon Bedrock: .venv/bin/python examples/lcel_pipeline.py --live --region us-east-1
"""

from __future__ import annotations

import argparse

from _bedrock import add_arguments, bedrock
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.callbacks import get_bedrock_stats_callback

PROMPT = ChatPromptTemplate.from_messages(
    [("system", "You are a concise assistant. Answer in two sentences at most."), ("human", "{question}")]
)
QUESTIONS = [
    "What is 12 * 7?",
    "Explain why caching LLM responses saves money and when it can return a wrong answer.",
    "Compare exact and semantic caching:\n1. How does each find a hit?\n2. Which traps must a semantic cache avoid?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args()
    with bedrock(args) as (where, aws):
        print(f"Bedrock: {where}")
        chain = PROMPT | RoutedChatBedrock(**aws, preset="nova", max_tokens=200) | StrOutputParser()
        with get_bedrock_stats_callback() as stats:
            for question, answer in zip(QUESTIONS, chain.batch([{"question": q} for q in QUESTIONS]), strict=True):
                print(f"batch Q: {question!r}\n      A: {answer}")
            print("stream: ", end="", flush=True)
            chunks = 0
            for chunk in chain.stream({"question": "What is a prompt router on Amazon Bedrock?"}):
                print(chunk, end="", flush=True)
                chunks += 1
            print(f"\nstreamed {chunks} chunks")
        stats.report()


if __name__ == "__main__":
    main()
