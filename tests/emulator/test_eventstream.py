"""The event-stream encoder's frames decode with botocore's own parser, CRCs included."""

from __future__ import annotations

import json

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from langchain_bedrock_routing.emulator.eventstream import event_message, exception_message


def test_event_frames_round_trip_through_botocore():
    buffer = EventStreamBuffer()
    buffer.add_data(event_message("messageStart", {"role": "assistant"}))
    buffer.add_data(event_message("contentBlockDelta", {"delta": {"text": "héllo"}, "contentBlockIndex": 0}))
    messages = list(buffer)
    assert [m.headers[":event-type"] for m in messages] == ["messageStart", "contentBlockDelta"]
    assert all(m.headers[":message-type"] == "event" for m in messages)
    assert json.loads(messages[1].payload) == {"delta": {"text": "héllo"}, "contentBlockIndex": 0}


def test_exception_frame_carries_type_and_message():
    (message,) = list(_decode(exception_message("throttlingException", "slow down")))
    assert message.headers[":message-type"] == "exception"
    assert message.headers[":exception-type"] == "throttlingException"
    assert json.loads(message.payload) == {"message": "slow down"}


@pytest.mark.parametrize("offset", [5, 20, -2])
def test_corrupted_frame_fails_its_checksum(offset: int):
    frame = bytearray(event_message("messageStop", {"stopReason": "end_turn"}))
    frame[offset] ^= 0xFF
    with pytest.raises(ChecksumMismatch):
        list(_decode(bytes(frame)))


def _decode(data: bytes) -> EventStreamBuffer:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return buffer
