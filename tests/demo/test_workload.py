"""The document-QA workload: waves never hold two requests of one group; quick mode is a prefix of the groups."""

from __future__ import annotations

from langchain_core.messages import HumanMessage, SystemMessage

from langchain_bedrock_routing.demo.workload import handbook, handbook_text, load_workload


def test_waves_keep_each_group_once_and_preserve_order():
    workload = load_workload()
    waves = workload.waves()
    assert [r for wave in waves for r in wave] == list(workload.requests)
    for wave in waves:
        assert len(wave) <= workload.wave_size
        assert len({r.group for r in wave}) == len(wave)


def test_originals_come_before_their_repeats_and_paraphrases():
    workload = load_workload()
    seen: set[str] = set()
    for request in workload.requests:
        assert (request.kind == "original") == (request.group not in seen)
        seen.add(request.group)
    assert workload.count("repeat") > 0
    assert workload.count("paraphrase") > 0


def test_quick_workload_is_the_first_groups():
    full, quick = load_workload(), load_workload(quick=True)
    first_groups = [r.group for r in full.requests if r.kind == "original"][: quick.groups]
    assert [r.group for r in quick.requests if r.kind == "original"] == first_groups
    assert len(quick.requests) < len(full.requests)


def test_request_messages_carry_the_section_as_context():
    request = load_workload().requests[0]
    system, human = request.messages()
    assert isinstance(system, SystemMessage)
    assert isinstance(human, HumanMessage)
    assert handbook()[request.section] in system.content
    assert human.content == request.text
    assert all(f"## {title}" in handbook_text() for title in handbook())
