"""Resident-set size of the current process, from /proc (Linux), with getrusage as the fallback."""
import resource

STATUS = "/proc/self/status"


def _status_field(name):
    try:
        with open(STATUS) as f:
            for line in f:
                if line.startswith(name + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def rss_mb():
    """Current resident set, MB (None where /proc is missing)."""
    return _status_field("VmRSS")


def peak_rss_mb():
    """Peak resident set since the process started or since the last reset_peak(), MB."""
    peak = _status_field("VmHWM")
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return peak


def reset_peak():
    """Restart the peak-RSS count (Linux >= 4.0); returns False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False
