// Runs the Tessera CUDA kernels on the host through emu.h and checks them against plain C++
// references: fused elementwise programs (broadcasting, casts, integer wrap-around, NaN rules),
// strided copies, reductions (segments, NaN, integer), argmax/argmin, masked select and scatter,
// and the tiled GEMM on edge-sized, transposed and batched operands. Build and run with
// engine/scripts/emulate-kernels.sh (needs only g++ with C++20).
#include "emu.h"
#include "../../main/cuda/tessera.cu"

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

static int failures = 0;

static void check(bool ok, const std::string& what) {
    if (!ok) {
        std::printf("FAIL: %s\n", what.c_str());
        failures++;
    }
}

static bool near(double e, double a, double tol) {
    if (std::isnan(e)) return std::isnan(a);
    return std::fabs(e - a) <= tol * std::fmax(1.0, std::fabs(e));
}

static i64 code(int op, int dt, int k, int a = 0, int b = 0, int c = 0) {
    return op | ((i64)dt << 8) | ((i64)k << 16) | ((i64)a << 24) | ((i64)b << 32) | ((i64)c << 40);
}

static void fused_chain_with_broadcast() {
    // out[2,3] = where(a*b + 1.5 > 0, a*b + 1.5, 0); a [2,3] contiguous, b [3] broadcast over rows
    std::vector<float> a = {1, -2, 3, -4, 5, -6}, b = {0.5f, 2, -1}, out(6);
    FusedArgs f{};
    f.numel = 6; f.rank = 2; f.nsteps = 9; f.nleaves = 2; f.out = (u64)out.data(); f.out_dtype = DT_F32; f.general = 1;
    f.shape[0] = 2; f.shape[1] = 3;
    f.leaves[0] = {(u64)a.data(), DT_F32, 0, {3, 1}};
    f.leaves[1] = {(u64)b.data(), DT_F32, 2, {0, 1}};
    float one5 = 1.5f, zero = 0;
    f.steps[0] = {code(FOP_LOAD, DT_F32, K_F32, 0), 0};
    f.steps[1] = {code(FOP_LOAD, DT_F32, K_F32, 1), 0};
    f.steps[2] = {code(FOP_MUL, DT_F32, K_F32, 0, 1), 0};
    f.steps[3] = {code(FOP_FILL, DT_F32, K_F32), (i64)(unsigned)__float_as_int(one5)};
    f.steps[4] = {code(FOP_ADD, DT_F32, K_F32, 2, 3), 0};
    f.steps[5] = {code(FOP_FILL, DT_F32, K_F32), (i64)(unsigned)__float_as_int(zero)};
    f.steps[6] = {code(FOP_GT, DT_BOOL, K_F32, 4, 5), 0};
    f.steps[7] = {code(FOP_FILL, DT_F32, K_F32), 0};
    f.steps[8] = {code(FOP_WHERE, DT_F32, K_F32, 6, 4, 7), 0};
    emu_launch(ts_fused, dim3{2, 1, 1}, 4, f);
    for (int i = 0; i < 6; i++) {
        float t = a[i] * b[i % 3] + 1.5f;
        check(out[i] == (t > 0 ? t : 0), "fused where/relu element " + std::to_string(i));
    }
}

static void fused_casts_and_integers() {
    std::vector<float> x = {-2.7f, 2.7f, NAN, 1e20f};
    std::vector<i64> l(4);
    std::vector<int> w(4);
    std::vector<unsigned char> bo(4);
    FusedArgs f{};
    f.numel = 4; f.rank = 1; f.nsteps = 2; f.nleaves = 1; f.out = (u64)l.data(); f.out_dtype = DT_I64;
    f.shape[0] = 4;
    f.leaves[0] = {(u64)x.data(), DT_F32, 0, {1}};
    f.steps[0] = {code(FOP_LOAD, DT_F32, K_F32, 0), 0};
    f.steps[1] = {code(FOP_CAST, DT_I64, K_F32, 0), 0};
    emu_launch(ts_fused, dim3{1, 1, 1}, 8, f);
    check(l[0] == -2 && l[1] == 2 && l[2] == 0 && l[3] == 0x7fffffffffffffffLL, "float to int64 casts like Java");
    // int32 wrap-around: MAX + MAX
    std::vector<int> iv = {0x7fffffff, -5, 3, 4};
    f.out = (u64)w.data(); f.out_dtype = DT_I32; f.nsteps = 2;
    f.leaves[0] = {(u64)iv.data(), DT_I32, 0, {1}};
    f.steps[0] = {code(FOP_LOAD, DT_I32, K_I64, 0), 0};
    f.steps[1] = {code(FOP_ADD, DT_I32, K_I64, 0, 0), 0};
    emu_launch(ts_fused, dim3{1, 1, 1}, 8, f);
    check(w[0] == -2 && w[1] == -10 && w[3] == 8, "int32 addition wraps");
    // integer pow and bool output of a comparison against a scalar leaf (mode 1)
    std::vector<i64> base = {2, -3, 5, 0}, exps = {10};
    f.out = (u64)l.data(); f.out_dtype = DT_I64; f.nleaves = 2; f.nsteps = 3;
    f.leaves[0] = {(u64)base.data(), DT_I64, 0, {1}};
    f.leaves[1] = {(u64)exps.data(), DT_I64, 1, {0}};
    f.steps[0] = {code(FOP_LOAD, DT_I64, K_I64, 0), 0};
    f.steps[1] = {code(FOP_LOAD, DT_I64, K_I64, 1), 0};
    f.steps[2] = {code(FOP_POW, DT_I64, K_I64, 0, 1), 0};
    emu_launch(ts_fused, dim3{1, 1, 1}, 8, f);
    check(l[0] == 1024 && l[1] == 59049 && l[2] == 9765625 && l[3] == 0, "integer pow");
    f.out = (u64)bo.data(); f.out_dtype = DT_BOOL;
    f.steps[2] = {code(FOP_LT, DT_BOOL, K_I64, 0, 1), 0};
    emu_launch(ts_fused, dim3{1, 1, 1}, 8, f);
    check(bo[0] == 1 && bo[1] == 1 && bo[2] == 1 && bo[3] == 1, "comparison with a broadcast scalar");
    // NaN-propagating maximum, and sign of NaN and zero, in float64
    std::vector<double> d = {NAN, -0.0, 3, -1}, dout(4);
    f.out = (u64)dout.data(); f.out_dtype = DT_F64; f.nleaves = 1; f.nsteps = 3;
    f.leaves[0] = {(u64)d.data(), DT_F64, 0, {1}};
    f.steps[0] = {code(FOP_LOAD, DT_F64, K_F64, 0), 0};
    f.steps[1] = {code(FOP_FILL, DT_F64, K_F64), __double_as_longlong(0.0)};
    f.steps[2] = {code(FOP_MAXIMUM, DT_F64, K_F64, 0, 1), 0};
    emu_launch(ts_fused, dim3{1, 1, 1}, 8, f);
    check(std::isnan(dout[0]) && dout[2] == 3 && dout[3] == 0, "maximum propagates NaN");
    f.nsteps = 2;
    f.steps[1] = {code(FOP_SIGN, DT_F64, K_F64, 0), 0};
    emu_launch(ts_fused, dim3{1, 1, 1}, 8, f);
    // sign of NaN and of -0 is +0, as PyTorch's (and the CPU backend's)
    check(dout[0] == 0 && !std::signbit(dout[0]) && dout[1] == 0 && !std::signbit(dout[1]) && dout[2] == 1
          && dout[3] == -1, "sign");
}

static void strided_copy() {
    std::vector<int> src(15), dst(15);
    for (int i = 0; i < 15; i++) src[i] = i;
    CopyGeom g{};
    g.rank = 2; g.shape[0] = 5; g.shape[1] = 3;          // the transpose of a 3x5 matrix
    g.src_strides[0] = 1; g.src_strides[1] = 5;
    g.dst_strides[0] = 3; g.dst_strides[1] = 1;
    emu_launch(ts_copy, dim3{2, 1, 1}, 4, (const char*)src.data(), (char*)dst.data(), (i64)4, (i64)15, g);
    bool ok = true;
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 3; c++) ok &= dst[r * 3 + c] == src[c * 5 + r];
    check(ok, "strided transpose copy");
}

static void reductions() {
    const int rows = 2, r = 10000, segs = 4, seg = (r + segs - 1) / segs;
    std::vector<float> x(rows * r);
    std::mt19937 gen(1);
    std::normal_distribution<float> nd;
    for (auto& v : x) v = nd(gen);
    std::vector<double> partial(rows * segs);
    std::vector<float> out(rows);
    emu_launch(ts_reduce_inner_sum_f64, dim3{3, 1, 1}, 64, (const char*)x.data(), DT_F32, (i64)rows, (i64)r,
               (i64)segs, (i64)seg, (char*)partial.data(), DT_F64);
    emu_launch(ts_reduce_inner_sum_f64, dim3{1, 1, 1}, 64, (const char*)partial.data(), DT_F64, (i64)rows,
               (i64)segs, (i64)1, (i64)segs, (char*)out.data(), DT_F32);
    for (int i = 0; i < rows; i++) {
        double s = 0;
        for (int k = 0; k < r; k++) s += x[i * r + k];
        check(near(s, out[i], 1e-5), "segmented sum row " + std::to_string(i));
    }
    // outer max over R with C columns, NaN in one column
    const int A = 2, R = 5, C = 3;
    std::vector<float> y(A * R * C), mx(A * C);
    for (int i = 0; i < A * R * C; i++) y[i] = (float)((i * 7) % 11);
    y[1 * R * C + 2 * C + 1] = NAN;
    emu_launch(ts_reduce_outer_max_f32, dim3{2, 1, 1}, 4, (const char*)y.data(), DT_F32, (i64)A, (i64)R, (i64)C,
               (char*)mx.data(), DT_F32);
    for (int a = 0; a < A; a++)
        for (int c = 0; c < C; c++) {
            double m = -INFINITY;
            bool nan = false;
            for (int k = 0; k < R; k++) {
                float v = y[(a * R + k) * C + c];
                nan |= std::isnan(v);
                m = std::fmax(m, v);
            }
            check(nan ? std::isnan(mx[a * C + c]) : mx[a * C + c] == m, "outer max");
        }
    // int64 product wraps, bool max
    std::vector<i64> big = {1LL << 40, 1LL << 30, 3};
    std::vector<i64> prod(1);
    emu_launch(ts_reduce_inner_prod_i64, dim3{1, 1, 1}, 4, (const char*)big.data(), DT_I64, (i64)1, (i64)3, (i64)1,
               (i64)3, (char*)prod.data(), DT_I64);
    check(prod[0] == (i64)((u64)(1LL << 40) * (u64)(1LL << 30) * 3ULL), "int64 product wraps");
    std::vector<unsigned char> flags = {0, 0, 1, 0}, any(1);
    emu_launch(ts_reduce_inner_max_i64, dim3{1, 1, 1}, 4, (const char*)flags.data(), DT_BOOL, (i64)1, (i64)4,
               (i64)1, (i64)4, (char*)any.data(), DT_BOOL);
    check(any[0] == 1, "bool max");
}

static void arg_reductions() {
    std::vector<float> x = {1, NAN, 3, NAN, 3, 3, 0, 0, 2, 2, -1, -1};  // rows of 6
    std::vector<i64> am(2), an(2);
    emu_launch(ts_arg_inner_max_f64, dim3{1, 1, 1}, 4, (const char*)x.data(), DT_F32, (i64)2, (i64)6, am.data());
    emu_launch(ts_arg_inner_min_f64, dim3{2, 1, 1}, 8, (const char*)x.data(), DT_F32, (i64)2, (i64)6, an.data());
    check(am[0] == 1 && am[1] == 2, "argmax: first NaN wins, ties take the first");
    check(an[0] == 1 && an[1] == 4, "argmin: NaN wins, ties take the first");
    std::vector<i64> v = {5, 9, 9, 5, 1, 1};  // [A=1, R=3, C=2]
    std::vector<i64> oc(2);
    emu_launch(ts_arg_outer_max_i64, dim3{1, 1, 1}, 4, (const char*)v.data(), DT_I64, (i64)1, (i64)3, (i64)2,
               oc.data());
    check(oc[0] == 1 && oc[1] == 0, "outer argmax on integers");
}

static void masked() {
    const i64 n = 10000, chunk = 4096, chunks = (n + chunk - 1) / chunk;
    std::vector<unsigned char> mask(n);
    std::vector<float> src(n);
    std::vector<float> expect;
    for (i64 i = 0; i < n; i++) {
        mask[i] = (i * 37 % 11) < 4;
        src[i] = (float)i;
        if (mask[i]) expect.push_back(src[i]);
    }
    std::vector<i64> offsets(chunks);
    emu_launch(ts_mask_count, dim3{(unsigned)chunks, 1, 1}, 64, mask.data(), n, chunk, offsets.data());
    i64 total = 0;
    for (auto& o : offsets) {
        i64 c = o;
        o = total;
        total += c;
    }
    check(total == (i64)expect.size(), "mask count");
    std::vector<float> out(total);
    emu_launch(ts_mask_apply, dim3{(unsigned)chunks, 1, 1}, 64, (const unsigned char*)mask.data(), n, chunk,
               (const i64*)offsets.data(), (const char*)src.data(), (char*)out.data(), (i64)4, 1);
    check(out == expect, "masked select keeps order");
    std::vector<float> back(n, 0);
    emu_launch(ts_mask_apply, dim3{(unsigned)chunks, 1, 1}, 64, (const unsigned char*)mask.data(), n, chunk,
               (const i64*)offsets.data(), (const char*)out.data(), (char*)back.data(), (i64)4, 0);
    bool ok = true;
    for (i64 i = 0; i < n; i++) ok &= back[i] == (mask[i] ? src[i] : 0);
    check(ok, "masked scatter is the inverse");
}

template <typename T, typename K>
static void gemm_case(K kernel, int tile, i64 batch, i64 M, i64 N, i64 K_, bool transA, const char* name) {
    std::vector<T> A(batch * M * K_), B(batch * K_ * N), C(batch * M * N);
    for (size_t i = 0; i < A.size(); i++) A[i] = (T)((int)(i % 7) - 3);
    for (size_t i = 0; i < B.size(); i++) B[i] = (T)((int)(i % 5) - 2);
    // A is read as [M, K] through strides; stored transposed when transA
    i64 sam = transA ? 1 : K_, sak = transA ? M : 1;
    dim3 grid{(unsigned)((N + tile - 1) / tile), (unsigned)((M + tile - 1) / tile), (unsigned)batch};
    emu_launch(kernel, grid, 256, (const T*)A.data(), (const T*)B.data(), C.data(), batch, M, N, K_, M * K_, sam, sak,
               K_ * N, N, (i64)1);
    bool ok = true;
    for (i64 b = 0; b < batch; b++)
        for (i64 i = 0; i < M; i++)
            for (i64 j = 0; j < N; j++) {
                T s = 0;
                for (i64 k = 0; k < K_; k++) s += A[b * M * K_ + i * sam + k * sak] * B[b * K_ * N + k * N + j];
                ok &= C[b * M * N + i * N + j] == s;
            }
    check(ok, std::string("gemm ") + name);
}

int main() {
    fused_chain_with_broadcast();
    fused_casts_and_integers();
    strided_copy();
    reductions();
    arg_reductions();
    masked();
    gemm_case<float>(ts_gemm_f32, 128, 1, 130, 70, 33, false, "f32 130x33 @ 33x70");
    gemm_case<float>(ts_gemm_f32, 128, 2, 5, 129, 9, true, "f32 batched, transposed A");
    gemm_case<double>(ts_gemm_f64, 64, 1, 65, 3, 17, false, "f64");
    gemm_case<i64>(ts_gemm_i64, 64, 1, 7, 66, 8, true, "i64");
    gemm_case<int>(ts_gemm_i32, 64, 1, 3, 3, 70, false, "i32");
    if (failures) {
        std::printf("emulated kernels: %d check(s) failed\n", failures);
        return 1;
    }
    std::printf("emulated kernels: all checks passed\n");
    return 0;
}
