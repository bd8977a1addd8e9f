"""Random programs written to files, so that srcad reads their source as a user's."""

import itertools

_COUNT = itertools.count(1)


def load(src, folder, prefix, fname="f", **names):
    """Function ``fname`` of module text ``src``, written under ``folder`` and run with
    ``names`` among its globals."""
    k = next(_COUNT)
    path = folder / f"{prefix}_{k}.py"
    path.write_text(src)
    ns = {"__name__": f"{prefix}_{k}", **names}
    exec(compile(src, str(path), "exec"), ns)  # noqa: S102
    return ns[fname]
