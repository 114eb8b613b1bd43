"""Training one model on several processes (MPI): fastnn.distribution.set_distribution(
fastnn.distribution.DataParallel()), then `mpirun -n P python script.py`.

mpi4py is imported only when a DataParallel is made (pip install "fastnn[mpi]").
"""
from .data_parallel import DataParallel
from .active import (begin_fit, compute_gradients, distribution, gather_predictions, global_trackers, is_chief,
                     local_rows, num_processes, process_id, set_distribution, shared_order)


__all__ = ["DataParallel", "distribution", "is_chief", "num_processes", "process_id", "set_distribution"]
