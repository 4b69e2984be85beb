"""The CEM for people: ``mind cem`` and ``uvm cem`` as text, and the series as a picture.

The text is the latest thought's components and CEM, their moving averages over the
window, the weights, and the missions so far. The picture (``plot``, matplotlib, the
``plot`` extra; PNG or SVG by the file's extension) draws the CEM and its moving average
boldly over the four components, with a vertical line where each mission started.
"""
from __future__ import annotations

import datetime

from uvm.cognition.cem import missions, series
from uvm.cognition.cem.metrics import COMPONENTS

COLOURS = {"rel": "#4c72b0", "cog": "#dd8452", "sol": "#55a868", "struc": "#8172b3"}


class PlotError(Exception):
    """The picture cannot be drawn (no matplotlib, an unknown format, nothing to draw)."""


def summary(root, window: int = series.WINDOW) -> dict:
    """The numbers ``lines`` shows, as plain data (``uvm cem --json``)."""
    found = series.records(root)
    out = {"thoughts": len(found), "window": window, "weights": series.weights(root),
           "latest": None, "moving_average": None,
           "missions": [{k: m[k] for k in ("id", "mission", "persona", "signal", "changed")}
                        for m in missions.missions(root)],
           "weight_changes": series.weight_log(root)}
    if found:
        last = found[-1]
        out["latest"] = {"id": last["id"], "origin": last["origin"], "cem": last["cem"],
                         **last["components"]}
        win = found[-window:]
        out["moving_average"] = {"cem": round(sum(r["cem"] for r in win) / len(win), 4),
                                 **{k: round(sum(r["components"][k] for r in win) / len(win), 4)
                                    for k in COMPONENTS}}
    return out


def lines(root, window: int = series.WINDOW) -> list[str]:
    s = summary(root, window)
    w = s["weights"]
    weights = "  ".join(f"w_{k} {w[k]:.2f}" for k in COMPONENTS)
    if not s["thoughts"]:
        return ["CEM: no thoughts recorded yet (ask one: mind ask: 'a question')",
                f"weights: {weights}"]
    latest, avg = s["latest"], s["moving_average"]

    def row(name: str, d: dict) -> str:
        return f"{name:<22} CEM {d['cem']:.2f}   " + "  ".join(f"H_{k} {d[k]:.2f}" for k in COMPONENTS)
    out = [f"CEM over {s['thoughts']} thought{'s' if s['thoughts'] != 1 else ''}",
           row(f"latest ({latest['origin']})", latest),
           row(f"moving average ({min(window, s['thoughts'])})", avg),
           f"weights: {weights}"]
    for m in s["missions"][-5:]:
        out.append(f"mission {m['id'][:15]}: {missions.describe(m)}")
    return out


def plot(root, path: str, window: int = series.WINDOW) -> str:
    """Draw the series into ``path`` (.png or .svg); answers the path."""
    fmt = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if fmt not in ("png", "svg"):
        raise PlotError(f"{path}: the picture is a .png or an .svg file")
    found = series.records(root)
    if not found:
        raise PlotError("no thoughts recorded yet: nothing to draw")
    try:
        import matplotlib
        matplotlib.use("Agg")  # files only: no display is needed or opened
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotError("drawing needs matplotlib: pip install 'uvm[plot]'") from None
    xs = list(range(1, len(found) + 1))
    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    try:
        for k in COMPONENTS:
            ax.plot(xs, [r["components"][k] for r in found], color=COLOURS[k], lw=1, alpha=0.55,
                    label=f"H_{k}")
        cems = [r["cem"] for r in found]
        ax.plot(xs, cems, color="black", lw=1.2, marker="o", ms=2.5, label="CEM")
        ax.plot(xs, series.moving_average(cems, window), color="black", lw=2.6, alpha=0.35,
                label=f"CEM, moving average ({window})")
        ids = [r["id"] for r in found]
        for m in missions.missions(root):
            after = next((i for i, t in enumerate(ids, 1) if t > m["id"]), None)
            if after is not None:
                ax.axvline(after - 0.5, color="#c44e52", ls="--", lw=1)
                ax.annotate(m["mission"], (after - 0.5, 1.0), xytext=(3, -12),
                            textcoords="offset points", color="#c44e52", fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_xlim(0.5, len(found) + 0.5)
        ax.set_xlabel("thought")
        ax.set_ylabel("value")
        first = datetime.datetime.fromtimestamp(found[0]["time"]).strftime("%Y-%m-%d %H:%M")
        ax.set_title(f"Composite Entropy Metric: {len(found)} thoughts from {first}")
        ax.grid(alpha=0.25)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8, ncol=6,
                  frameon=False)
        fig.tight_layout()
        fig.savefig(path, format=fmt)
    except OSError as e:
        raise PlotError(f"cannot write {path}: {e.strerror}") from None
    finally:
        plt.close(fig)
    return path
