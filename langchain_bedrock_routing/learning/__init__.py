"""Learning from outcomes: the outcomes format, recording app feedback, the shadow judge, training and calibrating
a router, and experiments that compare routing strategies on live traffic.

This package may import ``routing`` and ``caching``; neither imports it.
"""

from langchain_bedrock_routing.learning.calibrate import CalibrationTarget, CurvePoint
from langchain_bedrock_routing.learning.experiment import RoutingExperiment
from langchain_bedrock_routing.learning.outcomes import (
    Outcome,
    OutcomesFormatError,
    convert_pairs,
    from_pairs,
    load_outcomes,
    parse_outcome,
)
from langchain_bedrock_routing.learning.recorder import OutcomeLookupError, OutcomeRecorder
from langchain_bedrock_routing.learning.shadow import ShadowJudge
from langchain_bedrock_routing.learning.sinks import JsonlSink, OutcomeWriter, RedisSink
from langchain_bedrock_routing.learning.tiers import needed_tier, tier_of, tier_quality
from langchain_bedrock_routing.learning.train import TrainingReport, train_router

__all__ = [
    "CalibrationTarget",
    "CurvePoint",
    "JsonlSink",
    "Outcome",
    "OutcomeLookupError",
    "OutcomeRecorder",
    "OutcomeWriter",
    "OutcomesFormatError",
    "RedisSink",
    "RoutingExperiment",
    "ShadowJudge",
    "TrainingReport",
    "convert_pairs",
    "from_pairs",
    "load_outcomes",
    "needed_tier",
    "parse_outcome",
    "tier_of",
    "tier_quality",
    "train_router",
]
