"""The drift report: JSON for machines, a self-contained HTML page (inline SVG histograms of
baseline and current, overlaid, per feature) for people. Both written atomically."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from feature_repo.core.atomic_files import write_files_atomically
from feature_repo.monitoring.drift import FeatureDrift

WIDTH, HEIGHT, BINS = 360, 120, 20


def write_reports(summary: dict, drifts: list[FeatureDrift], baseline: pd.DataFrame,
                  current: pd.DataFrame, folder: Path) -> tuple[Path, Path]:  # fmt: skip
    """``drift.json`` and ``drift.html`` in ``folder``."""
    report = {**summary, "features": [d.as_json() for d in drifts]}
    page = _page(summary, drifts, baseline, current)
    paths = folder / "drift.json", folder / "drift.html"
    write_files_atomically({
        paths[0]: lambda p: p.write_text(json.dumps(report, indent=2, default=str) + "\n"),
        paths[1]: lambda p: p.write_text(page),
    })  # fmt: skip
    return paths


def _page(summary: dict, drifts, baseline: pd.DataFrame, current: pd.DataFrame) -> str:
    sections = []
    for d in drifts:
        state = "drift" if d.drifted else ("warning" if d.warning else "ok")
        figures = ", ".join(f"{k} {v:.4g}" for k, v in (("PSI", d.psi), ("KS", d.ks_statistic),
                            ("JS", d.js_distance)) if v is not None)  # fmt: skip
        sections.append(
            f'<section class="feature {state}" id="{html.escape(d.feature)}">'
            f"<h2>{html.escape(d.feature)} <small>{state}</small></h2>"
            f"<p>{html.escape(figures)}; null rate {d.null_rate_change_points:+.1f} points"
            f"{'; ' + html.escape(', '.join(d.reasons)) if d.reasons else ''}</p>"
            f"{_chart(baseline[d.feature], current[d.feature], d.kind)}</section>"
        )
    title = f"Drift of {summary['service']}: {summary['since']} to {summary['until']}"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>" + html.escape(title) + "</title>"
        "<style>body{font-family:sans-serif;margin:2em}section{border-top:1px solid #ccc}"
        ".drift h2{color:#b00}.warning h2{color:#a60}svg{background:#fafafa}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(json.dumps(summary, default=str))}</p>"
        "<p><span style='color:#1f77b4'>&#9632; training set</span> "
        "<span style='color:#d62728'>&#9632; current</span></p>"
        + "".join(sections)
        + "</body></html>"
    )


def _chart(baseline: pd.Series, current: pd.Series, kind: str) -> str:
    """Two overlaid histograms (shares of non-missing values) as inline SVG."""
    base, now = baseline.dropna(), current.dropna()
    if kind == "numeric" and len(base):
        values = np.concatenate([base.to_numpy(float), now.to_numpy(float)])
        edges = np.histogram_bin_edges(values, bins=BINS)
        shares = [np.histogram(s.to_numpy(float), edges)[0] / max(len(s), 1) for s in (base, now)]
        labels = [f"{edges[0]:.3g}", f"{edges[-1]:.3g}"]
    else:
        categories = sorted(set(base.astype(str)) | set(now.astype(str)))[:30]
        shares = [s.astype(str).value_counts(normalize=True).reindex(categories, fill_value=0)
                  .to_numpy() for s in (base, now)]  # fmt: skip
        labels = [categories[0] if categories else "", categories[-1] if categories else ""]
    top = max(max(s.max() if len(s) else 0 for s in shares), 1e-9)
    width = WIDTH / max(len(shares[0]), 1)
    bars = []
    for colour, share in (("#1f77b4", shares[0]), ("#d62728", shares[1])):
        for i, value in enumerate(share):
            h = HEIGHT * value / top
            bars.append(f'<rect x="{i * width:.1f}" y="{HEIGHT - h:.1f}" width="{width:.1f}" '
                        f'height="{h:.1f}" fill="{colour}" fill-opacity="0.5"/>')  # fmt: skip
    return (f'<svg width="{WIDTH}" height="{HEIGHT + 14}" role="img">{"".join(bars)}'
            f'<text x="0" y="{HEIGHT + 12}" font-size="10">{html.escape(labels[0])}</text>'
            f'<text x="{WIDTH}" y="{HEIGHT + 12}" font-size="10" text-anchor="end">'
            f"{html.escape(labels[1])}</text></svg>")  # fmt: skip
