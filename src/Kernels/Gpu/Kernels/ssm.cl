/* The S4D SSM (spec BIGS.md 2.3): kernel generation and the causal convolution, forward and backward.
   Complex numbers are float2-like pairs held in two floats (re, im). */

/* A_n with the stability clip: min(A_re, -1e-4) + i A_im */
DEVICE_FN float clipped_a_re(float a_re) { return a_re < -1e-4f ? a_re : -1e-4f; }

/* exp(dt A) - 1 over A, i.e. Bbar = (exp(dt A) - 1) / A (complex division), into (re, im). */
DEVICE_FN void zoh_bbar(float dt, float a_re, float a_im, float* re, float* im)
{
    float mag = gpu_exp(dt * a_re);
    float num_re = mag * gpu_cos(dt * a_im) - 1.0f, num_im = mag * gpu_sin(dt * a_im);
    float denom = a_re * a_re + a_im * a_im;
    *re = (num_re * a_re + num_im * a_im) / denom;
    *im = (num_im * a_re - num_re * a_im) / denom;
}

/* One mode's powers z^l = exp(l dt A) = exp(l dt A_re) (cos + i sin)(2 pi frac(l t)), t = dt A_im / (2 pi).
   The phase is where float fails for long kernels: l dt A_im reaches 1e4..1e5 rad at L = 8192, and a float holding
   that has no fractional bits left. So t is kept as an unevaluated sum t_hi + t_lo (about 48 bits, built from
   dt = dt_hi + dt_lo and A_im with fma), and the whole turns of l t_hi are removed exactly before rounding: with
   k = rint(l t_hi), fma(l, t_hi, -k) is l t_hi - k rounded once, a number in [-1/2, 1/2]. The angle handed to sin/cos
   is then below pi and accurate to ~1e-7 rad for any l < 2^24. (The magnitude needs no such care: an error in
   l dt A_re only matters while exp(l dt A_re) is not negligible.) */
typedef struct
{
    float log_mag;    /* dt A_re */
    float turns_hi;   /* t = dt A_im / (2 pi) = turns_hi + turns_lo */
    float turns_lo;
} s4d_mode_t;

#ifdef HAS_FP64
/* e^x in double without a math library (CUDA here links none): x = n ln2 + r with |r| <= ln2/2 (ln2_hi has trailing
   zero bits, so n ln2_hi is exact), e^r by its Taylor series to r^13/13! (truncation < 1e-17), then times 2^n. */
DEVICE_FN double exp_f64(double x)
{
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    double scaled = x * 1.4426950408889634;
    int n = (int)(scaled < 0.0 ? scaled - 0.5 : scaled + 0.5);
    double r = (x - n * ln2_hi) - n * ln2_lo;
    double term = 1.0, sum = 1.0;
    for (int k = 1; k <= 13; k++)
    {
        term *= r / k;
        sum += term;
    }
    for (; n > 0; n--) sum *= 2.0;
    for (; n < 0; n++) sum *= 0.5;
    return sum;
}
#endif

/* dt = exp(log_step) as dt_hi + dt_lo: the float dt alone is off by up to half an ulp (3e-8), which the phase
   l dt A_im multiplies into ~1e-3 rad at L = 4096. Where the device has no double, dt_lo is 0. */
DEVICE_FN void s4d_step(float log_step, float* dt_hi, float* dt_lo)
{
#ifdef HAS_FP64
    double dt = exp_f64((double)log_step);
    *dt_hi = (float)dt;
    *dt_lo = (float)(dt - (double)*dt_hi);
#else
    *dt_hi = gpu_exp(log_step);
    *dt_lo = 0.0f;
#endif
}

DEVICE_FN s4d_mode_t s4d_mode(float dt_hi, float dt_lo, float a_re, float a_im)
{
    const float inv_2pi_hi = 1.591549367e-1f, inv_2pi_lo = 6.420638243e-9f;   /* 1/(2 pi) = hi + lo */
    s4d_mode_t m;
    m.log_mag = dt_hi * a_re;
    float w_hi = dt_hi * a_im, w_lo = gpu_fma(dt_hi, a_im, -w_hi) + dt_lo * a_im;   /* dt A_im = w_hi + w_lo */
    m.turns_hi = w_hi * inv_2pi_hi;
    m.turns_lo = gpu_fma(w_hi, inv_2pi_hi, -m.turns_hi) + w_hi * inv_2pi_lo + w_lo * inv_2pi_hi;
    return m;
}

/* z^l = exp(l dt A) into (re, im). */
DEVICE_FN void s4d_power(s4d_mode_t m, int l, float* re, float* im)
{
    float fl = (float)l;
    float whole = gpu_rint(fl * m.turns_hi);
    float fraction = gpu_fma(fl, m.turns_hi, -whole) + fl * m.turns_lo;
    float angle = 6.283185482f * fraction;
    float mag = gpu_exp(fl * m.log_mag);
    *re = mag * gpu_cos(angle);
    *im = mag * gpu_sin(angle);
}

/* K[l] = Re( sum_n C_n Bbar_n exp(l dt A_n) ); one thread per l, looping over the N modes. */
KERNEL void s4d_kernel(GLOBAL const float* a_re, int a_re0, GLOBAL const float* a_im, int a_im0, GLOBAL const float* c, int c0,
    GLOBAL const float* log_step, int log_step0, int modes, int length, GLOBAL float* conv_kernel, int conv_kernel0)
{
    int l = global_index();
    if (l >= length) return;
    float dt, dt_lo;
    s4d_step(log_step[log_step0], &dt, &dt_lo);
    float total = 0.0f;
    for (int n = 0; n < modes; n++)
    {
        float are = clipped_a_re(a_re[a_re0 + n]), aim = a_im[a_im0 + n];
        float b_re, b_im;
        zoh_bbar(dt, are, aim, &b_re, &b_im);
        float cb_re = c[c0 + 2 * n] * b_re - c[c0 + 2 * n + 1] * b_im;
        float cb_im = c[c0 + 2 * n] * b_im + c[c0 + 2 * n + 1] * b_re;
        float zl_re, zl_im;
        s4d_power(s4d_mode(dt, dt_lo, are, aim), l, &zl_re, &zl_im);
        total += cb_re * zl_re - cb_im * zl_im;
    }
    conv_kernel[conv_kernel0 + l] = total;
}

/* Backward of s4d_kernel, one group per mode n. With z = exp(dt A), W = sum_l dK[l] z^l, V = sum_l dK[l] l z^l,
   B = Bbar and f = C B W (so the loss is sum_n Re f_n):
     dC_re = Re(B W), dC_im = -Im(B W)
     f'(A) = C (W (dt z A - (z - 1)) / A^2 + B dt V),  dA_re = Re f'(A) (0 where clipped), dA_im = -Im f'(A)
     df/d dt = C (z W + B A V),  and the host-side sum over n of dt Re(df/d dt) gives dlog_step (partials here). */
KERNEL void s4d_kernel_backward(GLOBAL const float* a_re, int a_re0, GLOBAL const float* a_im, int a_im0,
    GLOBAL const float* c, int c0, GLOBAL const float* log_step, int log_step0, GLOBAL const float* dk, int dk0, int length,
    GLOBAL float* da_re, int da_re0, GLOBAL float* da_im, int da_im0, GLOBAL float* dc, int dc0, GLOBAL float* dlog_parts)
{
    LOCAL float scratch[MAX_GROUP];
    int n = GROUP_ID(0);
    float dt, dt_lo;
    s4d_step(log_step[log_step0], &dt, &dt_lo);
    float raw_re = a_re[a_re0 + n];
    float are = clipped_a_re(raw_re), aim = a_im[a_im0 + n];
    s4d_mode_t mode = s4d_mode(dt, dt_lo, are, aim);
    float w_re = 0.0f, w_im = 0.0f, v_re = 0.0f, v_im = 0.0f;
    for (int l = LOCAL_ID(0); l < length; l += LOCAL_SIZE(0))
    {
        float zl_re, zl_im, g = dk[dk0 + l];
        s4d_power(mode, l, &zl_re, &zl_im);
        w_re += g * zl_re;
        w_im += g * zl_im;
        v_re += g * l * zl_re;
        v_im += g * l * zl_im;
    }
    w_re = group_sum(scratch, w_re);
    w_im = group_sum(scratch, w_im);
    v_re = group_sum(scratch, v_re);
    v_im = group_sum(scratch, v_im);
    if (LOCAL_ID(0) != 0) return;

    float c_re = c[c0 + 2 * n], c_im = c[c0 + 2 * n + 1];
    float b_re, b_im;
    zoh_bbar(dt, are, aim, &b_re, &b_im);
    float bw_re = b_re * w_re - b_im * w_im, bw_im = b_re * w_im + b_im * w_re;
    dc[dc0 + 2 * n] = bw_re;
    dc[dc0 + 2 * n + 1] = -bw_im;

    float mag = gpu_exp(dt * are);
    float z_re = mag * gpu_cos(dt * aim), z_im = mag * gpu_sin(dt * aim);
    /* dBbar/dA = (dt z A - (z - 1)) / A^2 */
    float num_re = dt * (z_re * are - z_im * aim) - (z_re - 1.0f), num_im = dt * (z_re * aim + z_im * are) - z_im;
    float a2_re = are * are - aim * aim, a2_im = 2.0f * are * aim, a2_norm = a2_re * a2_re + a2_im * a2_im;
    float db_re = (num_re * a2_re + num_im * a2_im) / a2_norm, db_im = (num_im * a2_re - num_re * a2_im) / a2_norm;
    /* inner = dBbar/dA W + B dt V, then f'(A) = C inner */
    float in_re = db_re * w_re - db_im * w_im + dt * (b_re * v_re - b_im * v_im);
    float in_im = db_re * w_im + db_im * w_re + dt * (b_re * v_im + b_im * v_re);
    float fa_re = c_re * in_re - c_im * in_im, fa_im = c_re * in_im + c_im * in_re;
    da_re[da_re0 + n] = raw_re < -1e-4f ? fa_re : 0.0f;
    da_im[da_im0 + n] = -fa_im;
    /* d f / d dt = C (z W + B A V) */
    float ba_re = b_re * are - b_im * aim, ba_im = b_re * aim + b_im * are;
    float t_re = z_re * w_re - z_im * w_im + ba_re * v_re - ba_im * v_im;
    float t_im = z_re * w_im + z_im * w_re + ba_re * v_im + ba_im * v_re;
    dlog_parts[n] = dt * (c_re * t_re - c_im * t_im);
}

/* y[b, t, h] = sum_{k <= t} K[k] u[b, t - k, h] + D u[b, t, h]  (direct O(L^2) causal convolution; one thread per
   output element of u (B, L, H)). */
KERNEL void ssm_conv_direct(GLOBAL const float* u, int u0, int length, int channels, GLOBAL const float* conv_kernel, int conv_kernel0,
    GLOBAL const float* d, int d0, GLOBAL float* y, int y0, int n)
{
    int i = global_index();
    if (i >= n) return;
    int h = i % channels, t = (i / channels) % length, b = i / (channels * length);
    GLOBAL const float* ub = u + u0 + b * length * channels + h;
    float total = d[d0] * ub[t * channels];
    for (int k = 0; k <= t; k++) total += conv_kernel[conv_kernel0 + k] * ub[(t - k) * channels];
    y[y0 + i] = total;
}

/* du[b, s, h] = sum_{t >= s} K[t - s] dy[b, t, h] + D dy[b, s, h]  (the anti-causal correlation). */
KERNEL void ssm_conv_direct_input_grad(GLOBAL const float* dy, int dy0, int length, int channels,
    GLOBAL const float* conv_kernel, int conv_kernel0, GLOBAL const float* d, int d0, GLOBAL float* du, int du0, int n)
{
    int i = global_index();
    if (i >= n) return;
    int h = i % channels, s = (i / channels) % length, b = i / (channels * length);
    GLOBAL const float* dyb = dy + dy0 + b * length * channels + h;
    float total = d[d0] * dyb[s * channels];
    for (int t = s; t < length; t++) total += conv_kernel[conv_kernel0 + t - s] * dyb[t * channels];
    du[du0 + i] = total;
}

/* dK[k] = sum_{b, h, t >= k} dy[b, t, h] u[b, t - k, h]; one group per lag k. */
KERNEL void ssm_conv_direct_kernel_grad(GLOBAL const float* u, int u0, GLOBAL const float* dy, int dy0, int batch,
    int length, int channels, GLOBAL float* dkernel, int dkernel0)
{
    LOCAL float scratch[MAX_GROUP];
    int k = GROUP_ID(0);
    int per_batch = (length - k) * channels;
    float total = 0.0f;
    for (int j = LOCAL_ID(0); j < batch * per_batch; j += LOCAL_SIZE(0))
    {
        int b = j / per_batch, rest = j % per_batch;   /* rest = (t - k) * channels + h */
        int base = b * length * channels;
        total += dy[dy0 + base + rest + k * channels] * u[u0 + base + rest];
    }
    total = group_sum(scratch, total);
    if (LOCAL_ID(0) == 0) dkernel[dkernel0 + k] = total;
}
