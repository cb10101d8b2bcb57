// Batched GEMM C[b] = A[b] @ B[b] for when cuBLAS is not available (and for integer types):
// a block computes a BM x BN tile of C, staging BK-wide slices of A and B in shared memory;
// each thread accumulates a TM x TN sub-tile in registers. Thread (tr, tc) owns rows
// tr + i * (BM / TM) and columns tc + j * (BN / TN), so shared-memory reads of a warp hit
// consecutive banks and the stores to C coalesce. A and B are read through their strides
// (row-major, transposed or sliced views need no copy); C is contiguous [batch, M, N].
#pragma once
#include "common.cuh"

template <typename T, typename Acc, int BM, int BN, int BK, int TM, int TN>
__device__ void gemm_tiled(const T* A, const T* B, T* C, i64 batches, i64 M, i64 N, i64 K,
                           i64 sab, i64 sam, i64 sak, i64 sbb, i64 sbk, i64 sbn) {
    constexpr int RT = BM / TM;  // threads along rows
    constexpr int CT = BN / TN;  // threads along columns
    constexpr int THREADS = RT * CT;
    __shared__ T As[BK][BM];
    __shared__ T Bs[BK][BN];
    const int tid = threadIdx.x;
    const int tr = tid / CT;
    const int tc = tid % CT;
    const i64 m0 = (i64)blockIdx.y * BM;
    const i64 n0 = (i64)blockIdx.x * BN;
    for (i64 b = blockIdx.z; b < batches; b += gridDim.z) {
        const T* Ab = A + b * sab;
        const T* Bb = B + b * sbb;
        Acc acc[TM][TN];
#pragma unroll
        for (int i = 0; i < TM; i++)
#pragma unroll
            for (int j = 0; j < TN; j++) acc[i][j] = (Acc)0;
        for (i64 k0 = 0; k0 < K; k0 += BK) {
            for (int l = tid; l < BM * BK; l += THREADS) {
                const int mm = l / BK, kk = l % BK;
                const i64 gm = m0 + mm, gk = k0 + kk;
                As[kk][mm] = (gm < M && gk < K) ? Ab[gm * sam + gk * sak] : (T)0;
            }
            for (int l = tid; l < BK * BN; l += THREADS) {
                const int kk = l / BN, nn = l % BN;
                const i64 gk = k0 + kk, gn = n0 + nn;
                Bs[kk][nn] = (gk < K && gn < N) ? Bb[gk * sbk + gn * sbn] : (T)0;
            }
            __syncthreads();
#pragma unroll
            for (int kk = 0; kk < BK; kk++) {
                Acc a[TM], bv[TN];
#pragma unroll
                for (int i = 0; i < TM; i++) a[i] = (Acc)As[kk][tr + i * RT];
#pragma unroll
                for (int j = 0; j < TN; j++) bv[j] = (Acc)Bs[kk][tc + j * CT];
#pragma unroll
                for (int i = 0; i < TM; i++)
#pragma unroll
                    for (int j = 0; j < TN; j++) acc[i][j] += a[i] * bv[j];
            }
            __syncthreads();
        }
        T* Cb = C + b * M * N;
#pragma unroll
        for (int i = 0; i < TM; i++) {
            const i64 gm = m0 + tr + i * RT;
            if (gm >= M) continue;
#pragma unroll
            for (int j = 0; j < TN; j++) {
                const i64 gn = n0 + tc + j * CT;
                if (gn < N) Cb[gm * N + gn] = (T)acc[i][j];
            }
        }
    }
}

// Block shapes: 256 threads each; the Java side reads the tile sizes from GemmKernel.
#define TS_GEMM(NAME, T, ACC, BM, BN, BK, TM, TN)                                                    \
    extern "C" __global__ void __launch_bounds__((BM / TM) * (BN / TN))                              \
        ts_gemm_##NAME(const T* A, const T* B, T* C, i64 batches, i64 M, i64 N, i64 K, i64 sab,      \
                       i64 sam, i64 sak, i64 sbb, i64 sbk, i64 sbn) {                                \
        gemm_tiled<T, ACC, BM, BN, BK, TM, TN>(A, B, C, batches, M, N, K, sab, sam, sak, sbb, sbk, sbn); \
    }

TS_GEMM(f32, float, float, 128, 128, 8, 8, 8)
TS_GEMM(f64, double, double, 64, 64, 8, 4, 4)
TS_GEMM(i64, i64, u64, 64, 64, 8, 4, 4)
TS_GEMM(i32, int, u64, 64, 64, 8, 4, 4)
