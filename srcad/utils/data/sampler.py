"""Samplers: which dataset indices a loader reads, and in which order."""

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "BatchSampler",
]


def _randperm(n, generator):
    from ...tape.api import randperm  # noqa: PLC0415

    return randperm(n, generator=generator).tolist()


def _random_int64(generator=None):
    """One draw of ``empty((), int64).random_(generator=...)`` as torch makes it, or
    ``None`` while srcad's tape has no ``Tensor.random_``."""
    from ...tape import api  # noqa: PLC0415
    from ...tape.tensor import Tensor  # noqa: PLC0415

    if not hasattr(Tensor, "random_"):
        return None
    t = api.empty((), dtype=api.int64)
    t = t.random_() if generator is None else t.random_(generator=generator)
    return int(t.item())


def _epoch_generator(generator):
    """The generator of one epoch: ``generator``, or (as torch) a fresh ``Generator``
    seeded from one draw of the global generator."""
    if generator is not None:
        return generator
    from ... import tape  # noqa: PLC0415

    make = getattr(tape.api, "Generator", None)
    seed = _random_int64()
    if make is None or seed is None:
        return None  # the global generator itself
    gen = make()
    gen.manual_seed(seed)
    return gen


class Sampler:
    """Base class: an iterable of indices (or of index lists, for batch samplers)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random permutation each epoch (or ``num_samples`` draws with replacement).

    The order comes from ``randperm``/``randint`` with ``generator`` (srcad's global
    generator when ``None``).
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={self.num_samples}"
            )

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        generator = _epoch_generator(self.generator)
        if self.replacement:
            from ...tape.api import randint  # noqa: PLC0415

            for start in range(0, self.num_samples, 32):
                count = min(32, self.num_samples - start)
                yield from randint(0, n, (count,), generator=generator).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from _randperm(n, generator)
        yield from _randperm(n, generator)[: self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order each epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in _randperm(len(self.indices), self.generator):
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size
