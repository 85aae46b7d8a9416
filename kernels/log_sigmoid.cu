// Log-sigmoid forward and backward, elementwise over contiguous arrays of n elements.
#include "bce_math.cuh"
#include "grid_stride.cuh"

// out = min(x, 0) - log1p(exp(-|x|))
template <typename T>
__device__ __forceinline__ void log_sigmoid_forward(const T* __restrict__ x,
                                                    T* __restrict__ out, long long n) {
    MG_GRID_STRIDE_LOOP(i, n) { out[i] = mg::log_sigmoid(x[i]); }
}

// out = g σ(-x)   (g = 1 when grad is null)
template <typename T>
__device__ __forceinline__ void log_sigmoid_backward(const T* __restrict__ x,
                                                     const T* __restrict__ grad,
                                                     T* __restrict__ out, long long n) {
    MG_GRID_STRIDE_LOOP(i, n) {
        const T g = grad ? grad[i] : T(1);
        out[i] = g * mg::sigmoid_neg(x[i]);
    }
}

extern "C" __global__ void log_sigmoid_forward_f32(const float* x, float* out, long long n) {
    log_sigmoid_forward(x, out, n);
}
extern "C" __global__ void log_sigmoid_forward_f64(const double* x, double* out, long long n) {
    log_sigmoid_forward(x, out, n);
}
extern "C" __global__ void log_sigmoid_backward_f32(const float* x, const float* grad,
                                                    float* out, long long n) {
    log_sigmoid_backward(x, grad, out, n);
}
extern "C" __global__ void log_sigmoid_backward_f64(const double* x, const double* grad,
                                                    double* out, long long n) {
    log_sigmoid_backward(x, grad, out, n);
}
