/* Row-wise neural-network kernels: one group per row (GROUP_ID(0) = row), its threads striding over the columns
   and combining with group_sum / group_max. Plus embedding gather / scatter-add and the AdamW update. */

/* mean = sum x / n; rstd = 1 / sqrt(sum (x - mean)^2 / n + eps); y = (x - mean) rstd gamma + beta */
KERNEL void layer_norm(GLOBAL const float* x, int x0, GLOBAL const float* gamma, int gamma0, GLOBAL const float* beta, int beta0,
    int cols, float eps, GLOBAL float* y, int y0, GLOBAL float* mean, int mean0, GLOBAL float* rstd, int rstd0)
{
    LOCAL float scratch[MAX_GROUP];
    int row = GROUP_ID(0);
    GLOBAL const float* xr = x + x0 + row * cols;
    float sum = 0.0f;
    for (int c = LOCAL_ID(0); c < cols; c += LOCAL_SIZE(0)) sum += xr[c];
    float mu = group_sum(scratch, sum) / (float)cols;
    float squares = 0.0f;
    for (int c = LOCAL_ID(0); c < cols; c += LOCAL_SIZE(0)) squares += (xr[c] - mu) * (xr[c] - mu);
    float r = 1.0f / gpu_sqrt(group_sum(scratch, squares) / (float)cols + eps);
    for (int c = LOCAL_ID(0); c < cols; c += LOCAL_SIZE(0))
        y[y0 + row * cols + c] = (xr[c] - mu) * r * gamma[gamma0 + c] + beta[beta0 + c];
    if (LOCAL_ID(0) == 0)
    {
        mean[mean0 + row] = mu;
        rstd[rstd0 + row] = r;
    }
}

/* With xhat = (x - mean) rstd and g = gamma dy:  dx = rstd (g - mean_c(g) - xhat mean_c(g xhat)).
   dgamma and dbeta are accumulated afterwards by layer_norm_param_grads. */
KERNEL void layer_norm_backward(GLOBAL const float* x, int x0, GLOBAL const float* gamma, int gamma0,
    GLOBAL const float* mean, int mean0, GLOBAL const float* rstd, int rstd0, GLOBAL const float* dy, int dy0,
    int cols, GLOBAL float* dx, int dx0)
{
    LOCAL float scratch[MAX_GROUP];
    int row = GROUP_ID(0);
    GLOBAL const float* xr = x + x0 + row * cols;
    GLOBAL const float* dyr = dy + dy0 + row * cols;
    float mu = mean[mean0 + row], r = rstd[rstd0 + row];
    float sum_g = 0.0f, sum_g_xhat = 0.0f;
    for (int c = LOCAL_ID(0); c < cols; c += LOCAL_SIZE(0))
    {
        float g = gamma[gamma0 + c] * dyr[c];
        sum_g += g;
        sum_g_xhat += g * (xr[c] - mu) * r;
    }
    float mean_g = group_sum(scratch, sum_g) / (float)cols;
    float mean_g_xhat = group_sum(scratch, sum_g_xhat) / (float)cols;
    for (int c = LOCAL_ID(0); c < cols; c += LOCAL_SIZE(0))
    {
        float xhat = (xr[c] - mu) * r;
        dx[dx0 + row * cols + c] = r * (gamma[gamma0 + c] * dyr[c] - mean_g - xhat * mean_g_xhat);
    }
}

/* dgamma[c] += sum_r dy xhat, dbeta[c] += sum_r dy; one thread per column, rows in order. */
KERNEL void layer_norm_param_grads(GLOBAL const float* x, int x0, GLOBAL const float* mean, int mean0,
    GLOBAL const float* rstd, int rstd0, GLOBAL const float* dy, int dy0, int rows, int cols,
    GLOBAL float* dgamma, int dgamma0, GLOBAL float* dbeta, int dbeta0)
{
    int c = global_index();
    if (c >= cols) return;
    float sum_dy_xhat = 0.0f, sum_dy = 0.0f;
    for (int r = 0; r < rows; r++)
    {
        float g = dy[dy0 + r * cols + c];
        sum_dy_xhat += g * (x[x0 + r * cols + c] - mean[mean0 + r]) * rstd[rstd0 + r];
        sum_dy += g;
    }
    dgamma[dgamma0 + c] += sum_dy_xhat;
    dbeta[dbeta0 + c] += sum_dy;
}

/* log sum_c exp(x[c]) of one row, stably: max + log sum exp(x - max). */
DEVICE_FN float row_log_sum_exp(LOCAL_PTR float* scratch, GLOBAL const float* xr, int cols)
{
    float best = -GPU_INFINITY;
    for (int c = LOCAL_ID(0); c < cols; c += LOCAL_SIZE(0)) best = gpu_fmax(best, xr[c]);
    best = group_max(scratch, best);
    float sum = 0.0f;
    for (int c = LOCAL_ID(0); c < cols; c += LOCAL_SIZE(0)) sum += gpu_exp(xr[c] - best);
    return best + gpu_log(group_sum(scratch, sum));
}

/* softmax: y = exp(x - lse); log-softmax: y = x - lse */
KERNEL void softmax(GLOBAL const float* x, int x0, int cols, int log_output, GLOBAL float* y, int y0)
{
    LOCAL float scratch[MAX_GROUP];
    int row = GROUP_ID(0);
    GLOBAL const float* xr = x + x0 + row * cols;
    float lse = row_log_sum_exp(scratch, xr, cols);
    for (int c = LOCAL_ID(0); c < cols; c += LOCAL_SIZE(0))
        y[y0 + row * cols + c] = log_output ? xr[c] - lse : gpu_exp(xr[c] - lse);
}

/* softmax: dx = y (dy - sum y dy); log-softmax: dx = dy - exp(y) sum dy */
KERNEL void softmax_backward(GLOBAL const float* y, int y0, GLOBAL const float* dy, int dy0, int cols, int log_output,
    GLOBAL float* dx, int dx0)
{
    LOCAL float scratch[MAX_GROUP];
    int row = GROUP_ID(0);
    GLOBAL const float* yr = y + y0 + row * cols;
    GLOBAL const float* dyr = dy + dy0 + row * cols;
    float partial = 0.0f;
    for (int c = LOCAL_ID(0); c < cols; c += LOCAL_SIZE(0)) partial += log_output ? dyr[c] : yr[c] * dyr[c];
    float total = group_sum(scratch, partial);
    for (int c = LOCAL_ID(0); c < cols; c += LOCAL_SIZE(0))
        dx[dx0 + row * cols + c] = log_output ? dyr[c] - gpu_exp(yr[c]) * total : yr[c] * (dyr[c] - total);
}

/* Per row: lse = log sum exp(logits); loss_row = lse - logits[label], or 0 when label == ignore_index.
   The host sums loss_rows and counts used rows. */
KERNEL void cross_entropy(GLOBAL const float* logits, int logits0, GLOBAL const int* labels, int labels0, int cols,
    int ignore_index, GLOBAL float* lse, int lse0, GLOBAL float* loss_rows)
{
    LOCAL float scratch[MAX_GROUP];
    int row = GROUP_ID(0);
    GLOBAL const float* xr = logits + logits0 + row * cols;
    float row_lse = row_log_sum_exp(scratch, xr, cols);
    if (LOCAL_ID(0) != 0) return;
    int label = labels[labels0 + row];
    lse[lse0 + row] = row_lse;
    loss_rows[row] = label == ignore_index ? 0.0f : row_lse - xr[label];
}

/* dlogits = scale (exp(logits - lse) - onehot(label)) on used rows, 0 on ignored rows; one thread per element. */
KERNEL void cross_entropy_backward(GLOBAL const float* logits, int logits0, GLOBAL const int* labels, int labels0,
    GLOBAL const float* lse, int lse0, int cols, int ignore_index, float scale, GLOBAL float* dlogits, int dlogits0, int n)
{
    int i = global_index();
    if (i >= n) return;
    int row = i / cols, col = i % cols, label = labels[labels0 + row];
    float value = 0.0f;
    if (label != ignore_index)
        value = scale * (gpu_exp(logits[logits0 + i] - lse[lse0 + row]) - (col == label ? 1.0f : 0.0f));
    dlogits[dlogits0 + i] = value;
}

/* y[i, d] = table[ids[i], d]; ids were range-checked on the host. */
KERNEL void embedding_gather(GLOBAL const float* table, int table0, GLOBAL const int* ids, int ids0, int dim,
    GLOBAL float* y, int y0, int n)
{
    int i = global_index();
    if (i < n) y[y0 + i] = table[table0 + ids[ids0 + i / dim] * dim + i % dim];
}

/* dtable[id, d] += sum of dy[pos, d] over the positions holding id. The host sorts positions by id: segment s
   covers order[starts[s] .. starts[s + 1]) and belongs to segment_ids[s]. One thread per (segment, d), adding in
   position order, so the result is deterministic and needs no atomics. */
KERNEL void embedding_scatter_add(GLOBAL const float* dy, int dy0, GLOBAL const int* order, GLOBAL const int* starts,
    GLOBAL const int* segment_ids, int segments, int dim, GLOBAL float* dtable, int dtable0)
{
    int i = global_index();
    if (i >= segments * dim) return;
    int s = i / dim, d = i % dim;
    float total = 0.0f;
    for (int j = starts[s]; j < starts[s + 1]; j++) total += dy[dy0 + order[j] * dim + d];
    dtable[dtable0 + segment_ids[s] * dim + d] += total;
}

/* AdamW: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
   p -= lr (m / c1 / (sqrt(v / c2) + eps) + wd p), with bias corrections c1 = 1 - b1^t, c2 = 1 - b2^t from the host. */
KERNEL void adamw(GLOBAL float* p, int p0, GLOBAL const float* g, int g0, GLOBAL float* m, int m0, GLOBAL float* v, int v0,
    float lr, float beta1, float beta2, float eps, float weight_decay, float correction1, float correction2, int n)
{
    int i = global_index();
    if (i >= n) return;
    float grad = g[g0 + i];
    float mi = beta1 * m[m0 + i] + (1.0f - beta1) * grad;
    float vi = beta2 * v[v0 + i] + (1.0f - beta2) * grad * grad;
    m[m0 + i] = mi;
    v[v0 + i] = vi;
    float param = p[p0 + i];
    p[p0 + i] = param - lr * ((mi / correction1) / (gpu_sqrt(vi / correction2) + eps) + weight_decay * param);
}
