// Copies between strided views (both sides any strides, including broadcast zeros on the
// source): contiguous copies of views, the parts of cat, slice-scatter, staging for reductions
// and matmul. Offsets are in elements from element 0 of each side.
#pragma once
#include "common.cuh"

struct CopyGeom {
    i64 rank;
    i64 shape[TS_MAX_RANK];
    i64 src_strides[TS_MAX_RANK];
    i64 dst_strides[TS_MAX_RANK];
};

template <typename T>
__device__ void copy_strided(const T* src, T* dst, i64 numel, const CopyGeom& g) {
    const int rank = (int)g.rank;
    GRID_LOOP(i, numel) {
        i64 r = i, so = 0, doff = 0;
        for (int d = rank - 1; d >= 0; d--) {
            const i64 s = g.shape[d];
            const i64 q = r / s;
            const i64 c = r - q * s;
            so += c * g.src_strides[d];
            doff += c * g.dst_strides[d];
            r = q;
        }
        dst[doff] = src[so];
    }
}

extern "C" __global__ void ts_copy(const char* src, char* dst, i64 elem, i64 numel, const CopyGeom g) {
    switch (elem) {
        case 1: copy_strided<unsigned char>((const unsigned char*)src, (unsigned char*)dst, numel, g); break;
        case 2: copy_strided<short>((const short*)src, (short*)dst, numel, g); break;
        case 4: copy_strided<int>((const int*)src, (int*)dst, numel, g); break;
        default: copy_strided<i64>((const i64*)src, (i64*)dst, numel, g); break;
    }
}
