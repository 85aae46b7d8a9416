// Host emulation of the CUDA launch model for the kernels in kernels/*.cu.
//
// The kernel sources are #included unchanged: __global__/__device__ become plain C++,
// threadIdx/blockIdx/blockDim/gridDim are globals, and host_<kernel>(grid, block, ...)
// walks every (block, thread) of a 1-D grid in turn, running the kernel body for each.
// The kernels are elementwise (no shared memory, no __syncthreads), so running the threads
// one after another computes what a GPU computes with the same arithmetic; the only
// difference is the libm used for expf/log1pf/exp/log1p (glibc here, libdevice on a GPU).
// MG_IN_RANGE, the bounds check of the grid-stride loop, is redefined to count how many
// times each index is visited, so tests can check the index math itself.
#include "emulate.h"

#include "bce_with_logits.cu"
#include "log_sigmoid.cu"

extern "C" void host_count_visits(long long* visits, long long len) {
    mg_visits = visits;
    mg_visits_len = len;
    mg_negative_visits = 0;
}

extern "C" long long host_negative_visits() { return mg_negative_visits; }

#define MG_HOST_ENTRIES(T, SFX)                                                             \
    extern "C" void host_log_sigmoid_forward_##SFX(unsigned int grid, unsigned int block,   \
                                                   const T* x, T* out, long long n) {       \
        launch(grid, block, log_sigmoid_forward_##SFX, x, out, n);                         \
    }                                                                                       \
    extern "C" void host_log_sigmoid_backward_##SFX(unsigned int grid, unsigned int block,  \
                                                    const T* x, const T* g, T* out,         \
                                                    long long n) {                          \
        launch(grid, block, log_sigmoid_backward_##SFX, x, g, out, n);                     \
    }                                                                                       \
    extern "C" void host_bce_with_logits_forward_##SFX(                                     \
        unsigned int grid, unsigned int block, const T* x, const T* y, const T* w,          \
        const T* pw, T* out, long long n) {                                                 \
        launch(grid, block, bce_with_logits_forward_##SFX, x, y, w, pw, out, n);           \
    }                                                                                       \
    extern "C" void host_bce_with_logits_backward_##SFX(                                    \
        unsigned int grid, unsigned int block, const T* x, const T* y, const T* w,          \
        const T* pw, const T* g, T scale, T* out, long long n) {                            \
        launch(grid, block, bce_with_logits_backward_##SFX, x, y, w, pw, g, scale, out, n); \
    }

MG_HOST_ENTRIES(float, f32)
MG_HOST_ENTRIES(double, f64)
