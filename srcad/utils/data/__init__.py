"""``srcad.utils.data``: datasets, samplers and the ``DataLoader``, as ``torch.utils.data``.

Design: the loader is a plain Python iterator over index batches from a sampler;
each batch of samples goes through ``collate_fn`` (``default_collate`` stacks tensors,
turns numbers into tensors and recurses into tuples, lists and dicts).  Worker
processes are not started: ``num_workers`` is accepted and the batches are loaded in
this process, in the same order a multi-worker torch loader yields them.
"""

from .dataloader import DataLoader, default_collate, default_convert, get_worker_info
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
