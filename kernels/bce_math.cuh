// Scalar arithmetic of the log-sigmoid and BCE-with-logits kernels.
//
// Every function is __host__ __device__ inline so the exact same code runs in the CUDA
// kernels and, compiled by a plain C++ compiler, in the host tests (tests/test_kernels.py).
// float uses expf/log1pf, double uses exp/log1p; nothing here relies on fast-math.
//
// Flush-to-zero: CuPy compiles every kernel with -ftz=true (after minigan's options, so it
// cannot be undone). On the device, float32 subnormals (|v| < 2^-126 ~ 1.18e-38) read as 0
// and float32 results or intermediates that small become 0: log_sigmoid(-100) is 0, not
// -3.8e-44, and exp_(-|x|) is 0 for |x| > ~87.3. double is not flushed. The host tests
// (tests/test_kernels.py) keep subnormals; the CuPy stand-in (tests/cupy_standin) runs these
// kernels with the flush emulated.
#ifndef MINIGAN_BCE_MATH_CUH
#define MINIGAN_BCE_MATH_CUH

#if defined(__CUDACC__)
#define MG_HD __host__ __device__ __forceinline__
#else
#define MG_HD inline
#endif

#if !defined(__CUDACC_RTC__)
#include <math.h>
#endif

namespace mg {

MG_HD float exp_(float v) { return expf(v); }
MG_HD double exp_(double v) { return exp(v); }
MG_HD float log1p_(float v) { return log1pf(v); }
MG_HD double log1p_(double v) { return log1p(v); }
MG_HD float abs_(float v) { return fabsf(v); }
MG_HD double abs_(double v) { return fabs(v); }

// a * b, but exactly 0 when b == 0 (so inf * 0 never turns into NaN)
template <typename T>
MG_HD T times_unless_zero(T a, T b) {
    return b == T(0) ? T(0) : a * b;
}

// log σ(x) = min(x, 0) - log1p(exp(-|x|))
template <typename T>
MG_HD T log_sigmoid(T x) {
    return (x < T(0) ? x : T(0)) - log1p_(exp_(-abs_(x)));
}

// σ(-x) = e / (1 + e) for x >= 0, 1 / (1 + e) for x < 0, with e = exp(-|x|)
template <typename T>
MG_HD T sigmoid_neg(T x) {
    const T e = exp_(-abs_(x));
    return x >= T(0) ? e / (T(1) + e) : T(1) / (T(1) + e);
}

// c = 1 + (p - 1) y, written (1 - y) + p y: two non-negative terms for y in [0, 1], p >= 0
template <typename T>
MG_HD T bce_log_weight(T y, T p) {
    return (T(1) - y) + p * y;
}

// l(x, y) = (x >= 0 ? x (1 - y) : -x p y) + c log1p(exp(-|x|)), c = 1 + (p - 1) y
template <typename T>
MG_HD T bce_with_logits(T x, T y, T p, T c) {
    const T linear = x >= T(0) ? times_unless_zero(x, T(1) - y) : times_unless_zero(-x, p * y);
    return linear + c * log1p_(exp_(-abs_(x)));
}

// dl/dx = (x >= 0 ? (1 - y) - c s : c s - p y), s = e / (1 + e), e = exp(-|x|)
template <typename T>
MG_HD T bce_with_logits_grad(T x, T y, T p, T c) {
    const T e = exp_(-abs_(x));
    const T s = e / (T(1) + e);
    return x >= T(0) ? (T(1) - y) - c * s : c * s - p * y;
}

}  // namespace mg

#endif  // MINIGAN_BCE_MATH_CUH
