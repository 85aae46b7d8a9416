"""The number of threads NumPy's BLAS uses on the CPU (``mg.set_num_threads``), through
threadpoolctl. The matrices of small MLPs are too small for threads to pay, and on a
busy machine BLAS threads wait on each other: scripts set one thread."""
from __future__ import annotations

import os

_limiter = None


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in BLAS (matrix products) from now on, as ``torch.set_num_threads``."""
    global _limiter
    if not isinstance(n, int) or isinstance(n, bool):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    import numpy  # noqa: F401  (threadpoolctl finds the BLAS of the libraries loaded so far)
    from threadpoolctl import threadpool_limits

    _limiter = threadpool_limits(limits=n, user_api="blas")


def get_num_threads() -> int:
    """The number of threads BLAS uses (the largest over the BLAS libraries loaded)."""
    import numpy  # noqa: F401
    from threadpoolctl import threadpool_info

    counts = [int(info["num_threads"]) for info in threadpool_info() if info.get("user_api") == "blas"]
    return max(counts) if counts else (os.cpu_count() or 1)
