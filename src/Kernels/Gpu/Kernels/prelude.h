/*
 * The portable kernel dialect. Every .cl file in this folder is written against these macros only, so the same
 * text compiles as OpenCL C 1.2 (built at run time by the OpenCL driver) and as CUDA (compiled to PTX by clang with
 * no CUDA toolkit: -nocudainc -nocudalib, hence the NVVM builtins below instead of CUDA's headers).
 *
 * Launch model shared by both: a grid of groups (OpenCL work-groups, CUDA blocks), each of LOCAL_SIZE threads
 * (work-items); GLOBAL_ID(d) = GROUP_ID(d) * LOCAL_SIZE(d) + LOCAL_ID(d). The host always launches whole groups,
 * so kernels guard against indices past the end themselves.
 */
#ifndef BIGS_PRELUDE_H
#define BIGS_PRELUDE_H

#ifdef __OPENCL_VERSION__
/* ---------------------------------------------------------------- OpenCL C 1.2 */
#ifdef cl_khr_fp64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#define HAS_FP64 1   /* double arithmetic available (a few kernels use it for one precision-critical value) */
#endif
#define KERNEL __kernel
#define GLOBAL __global
#define LOCAL __local
#define LOCAL_PTR __local
#define DEVICE_FN static inline
#define LOCAL_ID(d) ((int)get_local_id(d))
#define GROUP_ID(d) ((int)get_group_id(d))
#define LOCAL_SIZE(d) ((int)get_local_size(d))
#define NUM_GROUPS(d) ((int)get_num_groups(d))
#define BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
typedef long i64;
#define gpu_exp(x) exp(x)
#define gpu_log(x) log(x)
#define gpu_sqrt(x) sqrt(x)
#define gpu_tanh(x) tanh(x)
#define gpu_erf(x) erf(x)
#define gpu_sin(x) sin(x)
#define gpu_cos(x) cos(x)
#define gpu_fabs(x) fabs(x)
#define gpu_fmax(a, b) fmax(a, b)
#define gpu_fmin(a, b) fmin(a, b)
#define gpu_fma(a, b, c) fma(a, b, c)
#define gpu_rint(x) rint(x)
#define GPU_INFINITY INFINITY

#else
/* ---------------------------------------------------------------- CUDA (clang, no CUDA headers) */
#define KERNEL extern "C" __attribute__((global))
#define GLOBAL
#define LOCAL __attribute__((shared))
#define LOCAL_PTR
#define DEVICE_FN static __attribute__((device)) inline
#define CUDA_XYZ(prefix, d) ((d) == 0 ? prefix##_x() : (d) == 1 ? prefix##_y() : prefix##_z())
#define LOCAL_ID(d) CUDA_XYZ(__nvvm_read_ptx_sreg_tid, d)
#define GROUP_ID(d) CUDA_XYZ(__nvvm_read_ptx_sreg_ctaid, d)
#define LOCAL_SIZE(d) CUDA_XYZ(__nvvm_read_ptx_sreg_ntid, d)
#define NUM_GROUPS(d) CUDA_XYZ(__nvvm_read_ptx_sreg_nctaid, d)
#define BARRIER() __syncthreads()
#define HAS_FP64 1
typedef long long i64;
#define GPU_INFINITY __builtin_inff()

/* exp(x) = 2^(x log2 e) */
DEVICE_FN float gpu_exp(float x) { return __nvvm_ex2_approx_f(x * 1.4426950408889634f); }
/* log(x) = log2(x) ln 2 */
DEVICE_FN float gpu_log(float x) { return __nvvm_lg2_approx_f(x) * 0.6931471805599453f; }
DEVICE_FN float gpu_sqrt(float x) { return __nvvm_sqrt_rn_f(x); }
DEVICE_FN float gpu_fabs(float x) { return __builtin_fabsf(x); }
DEVICE_FN float gpu_fmax(float a, float b) { return __builtin_fmaxf(a, b); }
DEVICE_FN float gpu_fmin(float a, float b) { return __builtin_fminf(a, b); }
/* a b + c with one rounding (fma.rn.f32) and round to nearest integer (cvt.rni). */
DEVICE_FN float gpu_fma(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
DEVICE_FN float gpu_rint(float x) { return __builtin_rintf(x); }
/* tanh(x) = sign(x) (1 - 2 / (e^(2|x|) + 1)), exact to float rounding for all x (no overflow: e^inf gives 1). */
DEVICE_FN float gpu_tanh(float x)
{
    float t = 1.0f - 2.0f / (gpu_exp(2.0f * gpu_fabs(x)) + 1.0f);
    return x < 0.0f ? -t : t;
}
/* erf by Abramowitz & Stegun 7.1.26: 1 - (a1 t + ... + a5 t^5) e^(-x^2), t = 1/(1 + p|x|); |error| < 1.5e-7. */
DEVICE_FN float gpu_erf(float x)
{
    float ax = gpu_fabs(x);
    float t = 1.0f / (1.0f + 0.3275911f * ax);
    float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
    float r = 1.0f - poly * gpu_exp(-ax * ax);
    return x < 0.0f ? -r : r;
}
/* sin/cos: reduce to [-pi, pi] (x - 2 pi round(x / 2 pi)) where the hardware approximation is accurate. */
DEVICE_FN float gpu_reduce_angle(float x)
{
    float turns = __builtin_floorf(x * 0.15915494309189535f + 0.5f);
    return x - turns * 6.283185307179586f;
}
DEVICE_FN float gpu_sin(float x) { return __nvvm_sin_approx_f(gpu_reduce_angle(x)); }
DEVICE_FN float gpu_cos(float x) { return __nvvm_cos_approx_f(gpu_reduce_angle(x)); }
#endif

/* ---------------------------------------------------------------- shared helpers (both dialects) */

/* Index of this thread in a 1-D launch. */
DEVICE_FN int global_index(void) { return GROUP_ID(0) * LOCAL_SIZE(0) + LOCAL_ID(0); }

/* Tensor views: rank, element offset, shape and strides (stride 0 broadcasts, negative flips). Same layout as the
   host's GpuView struct; passed by value. */
#define MAX_RANK 8
typedef struct
{
    int rank;
    int offset;
    int shape[MAX_RANK];
    int strides[MAX_RANK];
} view_t;

/* Storage index of the element at row-major position `flat` of the view's shape. */
DEVICE_FN int view_index(view_t v, int flat)
{
    int index = v.offset;
    for (int d = v.rank - 1; d >= 0; d--)
    {
        int size = v.shape[d];
        index += (flat % size) * v.strides[d];
        flat /= size;
    }
    return index;
}

/* Sum of `value` over the group, returned to every thread; scratch holds LOCAL_SIZE(0) floats, a power of two. */
DEVICE_FN float group_sum(LOCAL_PTR float* scratch, float value)
{
    int lid = LOCAL_ID(0);
    scratch[lid] = value;
    BARRIER();
    for (int step = LOCAL_SIZE(0) / 2; step > 0; step /= 2)
    {
        if (lid < step) scratch[lid] += scratch[lid + step];
        BARRIER();
    }
    float total = scratch[0];
    BARRIER();
    return total;
}

/* Maximum of `value` over the group (same contract as group_sum). */
DEVICE_FN float group_max(LOCAL_PTR float* scratch, float value)
{
    int lid = LOCAL_ID(0);
    scratch[lid] = value;
    BARRIER();
    for (int step = LOCAL_SIZE(0) / 2; step > 0; step /= 2)
    {
        if (lid < step) scratch[lid] = gpu_fmax(scratch[lid], scratch[lid + step]);
        BARRIER();
    }
    float total = scratch[0];
    BARRIER();
    return total;
}

/* Largest group size any kernel here uses (the size of the LOCAL scratch arrays). */
#define MAX_GROUP 256

#endif
