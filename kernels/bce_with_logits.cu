// Binary cross-entropy with logits (PyTorch's binary_cross_entropy_with_logits), forward
// and backward, elementwise over contiguous arrays of n elements. weight, pos_weight and
// grad are null when absent; the caller has broadcast every array to x's shape and dtype.
// The mean reduction is done by the caller (a CuPy reduction over the elementwise loss, and
// scale = 1/n in the backward): no GPU was available to measure a fused reduction.
#include "bce_math.cuh"
#include "grid_stride.cuh"

// out = w ((x >= 0 ? x (1 - y) : -x p y) + c log1p(exp(-|x|))), c = 1 + (p - 1) y
template <typename T>
__device__ __forceinline__ void bce_with_logits_forward(
    const T* __restrict__ x, const T* __restrict__ y, const T* __restrict__ weight,
    const T* __restrict__ pos_weight, T* __restrict__ out, long long n) {
    MG_GRID_STRIDE_LOOP(i, n) {
        const T p = pos_weight ? pos_weight[i] : T(1);
        const T c = pos_weight ? mg::bce_log_weight(y[i], p) : T(1);
        const T loss = mg::bce_with_logits(x[i], y[i], p, c);
        out[i] = weight ? weight[i] * loss : loss;
    }
}

// out = scale g w (x >= 0 ? (1 - y) - c s : c s - p y), s = e / (1 + e), e = exp(-|x|)
template <typename T>
__device__ __forceinline__ void bce_with_logits_backward(
    const T* __restrict__ x, const T* __restrict__ y, const T* __restrict__ weight,
    const T* __restrict__ pos_weight, const T* __restrict__ grad, T scale,
    T* __restrict__ out, long long n) {
    MG_GRID_STRIDE_LOOP(i, n) {
        const T p = pos_weight ? pos_weight[i] : T(1);
        const T c = pos_weight ? mg::bce_log_weight(y[i], p) : T(1);
        T d = mg::bce_with_logits_grad(x[i], y[i], p, c);
        if (weight) d *= weight[i];
        if (grad) d *= grad[i];
        out[i] = scale * d;
    }
}

extern "C" __global__ void bce_with_logits_forward_f32(
    const float* x, const float* y, const float* weight, const float* pos_weight,
    float* out, long long n) {
    bce_with_logits_forward(x, y, weight, pos_weight, out, n);
}
extern "C" __global__ void bce_with_logits_forward_f64(
    const double* x, const double* y, const double* weight, const double* pos_weight,
    double* out, long long n) {
    bce_with_logits_forward(x, y, weight, pos_weight, out, n);
}
extern "C" __global__ void bce_with_logits_backward_f32(
    const float* x, const float* y, const float* weight, const float* pos_weight,
    const float* grad, float scale, float* out, long long n) {
    bce_with_logits_backward(x, y, weight, pos_weight, grad, scale, out, n);
}
extern "C" __global__ void bce_with_logits_backward_f64(
    const double* x, const double* y, const double* weight, const double* pos_weight,
    const double* grad, double scale, double* out, long long n) {
    bce_with_logits_backward(x, y, weight, pos_weight, grad, scale, out, n);
}
