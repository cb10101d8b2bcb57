// The Tessera CUDA kernels, compiled by engine/scripts/build-ptx.sh into one PTX module
// (src/main/resources/org/tessera/backend/cuda/tessera.ptx) that the engine loads through the
// CUDA driver API. Keep each kernel's parameter list in step with the Java launcher that
// names it (org.tessera.backend.cuda.*Kernel*).
#include "common.cuh"
#include "elementwise.cuh"
#include "reduce.cuh"
#include "copy.cuh"
#include "masked.cuh"
#include "gemm.cuh"
