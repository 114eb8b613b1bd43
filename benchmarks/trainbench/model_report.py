"""Summaries and tables for compare_models.py: per configuration and framework, then the goals."""
import statistics

from .report import format_table

PEERS = ("torch", "keras-jax")
FLOOR = "matmul-floor"
PEER_RATIO_GOAL, FLOOR_RATIO_GOAL = 0.5, 1.15
PREDICT_GOAL, LOOP_GOAL = 2.0, 1.2
RSS_GROWTH_TOLERANCE_MB = 1.0


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _growth_per_epoch(rss_after_epoch):
    """MB per epoch from the end of epoch 2 to the end of the last (from epoch 1 with only 2 epochs, so
    that buffers made once when the warm-up epoch ends are not counted as growth when there are more)."""
    start = 1 if len(rss_after_epoch) >= 3 else 0
    return (rss_after_epoch[-1] - rss_after_epoch[start]) / (len(rss_after_epoch) - 1 - start)


def summarise(runs):
    """One framework's figures on one configuration, from its repeated runs (worker results)."""
    first = [r["epoch_seconds"][0] for r in runs]
    later = [t for r in runs for t in r["epoch_seconds"][1:]]
    skip = 1 if later else 0
    busy = [c / t for r in runs for c, t in list(zip(r["epoch_cpu_seconds"], r["epoch_seconds"]))[skip:] if t > 0]
    growth = [_growth_per_epoch(r["rss_after_epoch_mb"]) for r in runs if len(r["rss_after_epoch_mb"]) > 1]
    predict = _median([t for r in runs for t in r["predict_seconds"]])
    return {
        "version": runs[-1]["version"],
        "repeats": len(runs),
        "samples": runs[-1]["samples"],
        "first_epoch_s": _median(first),
        "epoch_s": _median(later) if later else _median(first),
        "epoch_s_min": min(later) if later else None,
        "epoch_s_max": max(later) if later else None,
        "cores_busy": _median(busy),
        "test_accuracy": _median([r["test_accuracy"] for r in runs]),
        "peak_rss_mb": max(r["peak_training_rss_mb"] for r in runs),
        "rss_growth_mb_per_epoch": _median(growth),
        "rss_growth_mb_per_epoch_max": max(growth) if growth else None,
        "predict_s": predict,
        "predict_samples_per_s": runs[-1]["predict_samples"] / predict if predict else None,
        "notes": runs[-1]["notes"],
    }


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def training_table(summaries):
    """summaries: {model: {framework: summary}}."""
    headers = ["model", "framework", "epoch 1 s", "s/epoch", "min-max s", "CPU/wall", "test acc",
               "peak RSS MB", "RSS growth MB/epoch", "predict images/s"]
    rows = []
    for model, by_framework in summaries.items():
        for name, s in by_framework.items():
            spread = "-" if s["epoch_s_min"] is None else f"{s['epoch_s_min']:.3f}-{s['epoch_s_max']:.3f}"
            rows.append([model, name, _fmt(s["first_epoch_s"], ".3f"), _fmt(s["epoch_s"], ".3f"), spread,
                         _fmt(s["cores_busy"], ".2f"), _fmt(s["test_accuracy"], ".4f"),
                         _fmt(s["peak_rss_mb"], ".0f"), _fmt(s["rss_growth_mb_per_epoch_max"], "+.1f"),
                         _fmt(s["predict_samples_per_s"], ",.0f")])
    return format_table(headers, rows)


def speed_goal(by_framework):
    """fastnn against its fastest peer and the dense matmul floor: a dict, or None without fastnn."""
    fast = by_framework.get("fastnn")
    if fast is None:
        return None
    peers = {k: v for k, v in by_framework.items() if k in PEERS}
    best = min(peers.items(), key=lambda kv: kv[1]["epoch_s"]) if peers else None
    floor = by_framework.get(FLOOR)
    peer_ratio = fast["epoch_s"] / best[1]["epoch_s"] if best else None
    floor_ratio = fast["epoch_s"] / floor["epoch_s"] if floor else None
    passed = (peer_ratio is not None and peer_ratio <= PEER_RATIO_GOAL) or \
             (floor_ratio is not None and floor_ratio <= FLOOR_RATIO_GOAL)
    measurable = peer_ratio is not None or floor_ratio is not None
    return {"fastnn_s": fast["epoch_s"], "fastest_peer": best[0] if best else None,
            "fastest_peer_s": best[1]["epoch_s"] if best else None, "peer_ratio": peer_ratio,
            "floor_s": floor["epoch_s"] if floor else None, "floor_ratio": floor_ratio,
            "verdict": ("PASS" if passed else "FAIL") if measurable else "n.a."}


def speed_table(summaries):
    headers = ["model", "fastnn s", "torch s", "keras-jax s", "floor s", "fastnn/fastest peer",
               "fastnn/floor", "goal"]
    rows = []
    for model, by_framework in summaries.items():
        goal = speed_goal(by_framework)
        if goal is None:
            continue
        cell = lambda name: _fmt(by_framework[name]["epoch_s"], ".3f") if name in by_framework else "-"
        peer = "-" if goal["peer_ratio"] is None else f"{goal['peer_ratio']:.2f} ({goal['fastest_peer']})"
        rows.append([model, cell("fastnn"), cell("torch"), cell("keras-jax"), cell(FLOOR), peer,
                     _fmt(goal["floor_ratio"], ".2f"), goal["verdict"]])
    return format_table(headers, rows)


def goal_lines(summaries):
    """PASS/FAIL/n.a. lines: speed per configuration, predict, RSS growth, the hand-written loop."""
    lines = []
    for model, by_framework in summaries.items():
        goal = speed_goal(by_framework)
        if goal is None:
            continue
        peer = ("no peer measured" if goal["peer_ratio"] is None else
                f"{goal['peer_ratio']:.2f} x fastest peer ({goal['fastest_peer']} {goal['fastest_peer_s']:.3f} s)")
        floor = ("floor not measured" if goal["floor_ratio"] is None else
                 f"{goal['floor_ratio']:.2f} x dense matmul floor ({goal['floor_s']:.3f} s)")
        lines.append(f"{goal['verdict']:4}  {model}: s/epoch <= {PEER_RATIO_GOAL} x fastest peer or <= "
                     f"{FLOOR_RATIO_GOAL} x floor: fastnn {goal['fastnn_s']:.3f} s = {peer}; {floor}")
    for model, by_framework in summaries.items():
        fast, torch = by_framework.get("fastnn"), by_framework.get("torch")
        if fast and torch and fast["predict_samples_per_s"] and torch["predict_samples_per_s"]:
            ratio = fast["predict_samples_per_s"] / torch["predict_samples_per_s"]
            lines.append(f"{'PASS' if ratio >= PREDICT_GOAL else 'FAIL':4}  {model}: predict throughput >= "
                         f"{PREDICT_GOAL:g} x PyTorch no_grad: {fast['predict_samples_per_s']:,.0f} vs "
                         f"{torch['predict_samples_per_s']:,.0f} images/s = {ratio:.2f} x")
    for model, by_framework in summaries.items():
        fast = by_framework.get("fastnn")
        if fast is None:
            continue
        growth = fast["rss_growth_mb_per_epoch_max"]
        if growth is None:
            lines.append(f"n.a.  {model}: fastnn RSS growth per epoch needs --epochs >= 2")
        else:
            lines.append(f"{'PASS' if growth <= RSS_GROWTH_TOLERANCE_MB else 'FAIL':4}  {model}: fastnn RSS does "
                         f"not grow between epochs (<= {RSS_GROWTH_TOLERANCE_MB:g} MB/epoch): worst {growth:+.1f} MB/epoch")
    for model, by_framework in summaries.items():
        fit = by_framework.get("fastnn")
        for name in ("fastnn-loop", "fastnn-loop-grads"):
            loop = by_framework.get(name)
            if loop is None or fit is None:
                continue
            ratio = loop["epoch_s"] / fit["epoch_s"]
            how = loop["notes"].get("step", "")
            error = loop["notes"].get("replay_error")
            line = (f"{'PASS' if ratio <= LOOP_GOAL else 'FAIL':4}  {model}: {name} ({how}) within {LOOP_GOAL:g} x "
                    f"fit's epoch: {loop['epoch_s']:.3f} s vs fit {fit['epoch_s']:.3f} s = {ratio:.2f} x")
            if error:
                line += f"\n      not replayed: {error}"
            lines.append(line)
    return lines


def blas_lines(summaries):
    """Which OpenBLAS kernel the floor ran on, per configuration (usually one line for all)."""
    seen = {}
    for model, by_framework in summaries.items():
        floor = by_framework.get(FLOOR)
        if floor is None:
            continue
        notes = floor["notes"]
        blas = notes.get("blas")
        if blas is None:
            text = notes.get("threadpoolctl", "unknown")
        else:
            text = "; ".join(f"{b['internal_api']} {b['version']} kernel {b['architecture']}, "
                             f"{b['num_threads']} thread(s)" for b in blas) or "no BLAS found by threadpoolctl"
        text += (f"; OPENBLAS_CORETYPE={notes.get('OPENBLAS_CORETYPE')}, "
                 f"OPENBLAS_L2_SIZE={notes.get('OPENBLAS_L2_SIZE')} in the floor's process")
        seen.setdefault(text, []).append(f"{model} ({notes.get('epoch_gflop', 0):.1f} GFLOP/epoch)")
    return [f"matmul floor: {text}: {', '.join(models)}" for text, models in seen.items()]
