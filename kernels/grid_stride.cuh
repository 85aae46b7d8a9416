// Grid-stride loop over [0, n): thread t of block b visits b * blockDim + t, then steps by
// the whole grid, so every index is visited exactly once for any grid and block size.
// MG_IN_RANGE is the bounds check; the host tests redefine it to count visits.
#ifndef MINIGAN_GRID_STRIDE_CUH
#define MINIGAN_GRID_STRIDE_CUH

#ifndef MG_IN_RANGE
#define MG_IN_RANGE(i, n) ((i) < (n))
#endif

#define MG_GRID_STRIDE_LOOP(i, n)                                              \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;       \
         MG_IN_RANGE(i, n); i += (long long)blockDim.x * gridDim.x)

#endif  // MINIGAN_GRID_STRIDE_CUH
