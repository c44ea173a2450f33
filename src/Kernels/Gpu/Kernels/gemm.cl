/* Batched SGEMM: c[z] = alpha op(a[z]) op(b[z]) + beta c[z], z = GROUP_ID(2); stride_a/stride_b of 0 broadcast one
   matrix to every batch. Launch: groups (ceil(n/TILE), ceil(m/TILE), batch) of TILE x TILE threads. Each thread
   owns one element of c; the group stages TILE x TILE blocks of op(a) and op(b) in local memory, so every element
   loaded from global memory is reused TILE times. */

#define TILE 16

/* op(a)[row, col] with a stored row-major (rows x lda), transposed when trans. */
DEVICE_FN float load_op(GLOBAL const float* a, int trans, int ld, int row, int col, int rows, int cols)
{
    if (row >= rows || col >= cols) return 0.0f;
    return trans ? a[col * ld + row] : a[row * ld + col];
}

KERNEL void sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
    GLOBAL const float* a, int a0, int lda, int stride_a,
    GLOBAL const float* b, int b0, int ldb, int stride_b,
    float beta, GLOBAL float* c, int c0, int ldc, int stride_c)
{
    LOCAL float tile_a[TILE][TILE];
    LOCAL float tile_b[TILE][TILE];
    int tx = LOCAL_ID(0), ty = LOCAL_ID(1);
    int col = GROUP_ID(0) * TILE + tx, row = GROUP_ID(1) * TILE + ty, batch = GROUP_ID(2);
    GLOBAL const float* a_batch = a + a0 + batch * stride_a;
    GLOBAL const float* b_batch = b + b0 + batch * stride_b;

    float acc = 0.0f;
    for (int p0 = 0; p0 < k; p0 += TILE)
    {
        tile_a[ty][tx] = load_op(a_batch, trans_a, lda, row, p0 + tx, m, k);
        tile_b[ty][tx] = load_op(b_batch, trans_b, ldb, p0 + ty, col, k, n);
        BARRIER();
        for (int p = 0; p < TILE; p++) acc += tile_a[ty][p] * tile_b[p][tx];
        BARRIER();
    }
    if (row < m && col < n)
    {
        GLOBAL float* target = c + c0 + batch * stride_c + row * ldc + col;
        /* beta == 0 must not read c: it may hold uninitialised memory (NaN * 0 = NaN). */
        *target = beta == 0.0f ? alpha * acc : alpha * acc + beta * *target;
    }
}
