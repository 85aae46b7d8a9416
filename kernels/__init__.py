"""CUDA C sources of minigan's fused kernels, shipped as the package ``minigan.kernels``.

``bce_math.cuh`` holds the scalar arithmetic as ``__host__ __device__`` inline functions,
``grid_stride.cuh`` the grid-stride loop, and each ``*.cu`` file a family of ``extern "C"``
kernels (``*_f32`` / ``*_f64``). ``minigan.backend.kernels`` loads them with
``cupy.RawModule``; ``tests/test_kernels.py`` compiles them with nvcc and runs the kernel
bodies on the CPU through a host launcher.
"""
