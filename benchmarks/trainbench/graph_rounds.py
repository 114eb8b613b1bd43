"""The parent's side of the graph-network benchmarks: rounds of child processes, each round NumPy's
GEMM rate first, then every network with every framework, the frameworks' order reversed in odd
rounds (the machine's load drifts; neighbours in time are compared)."""
import statistics

from .childproc import child_env, run_worker
from .graph_worker import GEMM


def run(script, jobs, frameworks, rounds, workdir, timeout):
    """jobs: {model: job} (graph_worker's jobs, all at one thread count). Returns (runs {model:
    {framework: [result per round]}}, the GEMM rates of the rounds, notes {"model/framework": why not
    measured}). A framework that is skipped or fails on a network is not run on it again."""
    threads = next(iter(jobs.values()))["threads"]
    env = child_env(threads)
    runs = {model: {f: [] for f in frameworks} for model in jobs}
    gemm, notes = [], {}
    for r in range(rounds):
        result = run_worker(script, GEMM, {"threads": threads}, workdir, timeout, env)
        if "gemm_gflops" in result:
            gemm.append(result["gemm_gflops"])
            print(f"round {r + 1}: NumPy float32 GEMM {result['gemm_gflops']:.1f} GFLOP/s", flush=True)
        else:
            print(f"round {r + 1}: NumPy GEMM not measured: {result.get('failed') or result.get('skipped')}")
        order = frameworks if r % 2 == 0 else frameworks[::-1]
        for model, job in jobs.items():
            for framework in order:
                key = f"{model}/{framework}"
                if key in notes:
                    continue
                result = run_worker(script, framework, job, workdir, timeout, env)
                if "skipped" in result or "failed" in result:
                    notes[key] = result.get("skipped") or result.get("failed")
                    print(f"round {r + 1}: {key} not measured: {notes[key]}")
                    continue
                runs[model][framework].append(result)
                print(f"round {r + 1}: {key:36s} epochs " + " ".join(f"{t:.3f}" for t in result["epoch_seconds"])
                      + f" s, loss {result['train_losses'][-1]:.4f}, test {result['test_metric']} "
                      f"{result['test_value']:.4f}, load {result['loadavg']:.1f}", flush=True)
    return runs, gemm, notes


def predict_time(result):
    """The median predict call, None when predict was not timed."""
    return statistics.median(result["predict_seconds"]) if result["predict_seconds"] else None


def failed(notes):
    """True when a child crashed or timed out (a missing framework is not a failure)."""
    return any(n.startswith(("exit code", "timed out")) for n in notes.values())
