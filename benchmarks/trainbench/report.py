"""Summaries of the worker results and the printed tables."""
import statistics

from .workload import predict_flops, training_flops

MB = 1024 * 1024


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(runs, peak_gflops):
    """Per-framework figures from its repeated runs (a list of worker results)."""
    first = [r["epoch_seconds"][0] for r in runs]
    later = [t for r in runs for t in r["epoch_seconds"][1:]]
    skip = 1 if later else 0
    cores_busy = [c / t for r in runs
                  for c, t in list(zip(r["epoch_cpu_seconds"], r["epoch_seconds"]))[skip:]]
    epoch = _median(later) if later else _median(first)
    n = 60000
    growth = [(r["rss_after_epoch_mb"][-1] - r["rss_after_epoch_mb"][0]) / (len(r["rss_after_epoch_mb"]) - 1)
              for r in runs if len(r["rss_after_epoch_mb"]) > 1]
    predict = _median([t for r in runs for t in r["predict_seconds"]])
    samples = runs[0]["predict_samples"]
    gflops = training_flops(n) / epoch / 1e9
    return {
        "version": runs[0]["version"],
        "repeats": len(runs),
        "first_epoch_s": _median(first),
        "epoch_s": epoch,
        "epoch_s_min": min(later) if later else None,
        "epoch_s_max": max(later) if later else None,
        "epoch_samples": len(later),
        "cores_busy": _median(cores_busy),
        "samples_per_s": n / epoch,
        "gflops": gflops,
        "percent_of_peak": 100.0 * gflops / peak_gflops,
        "peak_rss_mb": max(r["peak_training_rss_mb"] for r in runs),
        "rss_before_training_mb": _median([r["rss_before_training_mb"] for r in runs]),
        "rss_growth_mb_per_epoch": _median(growth),
        "rss_growth_mb_per_epoch_max": max(growth) if growth else None,
        "test_accuracy": _median([r["test_accuracy"] for r in runs]),
        "predict_s": predict,
        "predict_samples_per_s": samples / predict if predict else None,
        "predict_gflops": predict_flops(samples) / predict / 1e9 if predict else None,
        "train_mb": runs[0]["train_bytes"] / MB,
    }


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def _ratio(value, base):
    return "-" if value is None or not base else f"{value / base:.2f}"


def format_table(headers, rows):
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def training_table(summaries, base="fastnn"):
    ref = summaries.get(base, {})
    headers = ["framework", "epoch 1 s", "epoch s", "min-max s", "samples/s", "GFLOP/s", "% peak",
               "peak RSS MB", "test acc", "CPU/wall", "epoch/fastnn", "RSS/fastnn"]
    rows = []
    for name, s in summaries.items():
        spread = "-" if s["epoch_s_min"] is None else f"{s['epoch_s_min']:.3f}-{s['epoch_s_max']:.3f}"
        rows.append([name, _fmt(s["first_epoch_s"], ".3f"), _fmt(s["epoch_s"], ".3f"), spread,
                     _fmt(s["samples_per_s"], ",.0f"), _fmt(s["gflops"], ".1f"),
                     _fmt(s["percent_of_peak"], ".0f"), _fmt(s["peak_rss_mb"], ".0f"),
                     _fmt(s["test_accuracy"], ".4f"), _fmt(s["cores_busy"], ".2f"), _ratio(s["epoch_s"], ref.get("epoch_s")),
                     _ratio(s["peak_rss_mb"], ref.get("peak_rss_mb"))])
    return format_table(headers, rows)


def predict_memory_table(summaries, base="fastnn"):
    ref = summaries.get(base, {})
    headers = ["framework", "predict s", "images/s", "GFLOP/s", "fastnn/this", "RSS before MB",
               "RSS growth MB/epoch (median, max)"]
    rows = []
    for name, s in summaries.items():
        growth = f"{_fmt(s['rss_growth_mb_per_epoch'], '+.1f')}, {_fmt(s['rss_growth_mb_per_epoch_max'], '+.1f')}"
        rows.append([name, _fmt(s["predict_s"], ".4f"), _fmt(s["predict_samples_per_s"], ",.0f"),
                     _fmt(s["predict_gflops"], ".1f"),
                     _ratio(ref.get("predict_samples_per_s"), s["predict_samples_per_s"]),
                     _fmt(s["rss_before_training_mb"], ".0f"), growth])
    return format_table(headers, rows)


def goal_lines(summaries, determinism, rss_growth_tolerance_mb=1.0):
    """PASS/FAIL/n.a. for fastnn's goals against the peers measured in this run."""
    fast = summaries.get("fastnn")
    if fast is None:
        return ["fastnn was not measured: no goals checked."]
    lines = []
    peers = {k: v for k, v in summaries.items() if not k.startswith("fastnn")}

    def verdict(ok):
        return "PASS" if ok else "FAIL"

    if peers:
        best_name, best = min(peers.items(), key=lambda kv: kv[1]["epoch_s"])
        ratio = fast["epoch_s"] / best["epoch_s"]
        line = (f"{verdict(ratio <= 0.5)}  epoch time <= 0.5 x fastest peer ({best_name} "
                f"{best['epoch_s']:.3f} s): fastnn {fast['epoch_s']:.3f} s = {ratio:.2f} x (medians)")
        if fast["epoch_s_min"] is not None:
            best_min = min(v["epoch_s_min"] for v in peers.values() if v["epoch_s_min"] is not None)
            line += f"; fastest epochs: fastnn {fast['epoch_s_min']:.3f} s vs peers' {best_min:.3f} s"
        lines.append(line)
    torch = summaries.get("torch")
    if torch is not None:
        ratio = fast["predict_samples_per_s"] / torch["predict_samples_per_s"]
        lines.append(f"{verdict(ratio >= 2.0)}  predict throughput >= 2 x PyTorch no_grad: {ratio:.2f} x")
    growth = fast["rss_growth_mb_per_epoch_max"]
    if growth is None:
        lines.append("n.a.  RSS growth per epoch: needs --epochs >= 2")
    else:
        lines.append(f"{verdict(growth <= rss_growth_tolerance_mb)}  no RSS growth between epochs "
                     f"(<= {rss_growth_tolerance_mb:g} MB/epoch): worst {growth:+.1f} MB/epoch")
    budget = 2 * fast["train_mb"] + 200
    lines.append(f"{verdict(fast['peak_rss_mb'] < budget)}  peak RSS while training < 2 x training set "
                 f"({fast['train_mb']:.0f} MB) + 200 MB = {budget:.0f} MB: {fast['peak_rss_mb']:.0f} MB")
    if determinism is None:
        lines.append("n.a.  determinism at 1 vs 2 threads: not run")
    elif "error" in determinism:
        lines.append(f"FAIL  determinism at 1 vs 2 threads: {determinism['error']}")
    else:
        detail = "" if determinism["identical"] else f", max |diff| {determinism['max_abs_diff']:.3g}"
        lines.append(f"{verdict(determinism['identical'])}  weights after one seeded epoch bitwise "
                     f"identical at 1 and 2 threads{detail}")
    return lines
