/* Elementwise kernels: one thread per element (1-D launch). Op codes follow the host enums UnaryOp, BinaryOp and
   GeluKind in declaration order. */

#define UNARY_NEG 0
#define UNARY_ABS 1
#define UNARY_EXP 2
#define UNARY_LOG 3
#define UNARY_SQRT 4
#define UNARY_RSQRT 5
#define UNARY_SQUARE 6
#define UNARY_RECIPROCAL 7
#define UNARY_TANH 8
#define UNARY_SIGMOID 9
#define UNARY_RELU 10
#define UNARY_GELU_TANH 11
#define UNARY_GELU_ERF 12

#define BINARY_ADD 0
#define BINARY_SUB 1
#define BINARY_MUL 2
#define BINARY_DIV 3
#define BINARY_MAX 4
#define BINARY_MIN 5

#define GELU_TANH 0
#define GELU_ERF 1

#define SQRT_2_OVER_PI 0.7978845608028654f
#define INV_SQRT_2 0.7071067811865476f
#define INV_SQRT_2PI 0.3989422804014327f

/* gelu_tanh(x) = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
DEVICE_FN float gelu_tanh(float x)
{
    return 0.5f * x * (1.0f + gpu_tanh(SQRT_2_OVER_PI * (x + 0.044715f * x * x * x)));
}

/* d/dx: (1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2), t = the tanh above */
DEVICE_FN float gelu_tanh_grad(float x)
{
    float t = gpu_tanh(SQRT_2_OVER_PI * (x + 0.044715f * x * x * x));
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * SQRT_2_OVER_PI * (1.0f + 3.0f * 0.044715f * x * x);
}

/* gelu_erf(x) = x Phi(x) = x/2 (1 + erf(x / sqrt 2)) */
DEVICE_FN float gelu_erf(float x) { return 0.5f * x * (1.0f + gpu_erf(x * INV_SQRT_2)); }

/* d/dx: Phi(x) + x phi(x), phi(x) = exp(-x^2/2) / sqrt(2 pi) */
DEVICE_FN float gelu_erf_grad(float x)
{
    return 0.5f * (1.0f + gpu_erf(x * INV_SQRT_2)) + x * gpu_exp(-0.5f * x * x) * INV_SQRT_2PI;
}

DEVICE_FN float gelu(int kind, float x) { return kind == GELU_TANH ? gelu_tanh(x) : gelu_erf(x); }
DEVICE_FN float gelu_grad(int kind, float x) { return kind == GELU_TANH ? gelu_tanh_grad(x) : gelu_erf_grad(x); }

DEVICE_FN float apply_unary(int op, float x)
{
    switch (op)
    {
        case UNARY_NEG: return -x;
        case UNARY_ABS: return gpu_fabs(x);
        case UNARY_EXP: return gpu_exp(x);
        case UNARY_LOG: return gpu_log(x);
        case UNARY_SQRT: return gpu_sqrt(x);
        case UNARY_RSQRT: return 1.0f / gpu_sqrt(x);
        case UNARY_SQUARE: return x * x;
        case UNARY_RECIPROCAL: return 1.0f / x;
        case UNARY_TANH: return gpu_tanh(x);
        case UNARY_SIGMOID: return 1.0f / (1.0f + gpu_exp(-x));
        case UNARY_RELU: return x > 0.0f ? x : 0.0f;
        case UNARY_GELU_TANH: return gelu_tanh(x);
        default: return gelu_erf(x);
    }
}

/* op'(x), using y = op(x) where that is cheaper. */
DEVICE_FN float unary_derivative(int op, float x, float y)
{
    switch (op)
    {
        case UNARY_NEG: return -1.0f;
        case UNARY_ABS: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
        case UNARY_EXP: return y;
        case UNARY_LOG: return 1.0f / x;
        case UNARY_SQRT: return 0.5f / y;
        case UNARY_RSQRT: return -0.5f * y * y * y;          /* d x^(-1/2) = -x^(-3/2)/2 */
        case UNARY_SQUARE: return 2.0f * x;
        case UNARY_RECIPROCAL: return -y * y;                 /* d 1/x = -1/x^2 */
        case UNARY_TANH: return 1.0f - y * y;
        case UNARY_SIGMOID: return y * (1.0f - y);
        case UNARY_RELU: return x > 0.0f ? 1.0f : 0.0f;
        case UNARY_GELU_TANH: return gelu_tanh_grad(x);
        default: return gelu_erf_grad(x);
    }
}

DEVICE_FN float apply_binary(int op, float a, float b)
{
    switch (op)
    {
        case BINARY_ADD: return a + b;
        case BINARY_SUB: return a - b;
        case BINARY_MUL: return a * b;
        case BINARY_DIV: return a / b;
        case BINARY_MAX: return a > b ? a : b;
        default: return a < b ? a : b;
    }
}

KERNEL void fill(GLOBAL float* y, int y0, int n, float value)
{
    int i = global_index();
    if (i < n) y[y0 + i] = value;
}

/* dst[i] = src[view(i)] for 4-byte elements (float32 and int32 move the same bits). */
KERNEL void copy_strided_32(GLOBAL const unsigned int* src, view_t view, GLOBAL unsigned int* dst, int dst0, int n)
{
    int i = global_index();
    if (i < n) dst[dst0 + i] = src[view_index(view, i)];
}

/* Same for 8-byte elements (int64). */
KERNEL void copy_strided_64(GLOBAL const i64* src, view_t view, GLOBAL i64* dst, int dst0, int n)
{
    int i = global_index();
    if (i < n) dst[dst0 + i] = src[view_index(view, i)];
}

KERNEL void unary(int op, GLOBAL const float* x, int x0, GLOBAL float* y, int y0, int n)
{
    int i = global_index();
    if (i < n) y[y0 + i] = apply_unary(op, x[x0 + i]);
}

/* dx = dy * op'(x) */
KERNEL void unary_backward(int op, GLOBAL const float* x, int x0, GLOBAL const float* y, int y0,
    GLOBAL const float* dy, int dy0, GLOBAL float* dx, int dx0, int n)
{
    int i = global_index();
    if (i < n) dx[dx0 + i] = dy[dy0 + i] * unary_derivative(op, x[x0 + i], y[y0 + i]);
}

/* y = a op b with a and b strided views of y's shape (broadcast dims have stride 0). */
KERNEL void binary(int op, GLOBAL const float* a, view_t va, GLOBAL const float* b, view_t vb, GLOBAL float* y, int y0, int n)
{
    int i = global_index();
    if (i < n) y[y0 + i] = apply_binary(op, a[view_index(va, i)], b[view_index(vb, i)]);
}

/* y = a op s, or s op a when scalar_first. */
KERNEL void binary_scalar(int op, GLOBAL const float* a, int a0, float s, int scalar_first, GLOBAL float* y, int y0, int n)
{
    int i = global_index();
    if (i < n) y[y0 + i] = scalar_first ? apply_binary(op, s, a[a0 + i]) : apply_binary(op, a[a0 + i], s);
}

/* y += alpha x */
KERNEL void add_scaled(GLOBAL const float* x, int x0, float alpha, GLOBAL float* y, int y0, int n)
{
    int i = global_index();
    if (i < n) y[y0 + i] += alpha * x[x0 + i];
}

/* y = gelu(x + bias) over rows of length cols */
KERNEL void bias_gelu(int kind, GLOBAL const float* x, int x0, GLOBAL const float* bias, int bias0,
    GLOBAL float* y, int y0, int cols, int n)
{
    int i = global_index();
    if (i < n) y[y0 + i] = gelu(kind, x[x0 + i] + bias[bias0 + i % cols]);
}

/* dx = dy * gelu'(x + bias); dbias is accumulated afterwards by column_sums_accumulate */
KERNEL void bias_gelu_backward(int kind, GLOBAL const float* x, int x0, GLOBAL const float* bias, int bias0,
    GLOBAL const float* dy, int dy0, GLOBAL float* dx, int dx0, int cols, int n)
{
    int i = global_index();
    if (i < n) dx[dx0 + i] = dy[dy0 + i] * gelu_grad(kind, x[x0 + i] + bias[bias0 + i % cols]);
}

/* sums[c] += sum_r m[r, c]; one thread per column, rows in order (deterministic). */
KERNEL void column_sums_accumulate(GLOBAL const float* m, int m0, int rows, int cols, GLOBAL float* sums, int sums0)
{
    int c = global_index();
    if (c >= cols) return;
    float total = 0.0f;
    for (int r = 0; r < rows; r++) total += m[m0 + r * cols + c];
    sums[sums0 + c] += total;
}
