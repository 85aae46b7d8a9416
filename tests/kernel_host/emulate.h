// Host emulation of the CUDA launch model, shared by host_launch.cpp (tests/test_kernels.py)
// and the CuPy stand-in's RawModule (tests/cupy_standin/_raw.py): __global__/__device__
// become plain C++, threadIdx/blockIdx/blockDim/gridDim are globals, and launch() walks every
// (block, thread) of a 1-D grid in turn. Include it before the kernel source.
#ifndef MG_KERNEL_HOST_EMULATE_H
#define MG_KERNEL_HOST_EMULATE_H
#include <math.h>

struct mg_uint3 {
    unsigned int x, y, z;
};
static mg_uint3 threadIdx, blockIdx, blockDim, gridDim;

static long long* mg_visits = nullptr;  // visits[i] += 1 each time index i < n is visited
static long long mg_visits_len = 0;
static long long mg_negative_visits = 0;

static bool mg_host_in_range(long long i, long long n) {
    if (i >= n) return false;
    if (i < 0) ++mg_negative_visits;
    else if (mg_visits && i < mg_visits_len) ++mg_visits[i];
    return true;
}

#define MG_IN_RANGE(i, n) mg_host_in_range((i), (n))
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline

template <typename... Params, typename... Args>
static void launch(unsigned int grid, unsigned int block, void (*kernel)(Params...),
                   Args... args) {
    gridDim = {grid, 1, 1};
    blockDim = {block, 1, 1};
    for (unsigned int b = 0; b < grid; ++b) {
        for (unsigned int t = 0; t < block; ++t) {
            blockIdx = {b, 0, 0};
            threadIdx = {t, 0, 0};
            kernel(args...);
        }
    }
}


#endif  // MG_KERNEL_HOST_EMULATE_H
