// Fused elementwise chains: one kernel interprets a small register program per element, so a
// chain such as relu(a * b + c) reads each input once and writes only the result, with no
// runtime compilation (only libcuda is needed). Every thread runs the same program, so the
// dispatch branches are uniform across a warp.
//
// Program layout (all 8-byte words, packed by org.tessera.backend.cuda.FusedKernel):
//   header: numel, rank, nsteps, nleaves, out pointer, out dtype, general flag, shape[8]
//   leaves: pointer (at element 0), dtype, mode, strides[8]      (mode 0 contiguous, 1 scalar, 2 strided)
//   steps:  code = op | dtype << 8 | kind << 16 | a << 24 | b << 32 | c << 40, and an immediate
// Step s leaves its value in register s; the last step is the result.
#pragma once
#include "common.cuh"

#define FU_MAX_LEAVES 16
#define FU_MAX_STEPS 48

// operation codes (org.tessera.backend.cuda.FusedKernel keeps the same table)
#define FOP_LOAD 0
#define FOP_FILL 1
#define FOP_NEG 2
#define FOP_EXP 3
#define FOP_LOG 4
#define FOP_SQRT 5
#define FOP_ABS 6
#define FOP_SIGN 7
#define FOP_TANH 8
#define FOP_SIN 9
#define FOP_COS 10
#define FOP_NOT 11
#define FOP_CAST 12
#define FOP_ADD 13
#define FOP_SUB 14
#define FOP_MUL 15
#define FOP_DIV 16
#define FOP_POW 17
#define FOP_MAXIMUM 18
#define FOP_MINIMUM 19
#define FOP_EQ 20
#define FOP_NE 21
#define FOP_LT 22
#define FOP_LE 23
#define FOP_GT 24
#define FOP_GE 25
#define FOP_AND 26
#define FOP_OR 27
#define FOP_WHERE 28

// how a step computes: in float, double, or 64-bit integers (int32 and bool included)
#define K_F32 0
#define K_F64 1
#define K_I64 2

struct FusedLeaf {
    u64 ptr;
    i64 dtype;
    i64 mode;
    i64 strides[TS_MAX_RANK];
};

struct FusedStep {
    i64 code;
    i64 imm;
};

struct FusedArgs {
    i64 numel;
    i64 rank;
    i64 nsteps;
    i64 nleaves;
    u64 out;
    i64 out_dtype;
    i64 general;
    i64 shape[TS_MAX_RANK];
    FusedLeaf leaves[FU_MAX_LEAVES];
    FusedStep steps[FU_MAX_STEPS];
};

__device__ __forceinline__ float rf(u64 v) { return __int_as_float((int)(unsigned)v); }
__device__ __forceinline__ u64 wf(float f) { return (u64)(unsigned)__float_as_int(f); }
__device__ __forceinline__ double rd(u64 v) { return __longlong_as_double((i64)v); }
__device__ __forceinline__ u64 wd(double d) { return (u64)__double_as_longlong(d); }

__device__ __forceinline__ int kind_of(int dt) {
    return dt == DT_F32 ? K_F32 : dt == DT_F64 ? K_F64 : K_I64;
}

__device__ __forceinline__ u64 load_reg(const char* p, int dt, i64 i) {
    switch (dt) {
        case DT_F32: return wf(((const float*)p)[i]);
        case DT_F64: return wd(((const double*)p)[i]);
        case DT_I32: return (u64)(i64)((const int*)p)[i];
        case DT_I64: return (u64)((const i64*)p)[i];
        default: return ((const unsigned char*)p)[i] != 0;
    }
}

__device__ __forceinline__ void store_reg(char* p, int dt, i64 i, u64 v) {
    switch (dt) {
        case DT_F32: ((float*)p)[i] = rf(v); break;
        case DT_F64: ((double*)p)[i] = rd(v); break;
        case DT_I32: ((int*)p)[i] = (int)(i64)v; break;
        case DT_I64: ((i64*)p)[i] = (i64)v; break;
        default: ((unsigned char*)p)[i] = v != 0; break;
    }
}

// Integer power by squaring; negative exponents give 0 except for bases 1 and -1 (as the CPU).
__device__ __forceinline__ i64 int_pow(i64 base, i64 exp) {
    if (exp < 0) {
        return base == 1 ? 1 : base == -1 ? ((exp & 1) == 0 ? 1 : -1) : 0;
    }
    u64 r = 1, b = (u64)base;
    while (exp > 0) {
        if (exp & 1) r *= b;
        b *= b;
        exp >>= 1;
    }
    return (i64)r;
}

// Java's Math.max/min: NaN if either is NaN.
__device__ __forceinline__ float jmaxf(float a, float b) { return (a != a || b != b) ? TS_NANF : fmaxf(a, b); }
__device__ __forceinline__ float jminf(float a, float b) { return (a != a || b != b) ? TS_NANF : fminf(a, b); }
__device__ __forceinline__ double jmax(double a, double b) { return (a != a || b != b) ? TS_NAN : fmax(a, b); }
__device__ __forceinline__ double jmin(double a, double b) { return (a != a || b != b) ? TS_NAN : fmin(a, b); }

__device__ __forceinline__ u64 unary_op(int op, int k, u64 x) {
    if (k == K_F32) {
        float a = rf(x);
        switch (op) {
            case FOP_NEG: return wf(-a);
            case FOP_EXP: return wf(expf(a));
            case FOP_LOG: return wf(logf(a));
            case FOP_SQRT: return wf(sqrtf(a));
            case FOP_ABS: return wf(fabsf(a));
            case FOP_SIGN: return wf(a > 0 ? 1.0f : a < 0 ? -1.0f : 0.0f); // NaN and -0 give 0, as in PyTorch
            case FOP_TANH: return wf(tanhf(a));
            case FOP_SIN: return wf(sinf(a));
            default: return wf(cosf(a));
        }
    }
    if (k == K_F64) {
        double a = rd(x);
        switch (op) {
            case FOP_NEG: return wd(-a);
            case FOP_EXP: return wd(exp(a));
            case FOP_LOG: return wd(log(a));
            case FOP_SQRT: return wd(sqrt(a));
            case FOP_ABS: return wd(fabs(a));
            case FOP_SIGN: return wd(a > 0 ? 1.0 : a < 0 ? -1.0 : 0.0);
            case FOP_TANH: return wd(tanh(a));
            case FOP_SIN: return wd(sin(a));
            default: return wd(cos(a));
        }
    }
    i64 a = (i64)x;
    switch (op) {
        case FOP_NEG: return 0ULL - x;
        case FOP_ABS: return a < 0 ? 0ULL - x : x;
        case FOP_SIGN: return (u64)(i64)(a > 0 ? 1 : a < 0 ? -1 : 0);
        default: return a == 0;  // NOT
    }
}

__device__ __forceinline__ u64 cast_op(int from, int to, u64 x) {
    int k = kind_of(to);
    if (from == K_F32 || from == K_F64) {
        double a = from == K_F32 ? (double)rf(x) : rd(x);
        if (k == K_F32) return wf((float)a);
        if (k == K_F64) return wd(a);
        if (to == DT_BOOL) return a != 0;
        return (u64)java_f2l(a);
    }
    i64 a = (i64)x;
    if (k == K_F32) return wf((float)a);
    if (k == K_F64) return wd((double)a);
    return x;
}

__device__ __forceinline__ u64 binary_op(int op, int k, u64 x, u64 y) {
    if (k == K_F32) {
        float a = rf(x), b = rf(y);
        switch (op) {
            case FOP_ADD: return wf(a + b);
            case FOP_SUB: return wf(a - b);
            case FOP_MUL: return wf(a * b);
            case FOP_DIV: return wf(a / b);
            case FOP_POW: return wf(powf(a, b));
            case FOP_MAXIMUM: return wf(jmaxf(a, b));
            case FOP_MINIMUM: return wf(jminf(a, b));
            case FOP_EQ: return a == b;
            case FOP_NE: return a != b;
            case FOP_LT: return a < b;
            case FOP_LE: return a <= b;
            case FOP_GT: return a > b;
            default: return a >= b;
        }
    }
    if (k == K_F64) {
        double a = rd(x), b = rd(y);
        switch (op) {
            case FOP_ADD: return wd(a + b);
            case FOP_SUB: return wd(a - b);
            case FOP_MUL: return wd(a * b);
            case FOP_DIV: return wd(a / b);
            case FOP_POW: return wd(pow(a, b));
            case FOP_MAXIMUM: return wd(jmax(a, b));
            case FOP_MINIMUM: return wd(jmin(a, b));
            case FOP_EQ: return a == b;
            case FOP_NE: return a != b;
            case FOP_LT: return a < b;
            case FOP_LE: return a <= b;
            case FOP_GT: return a > b;
            default: return a >= b;
        }
    }
    i64 a = (i64)x, b = (i64)y;
    switch (op) {
        case FOP_ADD: return x + y;
        case FOP_SUB: return x - y;
        case FOP_MUL: return x * y;
        case FOP_POW: return (u64)int_pow(a, b);
        case FOP_MAXIMUM: return a > b ? x : y;
        case FOP_MINIMUM: return a < b ? x : y;
        case FOP_EQ: return a == b;
        case FOP_NE: return a != b;
        case FOP_LT: return a < b;
        case FOP_LE: return a <= b;
        case FOP_GT: return a > b;
        case FOP_GE: return a >= b;
        case FOP_AND: return a != 0 && b != 0;
        default: return a != 0 || b != 0;  // OR
    }
}

// Wraps integer results to int32 or bool, as storing and reloading would.
__device__ __forceinline__ u64 normalize(int dt, u64 v) {
    if (dt == DT_I32) return (u64)(i64)(int)(i64)v;
    if (dt == DT_BOOL) return v != 0;
    return v;
}

extern "C" __global__ void ts_fused(const FusedArgs a) {
    u64 reg[FU_MAX_STEPS];
    i64 coord[TS_MAX_RANK];
    const int rank = (int)a.rank;
    const int nsteps = (int)a.nsteps;
    const bool small = a.numel <= 0x7fffffffLL;
    GRID_LOOP(i, a.numel) {
        if (a.general) {
            if (small) {
                unsigned int r = (unsigned int)i;
                for (int d = rank - 1; d >= 0; d--) {
                    unsigned int s = (unsigned int)a.shape[d];
                    unsigned int q = r / s;
                    coord[d] = r - q * s;
                    r = q;
                }
            } else {
                i64 r = i;
                for (int d = rank - 1; d >= 0; d--) {
                    i64 q = r / a.shape[d];
                    coord[d] = r - q * a.shape[d];
                    r = q;
                }
            }
        }
        for (int s = 0; s < nsteps; s++) {
            const i64 code = a.steps[s].code;
            const int op = (int)(code & 0xff);
            const int dt = (int)((code >> 8) & 0xff);
            const int k = (int)((code >> 16) & 0xff);
            const int ia = (int)((code >> 24) & 0xff);
            const int ib = (int)((code >> 32) & 0xff);
            const int ic = (int)((code >> 40) & 0xff);
            u64 v;
            if (op == FOP_LOAD) {
                const FusedLeaf& leaf = a.leaves[ia];
                i64 off;
                if (leaf.mode == 0) {
                    off = i;
                } else if (leaf.mode == 1) {
                    off = 0;
                } else {
                    off = 0;
                    for (int d = 0; d < rank; d++) off += coord[d] * leaf.strides[d];
                }
                v = load_reg((const char*)leaf.ptr, (int)leaf.dtype, off);
            } else if (op == FOP_FILL) {
                v = (u64)a.steps[s].imm;
            } else if (op == FOP_CAST) {
                v = cast_op(k, dt, reg[ia]);
            } else if (op <= FOP_NOT) {
                v = unary_op(op, k, reg[ia]);
            } else if (op == FOP_WHERE) {
                v = reg[ia] != 0 ? reg[ib] : reg[ic];
            } else {
                v = binary_op(op, k, reg[ia], reg[ib]);
            }
            reg[s] = normalize(dt, v);
        }
        store_reg((char*)a.out, (int)a.out_dtype, i, reg[nsteps - 1]);
    }
}
