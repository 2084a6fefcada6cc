"""Retrieval metrics of one ranking against the set of relevant images, and the robustness
scores RRQC and RRIU.

- AP: mean of precision@k over the ranks k of the relevant images found; relevant images never
  ranked count as 0 (so AP is 1 only when every relevant image comes first).
- R@k: |relevant in the top k| / min(k, |relevant|): 1 when the top k is as full of relevant
  images as it can be.
- nDCG@10: binary gains, log2 discount, divided by the ideal ranking's DCG.
- RRQC (Retrieval Robustness to Query Complexity) of a method: the mean, over the complexity
  levels above the easiest one measured, of mAP(level) / mAP(easiest level). RRIU (to Image
  Uncertainty): the same over the uncertainty levels above 0, of mAP(u) / mAP(0), all
  questions pooled. Both are the area under the metric-versus-difficulty curve normalised by
  the easiest point: 1 means no loss as queries get harder or detections noisier, 0 means
  nothing retrieved. Undefined (None) when the easiest point has mAP 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def average_precision(ranking: Sequence[str], relevant: set[str]) -> float:
    hits, total = 0, 0.0
    for k, image in enumerate(ranking, start=1):
        if image in relevant:
            hits += 1
            total += hits / k
    return total / len(relevant) if relevant else 0.0


def recall_at(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    return (
        sum(1 for image in ranking[:k] if image in relevant) / min(k, len(relevant))
        if relevant
        else 0.0
    )


def ndcg_at(ranking: Sequence[str], relevant: set[str], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, image in enumerate(ranking[:k]) if image in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def robustness(by_difficulty: dict[float, float]) -> float | None:
    """Mean of metric(d) / metric(easiest d) over the harder points (RRQC, RRIU)."""
    points = sorted(by_difficulty)
    if len(points) < 2 or by_difficulty[points[0]] == 0:
        return None
    return sum(by_difficulty[d] for d in points[1:]) / (len(points) - 1) / by_difficulty[points[0]]
