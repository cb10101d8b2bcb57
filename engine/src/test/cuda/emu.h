// A host emulation of the CUDA execution model, enough to run the Tessera kernels on a CPU for
// testing their logic where no GPU exists: each block runs as blockDim.x OS threads that share
// the block's __shared__ variables (function statics; blocks run one at a time) and meet at a
// barrier for __syncthreads. Device intrinsics map to their host equivalents.
#pragma once
#include <barrier>
#include <cmath>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};
inline thread_local dim3 threadIdx;
inline thread_local dim3 blockIdx;
inline dim3 blockDim;
inline dim3 gridDim;
inline std::barrier<>* emu_barrier = nullptr;

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(x)

inline void __syncthreads() { emu_barrier->arrive_and_wait(); }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
inline double __longlong_as_double(long long i) { double d; std::memcpy(&d, &i, 8); return d; }
inline long long __double_as_longlong(double d) { long long i; std::memcpy(&i, &d, 8); return i; }
using std::fmax;
using std::fmin;

// Runs kernel(args...) on a grid; blocks one after another, the threads of a block at once.
template <typename... P, typename... A>
void emu_launch(void (*kernel)(P...), dim3 grid, unsigned threads, A... args) {
    gridDim = grid;
    blockDim = dim3{threads, 1, 1};
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                std::barrier<> bar(threads);
                emu_barrier = &bar;
                std::vector<std::thread> ts;
                for (unsigned t = 0; t < threads; t++) {
                    ts.emplace_back([=] {
                        threadIdx = dim3{t, 0, 0};
                        blockIdx = dim3{x, y, z};
                        kernel(args...);
                    });
                }
                for (auto& th : ts) th.join();
            }
}
