"""An SVG bar chart of benchmark ratios, written with the standard library only.

One bar per measure: the ratio rrdns/peer on a logarithmic axis, with the line at 1.0
that the targets are stated against, and a whisker over the ratio's 90 % interval. A bar is
green where its target is met, red where it is missed, amber at parity (the interval holds
the target's bound), grey where there is no target or no interval to judge it by.
"""

import math
from xml.sax.saxutils import escape

WIDTH, ROW, LEFT, RIGHT, TOP = 900, 44, 330, 70, 56
# A verdict read from a ratio alone ("met (ratio only)") is grey with the rest.
VERDICT_COLOURS = {"met": "#2e7d32", "parity": "#ef8f00", "missed": "#c62828", "missed (lost queries)": "#c62828"}
LO, HI = 0.1, 10.0  # axis range of the ratio (log scale)


def _x(ratio):
    r = min(max(ratio, LO), HI)
    frac = (math.log10(r) - math.log10(LO)) / (math.log10(HI) - math.log10(LO))
    return LEFT + frac * (WIDTH - LEFT - RIGHT)


def svg(title, bars):
    """bars: (label, peer, ratio, target, low, high, verdict), verdict as bench/stats.py gives it."""
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
    for i, (label, peer, ratio, target, low, high, verdict) in enumerate(bars):
        y = TOP + i * ROW
        colour = VERDICT_COLOURS.get(verdict, "#9e9e9e")
        x0, x1 = _x(1.0), _x(ratio if not math.isnan(ratio) else 1.0)
        left, w = min(x0, x1), max(abs(x1 - x0), 2)
        out.append(f'<text x="16" y="{y + 17}">{escape(label)}</text>')
        said = "no target" if target == "-" else f"target {target}: {verdict}"
        out.append(f'<text x="16" y="{y + 33}" fill="#666" font-size="11">rrdns/{escape(peer)}, {escape(said)}</text>')
        out.append(f'<rect x="{left:.1f}" y="{y + 6}" width="{w:.1f}" height="24" fill="{colour}"/>')
        tx = max(x0, x1) + 6
        if not (math.isnan(low) or math.isnan(high)):
            wl, wh = _x(low), _x(high)
            out.append(f'<line x1="{wl:.1f}" y1="{y + 18}" x2="{wh:.1f}" y2="{y + 18}" stroke="#222" stroke-width="1.5"/>')
            for wx in (wl, wh):
                out.append(f'<line x1="{wx:.1f}" y1="{y + 11}" x2="{wx:.1f}" y2="{y + 25}" stroke="#222" stroke-width="1.5"/>')
            tx = max(tx, wh + 6)
        out.append(f'<text x="{tx:.1f}" y="{y + 23}">{ratio:.2f}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
