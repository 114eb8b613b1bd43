"""Which rows of a global batch each process (or fixed shard) takes."""


def split_bounds(count, parts):
    """(start, stop) of each of `parts` consecutive pieces of `count` rows, as even as they can be:
    the first count % parts pieces have one row more."""
    base, extra = divmod(count, parts)
    bounds, start = [], 0
    for i in range(parts):
        stop = start + base + (1 if i < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def owned_shards(num_shards, num_processes, rank):
    """(first, stop) of the consecutive shards process `rank` computes (num_shards >= num_processes)."""
    return split_bounds(num_shards, num_processes)[rank]


def process_bounds(count, num_processes, rank, num_shards=None):
    """(start, stop) of the rows of a `count`-row global batch that process `rank` takes: its even
    share, or the union of its shards when the batch is cut into num_shards fixed shards."""
    if num_shards is None:
        return split_bounds(count, num_processes)[rank]
    first, stop = owned_shards(num_shards, num_processes, rank)
    shards = split_bounds(count, num_shards)
    return shards[first][0], shards[stop - 1][1]
