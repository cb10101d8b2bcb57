// Shared definitions of the Tessera CUDA kernels: element types, loads and stores by a
// runtime dtype code, and the grid-stride loop. Every kernel is extern "C" so that the Java
// side finds it by a plain name in the PTX module.
#pragma once

typedef long long i64;
typedef unsigned long long u64;

// The most dims a kernel handles; the Java side checks shapes against it.
#define TS_MAX_RANK 8

// dtype codes: the ordinals of org.tessera.DType.
#define DT_F32 0
#define DT_F64 1
#define DT_I32 2
#define DT_I64 3
#define DT_BOOL 4

#define TS_NAN __longlong_as_double(0x7ff8000000000000LL)
#define TS_NANF __int_as_float(0x7fc00000)

// Grid-stride loop over [0, n).
#define GRID_LOOP(i, n) \
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)gridDim.x * blockDim.x)

// Java's float-to-integer conversion: NaN is 0, out-of-range values saturate.
__device__ __forceinline__ i64 java_f2l(double x) {
    if (x != x) return 0;
    if (x >= 9.2233720368547758e18) return 0x7fffffffffffffffLL;
    if (x <= -9.2233720368547758e18) return (i64)0x8000000000000000ULL;
    return (i64)x;
}

__device__ __forceinline__ double load_f64(const char* p, int dt, i64 i) {
    switch (dt) {
        case DT_F32: return (double)((const float*)p)[i];
        case DT_F64: return ((const double*)p)[i];
        case DT_I32: return (double)((const int*)p)[i];
        case DT_I64: return (double)((const i64*)p)[i];
        default: return (double)(((const unsigned char*)p)[i] != 0);
    }
}

__device__ __forceinline__ i64 load_i64(const char* p, int dt, i64 i) {
    switch (dt) {
        case DT_F32: return java_f2l((double)((const float*)p)[i]);
        case DT_F64: return java_f2l(((const double*)p)[i]);
        case DT_I32: return (i64)((const int*)p)[i];
        case DT_I64: return ((const i64*)p)[i];
        default: return ((const unsigned char*)p)[i] != 0;
    }
}

__device__ __forceinline__ void store_f64(char* p, int dt, i64 i, double v) {
    switch (dt) {
        case DT_F32: ((float*)p)[i] = (float)v; break;
        case DT_F64: ((double*)p)[i] = v; break;
        case DT_I32: ((int*)p)[i] = (int)java_f2l(v); break;
        case DT_I64: ((i64*)p)[i] = java_f2l(v); break;
        default: ((unsigned char*)p)[i] = v != 0; break;
    }
}

__device__ __forceinline__ void store_i64(char* p, int dt, i64 i, i64 v) {
    switch (dt) {
        case DT_F32: ((float*)p)[i] = (float)v; break;
        case DT_F64: ((double*)p)[i] = (double)v; break;
        case DT_I32: ((int*)p)[i] = (int)v; break;
        case DT_I64: ((i64*)p)[i] = v; break;
        default: ((unsigned char*)p)[i] = v != 0; break;
    }
}

// Element offset of the row-major linear index i under the given shape and strides.
__device__ __forceinline__ i64 strided_offset(i64 i, int rank, const i64* shape, const i64* strides) {
    i64 off = 0;
    for (int d = rank - 1; d >= 0; d--) {
        i64 s = shape[d];
        i64 q = i / s;
        off += (i - q * s) * strides[d];
        i = q;
    }
    return off;
}
