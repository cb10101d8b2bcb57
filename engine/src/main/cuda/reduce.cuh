// Reductions over the middle axis of a contiguous [A, R, C] view (the Java side stages other
// layouts into this form with a copy).
//   inner (C == 1): one block per (row, segment); the threads of the block split the run and
//                   combine in shared memory. Long runs are cut into segments whose partials
//                   are reduced again by a second launch.
//   outer (C > 1):  one thread per output, walking R; neighbouring threads read neighbouring
//                   columns, so loads coalesce.
// float32 sums and products accumulate in float64 (as the CPU backend); max and min propagate
// NaN; argmax/argmin return the first index of the extreme, NaN counting as the extreme.
#pragma once
#include "common.cuh"

#define RED_THREADS 256

#define R_SUM 0
#define R_PROD 1
#define R_MAX 2
#define R_MIN 3

template <typename A> __device__ __forceinline__ A rload(const char* p, int dt, i64 i);
template <> __device__ __forceinline__ double rload<double>(const char* p, int dt, i64 i) { return load_f64(p, dt, i); }
template <> __device__ __forceinline__ float rload<float>(const char* p, int dt, i64 i) {
    return dt == DT_F32 ? ((const float*)p)[i] : (float)load_f64(p, dt, i);
}
template <> __device__ __forceinline__ i64 rload<i64>(const char* p, int dt, i64 i) { return load_i64(p, dt, i); }

template <typename A> __device__ __forceinline__ void rstore(char* p, int dt, i64 i, A v);
template <> __device__ __forceinline__ void rstore<double>(char* p, int dt, i64 i, double v) { store_f64(p, dt, i, v); }
template <> __device__ __forceinline__ void rstore<float>(char* p, int dt, i64 i, float v) { store_f64(p, dt, i, (double)v); }
template <> __device__ __forceinline__ void rstore<i64>(char* p, int dt, i64 i, i64 v) { store_i64(p, dt, i, v); }

template <typename A> __device__ __forceinline__ A rlowest();
template <> __device__ __forceinline__ double rlowest<double>() { return -__longlong_as_double(0x7ff0000000000000LL); }
template <> __device__ __forceinline__ float rlowest<float>() { return -__int_as_float(0x7f800000); }
template <> __device__ __forceinline__ i64 rlowest<i64>() { return (i64)0x8000000000000000ULL; }
template <typename A> __device__ __forceinline__ A rhighest();
template <> __device__ __forceinline__ double rhighest<double>() { return __longlong_as_double(0x7ff0000000000000LL); }
template <> __device__ __forceinline__ float rhighest<float>() { return __int_as_float(0x7f800000); }
template <> __device__ __forceinline__ i64 rhighest<i64>() { return 0x7fffffffffffffffLL; }

template <typename A, int OP> __device__ __forceinline__ A ridentity() {
    return OP == R_SUM ? (A)0 : OP == R_PROD ? (A)1 : OP == R_MAX ? rlowest<A>() : rhighest<A>();
}

template <typename A, int OP> __device__ __forceinline__ A rcombine(A x, A y) {
    if (OP == R_SUM) return x + y;
    if (OP == R_PROD) return x * y;
    if (x != x) return x;  // NaN propagates (never true for integers)
    if (y != y) return y;
    if (OP == R_MAX) return x > y ? x : y;
    return x < y ? x : y;
}

// Integer sums and products wrap around, as in Java: compute them on unsigned values.
template <> __device__ __forceinline__ i64 rcombine<i64, R_SUM>(i64 x, i64 y) { return (i64)((u64)x + (u64)y); }
template <> __device__ __forceinline__ i64 rcombine<i64, R_PROD>(i64 x, i64 y) { return (i64)((u64)x * (u64)y); }

template <typename A, int OP>
__device__ void reduce_inner(const char* in, int dt, i64 rows, i64 r, i64 segs, i64 seg_len, char* out, int odt) {
    __shared__ A sh[RED_THREADS];
    const int t = threadIdx.x;
    for (i64 o = blockIdx.x; o < rows * segs; o += gridDim.x) {
        const i64 row = o / segs;
        const i64 s0 = (o - row * segs) * seg_len;
        const i64 e = s0 + seg_len < r ? s0 + seg_len : r;
        const i64 base = row * r;
        A acc = ridentity<A, OP>();
        for (i64 k = s0 + t; k < e; k += blockDim.x) {
            acc = rcombine<A, OP>(acc, rload<A>(in, dt, base + k));
        }
        sh[t] = acc;
        __syncthreads();
        for (int w = blockDim.x / 2; w > 0; w >>= 1) {
            if (t < w) sh[t] = rcombine<A, OP>(sh[t], sh[t + w]);
            __syncthreads();
        }
        if (t == 0) rstore<A>(out, odt, o, sh[0]);
        __syncthreads();
    }
}

template <typename A, int OP>
__device__ void reduce_outer(const char* in, int dt, i64 rows, i64 r, i64 c, char* out, int odt) {
    GRID_LOOP(o, rows * c) {
        const i64 row = o / c;
        const i64 col = o - row * c;
        const char* p = in;
        A acc = ridentity<A, OP>();
        for (i64 k = 0; k < r; k++) {
            acc = rcombine<A, OP>(acc, rload<A>(p, dt, (row * r + k) * c + col));
        }
        rstore<A>(out, odt, o, acc);
    }
}

#define TS_REDUCE(NAME, A, OP)                                                                       \
    extern "C" __global__ void ts_reduce_inner_##NAME(const char* in, int dt, i64 rows, i64 r, i64 segs, \
                                                      i64 seg_len, char* out, int odt) {             \
        reduce_inner<A, OP>(in, dt, rows, r, segs, seg_len, out, odt);                               \
    }                                                                                                \
    extern "C" __global__ void ts_reduce_outer_##NAME(const char* in, int dt, i64 rows, i64 r, i64 c,    \
                                                      char* out, int odt) {                          \
        reduce_outer<A, OP>(in, dt, rows, r, c, out, odt);                                           \
    }

TS_REDUCE(sum_f64, double, R_SUM)
TS_REDUCE(prod_f64, double, R_PROD)
TS_REDUCE(max_f64, double, R_MAX)
TS_REDUCE(min_f64, double, R_MIN)
TS_REDUCE(max_f32, float, R_MAX)
TS_REDUCE(min_f32, float, R_MIN)
TS_REDUCE(sum_i64, i64, R_SUM)
TS_REDUCE(prod_i64, i64, R_PROD)
TS_REDUCE(max_i64, i64, R_MAX)
TS_REDUCE(min_i64, i64, R_MIN)

// Whether (v, i) beats the best so far (bv, bi); bi < 0 means none yet.
template <typename V, bool MAX> __device__ __forceinline__ bool arg_better(V v, i64 i, V bv, i64 bi) {
    if (bi < 0) return true;
    const bool vn = v != v, bn = bv != bv;
    if (vn || bn) return vn && bn ? i < bi : vn;
    if (v == bv) return i < bi;
    return MAX ? v > bv : v < bv;
}

template <typename V> __device__ __forceinline__ V aload(const char* p, int dt, i64 i);
template <> __device__ __forceinline__ double aload<double>(const char* p, int dt, i64 i) { return load_f64(p, dt, i); }
template <> __device__ __forceinline__ i64 aload<i64>(const char* p, int dt, i64 i) { return load_i64(p, dt, i); }

template <typename V, bool MAX>
__device__ void arg_inner(const char* in, int dt, i64 rows, i64 r, i64* out) {
    __shared__ V sv[RED_THREADS];
    __shared__ i64 si[RED_THREADS];
    const int t = threadIdx.x;
    for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        V bv = (V)0;
        i64 bi = -1;
        for (i64 k = t; k < r; k += blockDim.x) {
            V v = aload<V>(in, dt, row * r + k);
            if (arg_better<V, MAX>(v, k, bv, bi)) {
                bv = v;
                bi = k;
            }
        }
        sv[t] = bv;
        si[t] = bi;
        __syncthreads();
        for (int w = blockDim.x / 2; w > 0; w >>= 1) {
            if (t < w && si[t + w] >= 0 && arg_better<V, MAX>(sv[t + w], si[t + w], sv[t], si[t])) {
                sv[t] = sv[t + w];
                si[t] = si[t + w];
            }
            __syncthreads();
        }
        if (t == 0) out[row] = si[0] < 0 ? 0 : si[0];
        __syncthreads();
    }
}

template <typename V, bool MAX>
__device__ void arg_outer(const char* in, int dt, i64 rows, i64 r, i64 c, i64* out) {
    GRID_LOOP(o, rows * c) {
        const i64 row = o / c;
        const i64 col = o - row * c;
        V bv = (V)0;
        i64 bi = -1;
        for (i64 k = 0; k < r; k++) {
            V v = aload<V>(in, dt, (row * r + k) * c + col);
            if (arg_better<V, MAX>(v, k, bv, bi)) {
                bv = v;
                bi = k;
            }
        }
        out[o] = bi < 0 ? 0 : bi;
    }
}

#define TS_ARG(NAME, V, MAX)                                                                          \
    extern "C" __global__ void ts_arg_inner_##NAME(const char* in, int dt, i64 rows, i64 r, i64* out) {  \
        arg_inner<V, MAX>(in, dt, rows, r, out);                                                      \
    }                                                                                                 \
    extern "C" __global__ void ts_arg_outer_##NAME(const char* in, int dt, i64 rows, i64 r, i64 c,       \
                                                   i64* out) {                                        \
        arg_outer<V, MAX>(in, dt, rows, r, c, out);                                                   \
    }

TS_ARG(max_f64, double, true)
TS_ARG(min_f64, double, false)
TS_ARG(max_i64, i64, true)
TS_ARG(min_i64, i64, false)
