"""DataParallel: every process holds the whole model and trains on its rows of each global batch.

batch_size is the global batch: each process takes its share of every batch of one shuffle
(process 0's), and the gradients of the shares are combined into the gradient of the global
batch's mean loss, which every process applies, so the weights stay bitwise identical on every
process and training follows the same course as on one process.

Two ways to combine them:
- deterministic=False (the default): one gradient per process over its rows, scaled by its
  share of the batch and summed with one allreduce. Results agree with one process's to float
  rounding. With overlap=True the allreduce is started bucket by bucket during backward, as
  each bucket's last writer finishes (overlap.py); it pays only when large buckets are final
  well before backward ends, and a non-blocking allreduce costs more than a blocking one (about
  2x for 1.6 MB over shared memory with Open MPI 5), so it is off by default.
- deterministic=True: the global batch is cut into `num_shards` fixed shards; each
  process computes the gradients of its consecutive shards, and the shard gradients are summed
  over a fixed tree (shard_tree), weighted by shard size. The weights after training then have
  the same bits for any number of processes that divides the work into the same shards (any
  count up to num_shards), given the same data, seed and batch size. It costs more compute:
  smaller GEMMs and a copy per shard (about 1.4x a process's step time for the 784-512-10
  MLP at 64 rows a process), which is why it is not the default.

Weights layers update themselves (BatchNormalization's moving statistics, from each process's or
shard's own batch statistics, as Keras's unsynchronized layers do) are averaged after every step,
weighted by rows (layer_state.py): over the processes' updates in the first mode, over the
shards' (each started from the step's values, summed over the same tree) in the second.
"""
import time

import numpy as np

from . import agreement, communicator, placement, sharding, shard_tree
from .layer_state import LayerState
from .overlap import OverlappedTape

DEFAULT_NUM_SHARDS = 4
BUCKET_BYTES = 1 << 20


def _default_num_shards(num_processes):
    shards = DEFAULT_NUM_SHARDS
    while shards < num_processes:
        shards *= 2
    return shards


class DataParallel:
    """Data parallelism over the processes of an MPI job (started with `mpirun -n P`)."""

    def __init__(self, deterministic=False, num_shards=None, overlap=False, bucket_bytes=BUCKET_BYTES):
        if not isinstance(deterministic, bool):
            raise ValueError(f"DataParallel: deterministic must be True or False. Received: deterministic={deterministic!r}")
        if num_shards is not None and (isinstance(num_shards, bool) or not isinstance(num_shards, int)
                                       or num_shards < 1):
            raise ValueError(f"DataParallel: num_shards must be a positive integer. Received: num_shards={num_shards!r}")
        if isinstance(bucket_bytes, bool) or not isinstance(bucket_bytes, int) or bucket_bytes < 1:
            raise ValueError(f"DataParallel: bucket_bytes must be a positive integer. Received: bucket_bytes={bucket_bytes!r}")
        self.mpi = communicator.load_mpi()
        self.comm = self.mpi.COMM_WORLD
        self.process_id = self.comm.Get_rank()
        self.num_processes = self.comm.Get_size()
        self.deterministic = deterministic
        self.num_shards = _default_num_shards(self.num_processes) if num_shards is None else num_shards
        if deterministic and self.num_shards < self.num_processes:
            raise ValueError(
                f"DataParallel: num_shards={self.num_shards} is less than the {self.num_processes} processes; "
                "every process needs at least one shard"
            )
        self.overlap = bool(overlap)
        self.bucket_bytes = bucket_bytes
        self.batch_rows = 0  # rows of the global batch whose share local_rows gave last
        self.reduce_seconds = 0.0  # time spent waiting for gradient communication
        self.reduce_steps = 0
        self._overlapped = {}
        self._buffers = {}

    def activate(self):
        """Makes uncaught exceptions abort the job and gives each process its share of the cores."""
        communicator.abort_on_uncaught_exceptions(self.comm)
        placement.share_cores(self.comm, self.mpi)

    def __repr__(self):
        mode = f"deterministic, num_shards={self.num_shards}" if self.deterministic else "allreduce"
        return f"DataParallel(process {self.process_id} of {self.num_processes}, {mode})"

    # the data ------------------------------------------------------------------------------
    def shared_order(self, order, shuffle):
        """Process 0's order of the samples (a shuffle is drawn on every process; 0's is kept)."""
        if shuffle and self.num_processes > 1:
            order = np.ascontiguousarray(order, dtype=np.int64)
            self.comm.Bcast(order, root=0)
        return order

    def _bounds(self, count, rank):
        return sharding.process_bounds(count, self.num_processes, rank,
                                       self.num_shards if self.deterministic else None)

    def local_rows(self, indices):
        """This process's share of a global batch's indices."""
        self.batch_rows = len(indices)
        start, stop = self._bounds(len(indices), self.process_id)
        return indices[start:stop]

    # training ------------------------------------------------------------------------------
    def begin_fit(self, model, batches, epochs):
        """Checks that every process trains the same model on the same terms, then copies
        process 0's weights and optimizer state to the others."""
        samples, batch_size = len(batches.indices), batches.batch_size
        if samples < self.num_processes:
            raise ValueError(f"DataParallel over {self.num_processes} processes needs at least one training "
                             f"sample per process; fit() received {samples}")
        if batch_size < self.num_processes:
            raise ValueError(f"DataParallel: batch_size={batch_size} is the global batch, split across "
                             f"{self.num_processes} processes; it must be at least {self.num_processes}")
        difference = agreement.first_difference(
            self.comm.allgather(agreement.training_description(model, batches, epochs)))
        if difference is not None:
            raise ValueError(f"DataParallel: the processes disagree before fit(): {difference}")
        for weight in model.weights:
            if not weight.data.flags.c_contiguous:
                weight.data = np.ascontiguousarray(weight.data)
            self.comm.Bcast(weight.data, root=0)
        if model.optimizer.built:
            state = self.comm.bcast(model.optimizer.variables() if self.process_id == 0 else None, root=0)
            model.optimizer.set_variables(state)

    def compute_gradients(self, model, gradients, x, y, sample_weight=None):
        """gradients(x, y, sample_weight) for this process's rows, combined across processes into the gradient
        of the global batch's mean loss. Returns (local loss, local predictions, grads, values)."""
        if self.deterministic:
            return self._shard_gradients(model, gradients, x, y, sample_weight)
        state = LayerState(model)
        parameters = model.trainable_parameters()
        scale = np.float32(len(x) / self.batch_rows)
        tapes = self._overlapped_tapes(gradients, parameters) if self.overlap else []
        for tape in tapes:
            tape.scale = scale
        if len(x):
            loss, predictions, grads, values = gradients(x, y, sample_weight)
        else:
            loss, predictions, grads, values = self._no_rows(model, parameters)
        started = time.perf_counter()
        if not any([tape.wait() for tape in tapes]):
            grads *= scale
            self.comm.Allreduce(self.mpi.IN_PLACE, grads, op=self.mpi.SUM)
        if state and self.num_processes > 1:
            total = state.contribution(len(x))
            self.comm.Allreduce(self.mpi.IN_PLACE, total, op=self.mpi.SUM)
            state.assign(total)
        self._count_reduce(started)
        return loss, predictions, grads, values

    def _count_reduce(self, started):
        self.reduce_seconds += time.perf_counter() - started
        self.reduce_steps += 1

    def _no_rows(self, model, parameters):
        parameters.zero_grads()
        grads = parameters.gathered_grads()
        grads.fill(0)
        return 0.0, np.empty((0,) + tuple(model.output_shape[1:]), np.float32), grads, parameters.values

    def _overlapped_tapes(self, gradients, parameters):
        """The OverlappedTapes standing in for the tapes of the gradient step's replayed plans
        (one per batch shape), each made when its plan reaches replay."""
        for plan in gradients.plans.plans.values():
            if plan.state == "replay" and not isinstance(plan.tape, OverlappedTape) \
                    and plan.outputs[2] is parameters.grads:
                plan.tape = OverlappedTape(plan.tape, parameters.grads, parameters.grad_views, self.comm,
                                           self.mpi, self.bucket_bytes)
        return [plan.tape for plan in gradients.plans.plans.values() if isinstance(plan.tape, OverlappedTape)]

    def _shard_gradients(self, model, gradients, x, y, sample_weight=None):
        first, stop = sharding.owned_shards(self.num_shards, self.num_processes, self.process_id)
        shard_bounds = sharding.split_bounds(self.batch_rows, self.num_shards)
        offset = shard_bounds[first][0]
        sizes = [hi - lo for lo, hi in shard_bounds]
        equal = len(set(sizes)) == 1
        parameters = model.trainable_parameters()
        state = LayerState(model)  # every shard starts from the step's layer state
        leaves, state_leaves, losses = {}, {}, []
        predictions = self._buffer("predictions", (len(x),) + tuple(model.output_shape[1:]))
        for shard in range(first, stop):
            lo, hi = shard_bounds[shard][0] - offset, shard_bounds[shard][1] - offset
            leaf = self._buffer(("leaf", shard - first), parameters.grads.shape)
            state_leaf = self._buffer(("state leaf", shard - first), (state.size,))
            if hi == lo:
                leaf.fill(0)
                state_leaf.fill(0)
            else:
                state.restore()
                loss, shard_predictions, grads, _ = gradients(
                    x[lo:hi], y[lo:hi], None if sample_weight is None else sample_weight[lo:hi])
                np.copyto(leaf, grads)
                if not equal:
                    leaf *= np.float32(sizes[shard] / self.batch_rows)
                predictions[lo:hi] = shard_predictions
                losses.append((float(loss), hi - lo))
                state.contribution(hi - lo, out=state_leaf)
            leaves[(shard, shard + 1)] = leaf
            state_leaves[(shard, shard + 1)] = state_leaf
        started = time.perf_counter()
        known = self._gather_covers(leaves, first, stop, parameters.grads)
        grads = shard_tree.tree_sum(known, 0, self.num_shards, out=parameters.grads)
        if equal:
            grads *= np.float32(sizes[0] / self.batch_rows)
        if state:
            known = self._gather_covers(state_leaves, first, stop, state_leaves[(first, first + 1)])
            state.assign(shard_tree.tree_sum(known, 0, self.num_shards).copy())
        self._count_reduce(started)
        rows = sum(n for _, n in losses)
        loss = sum(value * n for value, n in losses) / rows if rows else 0.0
        return loss, predictions, grads, parameters.values

    def _gather_covers(self, leaves, first, stop, like):
        """Every process's cover of its shards (tree nodes), as a dict node -> array."""
        mine = shard_tree.cover(first, stop, num_shards=self.num_shards)
        if self.num_processes == 1:
            return {node: shard_tree.tree_sum(leaves, *node) for node in mine}
        covers = [shard_tree.cover(*sharding.owned_shards(self.num_shards, self.num_processes, rank),
                                   num_shards=self.num_shards) for rank in range(self.num_processes)]
        send = self._buffer("send", (len(mine), like.size))
        for row, node in zip(send, mine):
            shard_tree.tree_sum(leaves, *node, out=row)
        counts = [len(cover) * like.size for cover in covers]
        received = self._buffer("received", (sum(len(cover) for cover in covers), like.size))
        self.comm.Allgatherv(send, [received, counts, None, self.mpi.FLOAT])
        nodes = [node for cover in covers for node in cover]
        return dict(zip(nodes, received))

    def _buffer(self, name, shape):
        key = (name, shape)
        if key not in self._buffers:
            self._buffers[key] = np.empty(shape, np.float32)
        return self._buffers[key]

    # results -------------------------------------------------------------------------------
    def global_trackers(self, trackers):
        """Copies of the running means with every process's totals and counts added up."""
        if self.num_processes == 1:
            return trackers
        local = np.array([[t.total, t.count] for t in trackers], dtype=np.float64)
        gathered = np.empty((self.num_processes,) + local.shape, dtype=np.float64)
        self.comm.Allgather(local, gathered)
        totals = gathered.sum(axis=0)
        combined = []
        for tracker, (total, count) in zip(trackers, totals):
            copy = type(tracker)(tracker.name)
            copy.total, copy.count = float(total), float(count)
            combined.append(copy)
        return combined

    def gather_predictions(self, outputs, local_count, batch_size):
        """The full outputs on every process, from each process's rows of every batch (the first
        local_count rows of `outputs`, in batch order)."""
        if self.num_processes == 1:
            return outputs
        total = len(outputs)
        positions = [[] for _ in range(self.num_processes)]
        for start in range(0, total, batch_size):
            count = min(batch_size, total - start)
            for rank in range(self.num_processes):
                lo, hi = self._bounds(count, rank)
                positions[rank].append(np.arange(start + lo, start + hi))
        positions = [np.concatenate(p) if p else np.empty(0, np.int64) for p in positions]
        row = int(np.prod(outputs.shape[1:], dtype=np.int64))
        local = np.ascontiguousarray(outputs[:local_count])
        received = np.empty_like(outputs)
        counts = [len(p) * row for p in positions]
        self.comm.Allgatherv(local, [received, counts, None, self.mpi.FLOAT])
        result = np.empty_like(outputs)
        result[np.concatenate(positions)] = received
        return result

