// Masked select and scatter as an ordered stream compaction in three steps: count the true
// elements of each chunk (ts_mask_count), turn the counts into chunk offsets (an exclusive scan
// on the host: there are few chunks), and move the elements (ts_mask_apply), where each block
// scans its chunk tile by tile in shared memory so that the order of the elements is kept.
#pragma once
#include "common.cuh"

#define MASK_THREADS 256

extern "C" __global__ void ts_mask_count(const unsigned char* mask, i64 n, i64 chunk, i64* counts) {
    __shared__ i64 sh[MASK_THREADS];
    const int t = threadIdx.x;
    const i64 b = blockIdx.x;
    const i64 s = b * chunk;
    const i64 e = s + chunk < n ? s + chunk : n;
    i64 c = 0;
    for (i64 i = s + t; i < e; i += blockDim.x) c += mask[i] != 0;
    sh[t] = c;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w >>= 1) {
        if (t < w) sh[t] += sh[t + w];
        __syncthreads();
    }
    if (t == 0) counts[b] = sh[0];
}

// select != 0: dst[k] = src[i] for the k-th true mask element i (src has the mask's shape).
// select == 0: dst[i] = src[k] (dst has the mask's shape and was zeroed).
extern "C" __global__ void ts_mask_apply(const unsigned char* mask, i64 n, i64 chunk, const i64* offsets,
                                         const char* src, char* dst, i64 elem, int select) {
    __shared__ int scan[MASK_THREADS];
    const int t = threadIdx.x;
    const i64 b = blockIdx.x;
    const i64 s = b * chunk;
    const i64 e = s + chunk < n ? s + chunk : n;
    i64 base = offsets[b];
    for (i64 tile = s; tile < e; tile += blockDim.x) {
        const i64 i = tile + t;
        const int flag = i < e && mask[i] != 0;
        scan[t] = flag;
        __syncthreads();
        for (int w = 1; w < (int)blockDim.x; w <<= 1) {  // inclusive Hillis-Steele scan
            const int add = t >= w ? scan[t - w] : 0;
            __syncthreads();
            scan[t] += add;
            __syncthreads();
        }
        if (flag) {
            const i64 k = base + scan[t] - 1;
            const i64 from = select ? i : k;
            const i64 to = select ? k : i;
            switch (elem) {
                case 1: ((unsigned char*)dst)[to] = ((const unsigned char*)src)[from]; break;
                case 4: ((int*)dst)[to] = ((const int*)src)[from]; break;
                default: ((i64*)dst)[to] = ((const i64*)src)[from]; break;
            }
        }
        base += scan[blockDim.x - 1];
        __syncthreads();
    }
}
