/* Reductions. One group per output; its threads stride over the reduced elements and combine in local memory. */

#define REDUCE_SUM 0
#define REDUCE_MEAN 1
#define REDUCE_MAX 2

/* x viewed as (outer, axis, inner) -> y (outer, inner); group g computes y[g] (a 1-D grid of outer*inner groups). */
KERNEL void reduce_axis(int kind, GLOBAL const float* x, int x0, int outer, int axis, int inner, GLOBAL float* y, int y0)
{
    LOCAL float scratch[MAX_GROUP];
    int out = GROUP_ID(0), o = out / inner, i = out % inner;
    GLOBAL const float* line = x + x0 + o * axis * inner + i;
    if (kind == REDUCE_MAX)
    {
        float best = -GPU_INFINITY;
        for (int a = LOCAL_ID(0); a < axis; a += LOCAL_SIZE(0)) best = gpu_fmax(best, line[a * inner]);
        best = group_max(scratch, best);
        if (LOCAL_ID(0) == 0) y[y0 + out] = best;
        return;
    }
    float total = 0.0f;
    for (int a = LOCAL_ID(0); a < axis; a += LOCAL_SIZE(0)) total += line[a * inner];
    total = group_sum(scratch, total);
    if (LOCAL_ID(0) == 0) y[y0 + out] = kind == REDUCE_MEAN ? total / (float)axis : total;
}

/* dst (+=) src summed over the dims where dst has size 1. `kept` has dst's shape with src's strides: it maps dst's
   flat index to the first src element contributing to it. `reduced` has the shape of the reduced dims only, with
   their src strides and offset 0: it walks the contributing elements. One thread per dst element. */
KERNEL void reduce_to_shape(GLOBAL const float* src, int src0, view_t kept, view_t reduced,
    GLOBAL float* dst, int dst0, int dst_count, int reduced_count)
{
    int d = global_index();
    if (d >= dst_count) return;
    int base = src0 + view_index(kept, d);
    float total = 0.0f;
    for (int j = 0; j < reduced_count; j++) total += src[base + view_index(reduced, j)];
    dst[dst0 + d] += total;
}

/* partial[g] = sum over a grid-strided slice of a[i] * b[i]; finished by reduce_axis over the partials. */
KERNEL void dot_partial(GLOBAL const float* a, int a0, GLOBAL const float* b, int b0, int n, GLOBAL float* partial)
{
    LOCAL float scratch[MAX_GROUP];
    float total = 0.0f;
    for (int i = global_index(); i < n; i += NUM_GROUPS(0) * LOCAL_SIZE(0))
        total += a[a0 + i] * b[b0 + i];
    total = group_sum(scratch, total);
    if (LOCAL_ID(0) == 0) partial[GROUP_ID(0)] = total;
}
