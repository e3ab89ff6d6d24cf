"""The semantic cache's second stage (caching/guard_align.py): paraphrases line up, minimal edits need a margin, and
negative words are refused. Examples are written for this test, in domains none of the labelled sets use."""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources

import pytest
from langchain_core.outputs import Generation

from evals.minilm_embeddings import MiniLMEmbeddings
from langchain_bedrock_routing.caching.guard import alignment, near_miss_reason
from langchain_bedrock_routing.caching.guard_align import EDIT_MARGIN, base
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache

PARAPHRASES = [
    ("How can I enable dark mode?", "How do I turn on dark mode?"),  # a listed phrase
    ("Which lake in Africa is the largest?", "What is the biggest lake in Africa?"),  # synonym, reordering
    ("Who is the author of Moby Dick?", "Who wrote Moby Dick?"),  # irregular form in a synonym group
    ("How is a crocodile different from an alligator?", "What is the difference between a crocodile and an alligator?"),
    ("Which planet is the hottest?", "What is the hottest planet?"),
    ("What's the best way to descale a kettle?", "How do I descale a kettle?"),  # framing words
    ("Which composer wrote the Four Seasons?", "Who wrote the Four Seasons?"),  # a head noun after "which"
    ("How can I purchase concert tickets online?", "How do I buy concert tickets online?"),
]

EDITS = [
    ("How do I bake bread in a cast iron pot?", "How do I bake bread?"),  # scope: words added on one side
    ("How many players are on a hockey team?", "How many players are on a baseball team?"),  # another entity
    ("What are the long-term effects of caffeine?", "What are the effects of caffeine?"),
    ("How do I sharpen a chisel?", "How do I polish a chisel?"),  # another action
]

TRAPS = [  # the guard refuses these outright, whatever the score
    ("Should I avoid coffee before a run?", "Should I drink coffee before a run?", "negative words differ"),
    ("Is it unsafe to fly in the third trimester?", "Is it safe to fly in the third trimester?", "negated word"),
    ("Is this syrup sugar-free?", "Is this syrup sugar?", "negated word"),
    ("Why did the upload fail?", "Why did the upload finish?", "negative words differ"),
    ("Is 12 volts enough for this pump?", "Is 24 volts enough for this pump?", "numbers differ"),
    ("How do I convert pounds to kilograms?", "How do I convert kilograms to pounds?", "swapped"),
    ("How tall is Mount Kenya?", "How tall is Mount Rainier?", "named entities differ"),
    ("Can I prune roses in winter?", "Can I not prune roses in winter?", "negation differs"),
    ("Can I swap rice for quinoa in this salad?", "Can I swap quinoa for rice in this salad?", "neighbours swapped"),
    ("How many grams are in an ounce?", "How many ounces are in a gram?", "neighbours swapped"),
    ("What are the benefits and risks of fasting?", "What are the benefits of fasting?", "items added with 'and'"),
    ("Should I repaint the fence or the gate first?", "Should I repaint the fence first?", "items added with 'or'"),
]


@pytest.mark.parametrize(("query", "cached"), PARAPHRASES)
def test_paraphrases_line_up_and_need_no_margin(query: str, cached: str):
    assert alignment(query, cached).margin == 0.0, alignment(query, cached)
    assert near_miss_reason(query, cached) is None


@pytest.mark.parametrize(("query", "cached"), EDITS)
def test_a_minimal_edit_needs_the_edit_margin(query: str, cached: str):
    assert alignment(query, cached).margin == EDIT_MARGIN, alignment(query, cached)


@pytest.mark.parametrize(
    ("query", "cached"),
    [
        ("Which approvals does a refund need?", "Which approvals are needed for a refund?"),  # a light word, inflected
        ("Which badge do new staff get on day one?", "Which badge do new staff receive on day one?"),  # light synonym
    ],
)
def test_a_light_word_in_any_form_explains_its_counterpart(query: str, cached: str):
    """Regression: a framing word was dropped on one side only, so its other form or synonym stayed unexplained."""
    assert alignment(query, cached).margin == 0.0


def test_a_free_rewording_needs_no_margin():
    found = alignment("How fast does sound travel through water?", "What is the speed of sound in water?")
    assert (found.query_only, found.cached_only) == (("fast", "travel"), ("speed",))
    assert found.margin == 0.0


@pytest.mark.parametrize(("query", "cached", "reason"), TRAPS)
def test_each_trap_kind_is_refused_by_the_guard(query: str, cached: str, reason: str):
    found = near_miss_reason(query, cached)
    assert found is not None
    assert reason in found
    assert near_miss_reason(cached, query) is not None  # in both directions


@pytest.mark.parametrize(
    ("query", "cached"),
    [
        ("What is the difference between TCP and UDP?", "What is the difference between UDP and TCP?"),
        ("How do I read a JSON file in Go?", "How do I read a Go JSON file?"),  # neighbours, nothing between
        ("What is the best lens for portraits and landscapes?", "What is the best lens for landscapes and portraits?"),
    ],
)
def test_neighbours_swapped_across_a_connector_or_nothing_are_the_same_question(query: str, cached: str):
    assert near_miss_reason(query, cached) is None
    assert near_miss_reason(cached, query) is None


@pytest.mark.parametrize(
    ("query", "cached"),
    [
        ("In your opinion, which chess opening is best?", "Which chess opening is best?"),
        ("How do I sort the items of a list in Lua?", "How do I sort a list in Lua?"),
        ("What role does ozone play in the atmosphere?", "What is the role of ozone in the atmosphere?"),
    ],
)
def test_framing_words_added_on_one_side_need_no_margin(query: str, cached: str):
    assert alignment(query, cached).margin == 0.0, alignment(query, cached)
    assert near_miss_reason(query, cached) is None


def test_the_same_number_of_negative_words_is_no_trap():
    assert near_miss_reason("How can I stop my dog barking?", "How do I prevent my dog from barking?") is None


@pytest.mark.parametrize(
    ("word", "expected"), [("differences", "differ"), ("different", "differ"), ("summarize", "summar"), ("cups", "cup")]
)
def test_base_strips_inflections_and_common_derivations(word: str, expected: str):
    assert base(word) == expected


def test_the_lexicon_states_its_source_and_its_synonym_groups_are_disjoint():
    raw = json.loads(
        resources.files("langchain_bedrock_routing.caching").joinpath("paraphrase_lexicon.json").read_text("utf-8")
    )
    assert "Hand-written" in raw["_source"]
    words = Counter(word for group in raw["synonyms"] for word in group)
    assert [w for w, n in words.items() if n > 1] == []
    everything = [*words, *raw["light_words"], *raw["negative_words"], *raw["phrases"], *raw["phrases"].values()]
    assert all(word == word.lower() for word in everything)


def test_the_cache_serves_a_paraphrase_below_the_edit_margin_and_refuses_the_edit():
    """With a real embedding model (MiniLM: paraphrase 0.981, edit 0.946), at 0.9 only the paraphrase is served."""
    cached = "What is the biggest lake in Africa?"
    paraphrase, edit = "Which lake in Africa is the largest?", "What is the biggest salt lake in Africa?"
    cache = InMemorySemanticCache(MiniLMEmbeddings(), similarity_threshold=0.9)
    cache.update(cached, "llm", [Generation(text="Lake Victoria")])
    unguarded = InMemorySemanticCache(MiniLMEmbeddings(), similarity_threshold=0.9, guard=False)
    unguarded.update(cached, "llm", [Generation(text="Lake Victoria")])
    assert unguarded.lookup(edit, "llm") is not None  # the embedding alone would serve the edit
    assert cache.lookup(paraphrase, "llm") is not None
    assert cache.lookup(edit, "llm") is None
    assert cache.guard_rejections == 1
