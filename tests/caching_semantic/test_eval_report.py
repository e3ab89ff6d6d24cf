"""evals/semantic_cache.py's report: the blind sets (E to P) are scored with the strict protocol's setting, never tuned
on."""

from evals.semantic_cache import GUARDS, HELD_OUT_SETS, report
from evals.semantic_cv import Scored, Setting, rates


def _pairs(name: str, paraphrase: float, trap: float, n: int = 20) -> list[Scored]:
    return [
        Scored(f"{name}-{i}", "paraphrase" if i % 2 else "negation", bool(i % 2),
               dict.fromkeys(GUARDS, paraphrase if i % 2 else trap))
        for i in range(n)
    ]  # fmt: skip


def test_the_blind_set_is_scored_with_the_setting_chosen_on_the_tuning_pairs_alone():
    blind = _pairs("E", paraphrase=0.92, trap=0.97)  # would pull the threshold above 0.97 if it were tuned on
    sets = {name: _pairs(name, paraphrase=0.95, trap=0.80) for name in ("dev", "B", "C", "D")}
    out = report({"toy": {**sets, "E": blind}})["toy"]
    assert list(HELD_OUT_SETS) == list("EFGHIJKLMNOP")
    assert out["strict on"]["chosen"] == {"guard": "on", "threshold": 0.95}
    alone = rates(blind, Setting("on", 0.95))
    assert (alone.true_hits, alone.wrong) == (0, 10)
    assert out["strict on E"]["rates"]["wrong"] == 10
    assert out["strict on"]["rates"]["wrong"] == 10  # B folds 2-4 and C serve no trap at 0.95; E's ten do
    assert not [key for key in out if key.startswith("E ") or key.endswith("-> E") or "+E" in key]
