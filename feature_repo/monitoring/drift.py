"""Per-feature drift statistics between a baseline (the training set) and a current sample.

- Numeric: PSI over ten bins cut at the baseline's deciles (an empty bin counts as 0.0001 of its
  side, the usual rule), and the two-sample Kolmogorov-Smirnov test (scipy).
- Categorical: the Jensen-Shannon distance (base 2, 0 to 1) between category frequencies (scipy).
- Every feature: the change of its null rate, in percentage points.

Default thresholds, from the references the issue names: PSI >= 0.2 is drift and >= 0.1 a warning
(the credit-scoring rule Hopsworks and NannyML quote); Jensen-Shannon >= 0.1 (Evidently's default
for categorical features); a null rate moved by >= 5 points; KS only with an effect, a statistic
>= 0.1 at p < 0.01, so that large samples do not alarm on trivia. Missing values are left out of
PSI, KS and JS (the null rate covers them).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp

EMPTY_BIN = 1e-4


@dataclass(frozen=True)
class Thresholds:
    psi_drift: float = 0.2
    psi_warn: float = 0.1
    js_drift: float = 0.1
    null_points: float = 5.0
    ks_statistic: float = 0.1
    ks_p_value: float = 0.01


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    kind: str  # numeric or categorical
    baseline_rows: int
    current_rows: int
    null_rate_change_points: float
    psi: float | None = None
    ks_statistic: float | None = None
    ks_p_value: float | None = None
    js_distance: float | None = None
    drifted: bool = False
    warning: bool = False
    reasons: tuple[str, ...] = ()

    def as_json(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


def psi(baseline: np.ndarray, current: np.ndarray) -> float:
    """Population stability index of ``current`` against ``baseline`` (decile bins of the baseline)."""
    edges = np.unique(np.quantile(baseline, np.linspace(0, 1, 11)))
    if len(edges) < 2:
        edges = np.array([edges[0], edges[0]])
    inner = edges[1:-1]
    expected = np.bincount(np.searchsorted(inner, baseline, side="right"), minlength=len(inner) + 1)
    actual = np.bincount(np.searchsorted(inner, current, side="right"), minlength=len(inner) + 1)
    e = np.maximum(expected / len(baseline), EMPTY_BIN)
    a = np.maximum(actual / len(current), EMPTY_BIN)
    return float(np.sum((a - e) * np.log(a / e)))


def js_distance(baseline: pd.Series, current: pd.Series) -> float:
    """Jensen-Shannon distance (base 2) between the category frequencies of two samples."""
    categories = sorted(set(baseline.unique()) | set(current.unique()))
    p = baseline.value_counts().reindex(categories, fill_value=0).to_numpy(dtype=float)
    q = current.value_counts().reindex(categories, fill_value=0).to_numpy(dtype=float)
    return float(jensenshannon(p / p.sum(), q / q.sum(), base=2))


def feature_drift(
    name: str, baseline: pd.Series, current: pd.Series, limits: Thresholds
) -> FeatureDrift:
    """The statistics of one feature and whether they cross ``limits``."""
    null_change = 100 * (current.isna().mean() - baseline.isna().mean()) if len(current) else 0.0
    reasons, warning = [], False
    if abs(null_change) >= limits.null_points:
        reasons.append(f"null rate {null_change:+.1f} points")
    base, now = baseline.dropna(), current.dropna()
    numeric = pd.api.types.is_numeric_dtype(baseline) and not pd.api.types.is_bool_dtype(baseline)
    facts: dict = {}
    if numeric and len(base) and len(now):
        b, c = base.to_numpy(dtype=float), now.to_numpy(dtype=float)
        facts["psi"] = psi(b, c)
        test = ks_2samp(b, c)
        facts["ks_statistic"], facts["ks_p_value"] = float(test.statistic), float(test.pvalue)
        if facts["psi"] >= limits.psi_drift:
            reasons.append(f"PSI {facts['psi']:.3f}")
        elif facts["psi"] >= limits.psi_warn:
            warning = True
        if facts["ks_statistic"] >= limits.ks_statistic and facts["ks_p_value"] < limits.ks_p_value:
            reasons.append(f"KS {facts['ks_statistic']:.3f}")
    elif not numeric and len(base) and len(now):
        facts["js_distance"] = js_distance(base.astype(str), now.astype(str))
        if facts["js_distance"] >= limits.js_drift:
            reasons.append(f"Jensen-Shannon {facts['js_distance']:.3f}")
    return FeatureDrift(name, "numeric" if numeric else "categorical", len(baseline), len(current),
                        float(null_change), drifted=bool(reasons), warning=warning,
                        reasons=tuple(reasons), **facts)  # fmt: skip


def drift_of(
    baseline: pd.DataFrame, current: pd.DataFrame, features: list[str], limits: Thresholds
) -> list[FeatureDrift]:
    return [feature_drift(f, baseline[f], current[f], limits) for f in features]
