"""Shared by callbacks that watch one value of the logs."""


def monitor_direction(owner, mode, monitor):
    """-1 when smaller monitored values are better, +1 when larger are."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max'. Received: mode={mode!r}")
    if mode == "min":
        return -1
    if mode == "max":
        return 1
    name = monitor[4:] if monitor.startswith("val_") else monitor
    return 1 if ("acc" in name or name.startswith("auc") or name.startswith("fmeasure")) else -1


def monitored_value(owner, monitor, logs):
    logs = logs or {}
    if monitor not in logs:
        available = ", ".join(sorted(logs)) or "(none)"
        raise ValueError(f"{owner} monitors {monitor!r}, which is not in the logs. Available keys: {available}")
    return float(logs[monitor])
