"""Retrieval metrics of one ranking against the set of relevant images, and the robustness
scores RRQC and RRIU.

- AP: mean of precision@k over the ranks k of the relevant images found; relevant images never
  ranked count as 0 (so AP is 1 only when every relevant image comes first).
- R@k: |relevant in the top k| / min(k, |relevant|): 1 when the top k is as full of relevant
  images as it can be.
- nDCG@10: binary gains, log2 discount, divided by the ideal ranking's DCG.
- RRQC (Retrieval Robustness to Query Complexity) of a method: the area under its
  mAP-versus-level curve normalised by the best point's, i.e. the mean over the complexity
  levels of mAP(level) / max over levels of mAP. RRIU (to Image Uncertainty): the same over
  the uncertainty levels, all questions pooled. So 1 means no loss anywhere in the range (a
  flat curve), nothing exceeds 1, and 1 - RR is the share of its best mAP a method loses on
  average as queries get harder or detections noisier. Undefined (None) when every point has
  mAP 0. The difficulty axis is ordinal (levels, or evenly spaced u), so each point weighs
  the same.
- The earlier definition, kept beside it for one release (`robustness_to_easiest`): the mean
  over the harder points of mAP(d) / mAP(easiest). It rises above 1 when the easiest point is
  hurt most (crisp answers at u = 0.6 lose most on one-class questions, whose single
  detection the noise removes), which reads as "more robust than perfect".
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
    """RRQC / RRIU: mean of metric(d) / max metric over the points; 1 when nothing is lost."""
    values = list(by_difficulty.values())
    if len(values) < 2 or max(values) == 0:
        return None
    return sum(values) / len(values) / max(values)


def robustness_to_easiest(by_difficulty: dict[float, float]) -> float | None:
    """The earlier RRQC / RRIU: mean of metric(d) / metric(easiest d) over the harder points
    (can exceed 1)."""
    points = sorted(by_difficulty)
    if len(points) < 2 or by_difficulty[points[0]] == 0:
        return None
    return sum(by_difficulty[d] for d in points[1:]) / (len(points) - 1) / by_difficulty[points[0]]
