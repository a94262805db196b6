"""An SVG bar chart of benchmark ratios, written with the standard library only.

One bar per measure: the ratio rrdns/peer on a logarithmic axis, with the line at 1.0
that the targets are stated against. A bar is green where its target is met, red where
it is not, grey where there is no target.
"""

import math
from xml.sax.saxutils import escape

WIDTH, ROW, LEFT, RIGHT, TOP = 900, 44, 330, 70, 56
LO, HI = 0.1, 10.0  # axis range of the ratio (log scale)


def _x(ratio):
    r = min(max(ratio, LO), HI)
    frac = (math.log10(r) - math.log10(LO)) / (math.log10(HI) - math.log10(LO))
    return LEFT + frac * (WIDTH - LEFT - RIGHT)


def _met(ratio, target):
    if target.startswith("<="):
        return ratio <= float(target[2:])
    if target.startswith(">="):
        return ratio >= float(target[2:])
    return None


def svg(title, bars):
    """bars: (label, peer, ratio, target) with target like '<= 1.0', '>= 1.0' or '-'."""
    height = TOP + ROW * len(bars) + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'font-family="sans-serif" font-size="13">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        f'<text x="16" y="26" font-size="16" font-weight="bold">{escape(title)}</text>',
    ]
    for tick in (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0):
        x = _x(tick)
        strong = tick == 1.0
        out.append(
            f'<line x1="{x:.1f}" y1="{TOP - 8}" x2="{x:.1f}" y2="{height - 34}" '
            f'stroke="{"#333" if strong else "#ddd"}" stroke-width="{2 if strong else 1}"/>'
        )
        out.append(f'<text x="{x:.1f}" y="{height - 16}" text-anchor="middle" fill="#555">{tick:g}</text>')
    for i, (label, peer, ratio, target) in enumerate(bars):
        y = TOP + i * ROW
        met = _met(ratio, target) if not math.isnan(ratio) else None
        colour = {True: "#2e7d32", False: "#c62828", None: "#9e9e9e"}[met]
        x0, x1 = _x(1.0), _x(ratio if not math.isnan(ratio) else 1.0)
        left, w = min(x0, x1), max(abs(x1 - x0), 2)
        out.append(f'<text x="16" y="{y + 17}">{escape(label)}</text>')
        out.append(f'<text x="16" y="{y + 33}" fill="#666" font-size="11">rrdns/{escape(peer)}, target {escape(target)}</text>')
        out.append(f'<rect x="{left:.1f}" y="{y + 6}" width="{w:.1f}" height="24" fill="{colour}"/>')
        tx = max(x0, x1) + 6
        out.append(f'<text x="{tx:.1f}" y="{y + 23}">{ratio:.2f}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
