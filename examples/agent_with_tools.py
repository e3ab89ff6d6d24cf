"""Agent with tools: a LangChain tool-calling agent (langchain-classic AgentExecutor) on RoutedChatBedrock.

What it shows: with tools bound, the router only considers tool-capable models; each agent step (the
tool call, then the answer from the tool result) is routed on its own, and the stats count every step.
The two tools are local Python functions over made-up data.

Run offline (an in-process Bedrock emulator): .venv/bin/python examples/agent_with_tools.py
Against Amazon Bedrock: .venv/bin/python examples/agent_with_tools.py --live --region us-east-1
"""

from __future__ import annotations

import argparse

from _bedrock import add_arguments, bedrock
from langchain_classic.agents import AgentExecutor, create_tool_calling_agent
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.callbacks import get_bedrock_stats_callback

ORDERS = {"A-1001": "shipped on 3 March, arriving 6 March", "A-1002": "waiting for payment"}
PLANS = {"free": 0.0, "plus": 4.0, "team": 9.0}


@tool
def order_status(order_id: str) -> str:
    """Look up the delivery status of an order by its id, such as A-1001."""
    found = [f"order {oid} is {status}" for oid, status in ORDERS.items() if oid in order_id.upper()]
    return "; ".join(found) or f"no order with id {order_id}"


@tool
def plan_price(plan: str) -> str:
    """Monthly price in euros of an Orbit Notes plan: free, plus or team."""
    found = [
        f"the {name} plan costs {price:g} euros per month" for name, price in PLANS.items() if name in plan.lower()
    ]
    return "; ".join(found) or f"unknown plan {plan}"


class PrintRoutes(BaseCallbackHandler):
    """Prints the routing decision of every model call the agent makes."""

    def on_llm_end(self, response: LLMResult, **kwargs: object) -> None:
        message = response.generations[0][0].message  # type: ignore[attr-defined]
        routing = message.response_metadata.get("routing", {})
        calls = [c["name"] for c in message.tool_calls]
        print(f"   step: tier={routing.get('tier')} model={routing.get('model_id')} tool_calls={calls}")


PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "You help Orbit Notes customers. Use the tools."),
        ("human", "{input}"),
        ("placeholder", "{agent_scratchpad}"),
    ]
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args()
    with bedrock(args) as (where, aws):
        print(f"Bedrock: {where}")
        model = RoutedChatBedrock(**aws, preset="nova", max_tokens=300)
        tools = [order_status, plan_price]
        agent = AgentExecutor(agent=create_tool_calling_agent(model, tools, PROMPT), tools=tools, max_iterations=4)
        with get_bedrock_stats_callback() as stats:
            for question in ["What is the order status of order A-1001?", "What is the plan price of the team plan?"]:
                print(f"Q: {question}")
                result = agent.invoke({"input": question}, config={"callbacks": [PrintRoutes()]})
                output = result["output"]
                blocks = output if isinstance(output, list) else [{"text": output}]
                print("A: " + " ".join(b.get("text", "") for b in blocks))
        stats.report()


if __name__ == "__main__":
    main()
