"""What the benchmarks print and record about the machine they ran on."""
import os
import platform


def describe():
    """{"cpu": model name, "cpus": count, "python": version, "loadavg_at_start": 1, 5 and 15 minutes}."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpu": model, "cpus": os.cpu_count(), "python": platform.python_version(),
            "loadavg_at_start": load}


def headline(machine, usable_cpus=None):
    """One line: the CPU, how many (and how many this process may use), Python, the load average."""
    usable = "" if usable_cpus is None else f" ({usable_cpus} for this process)"
    return (f"{machine['cpu']}, {machine['cpus']} CPUs{usable}, Python {machine['python']}, "
            f"load average at start {machine['loadavg_at_start']}")
