/* FFT convolution for the SSM along L (spec BIGS.md 2.3), O(L log L) instead of the direct O(L^2).
   Complex data is interleaved (re, im) floats, one sequence of n = 2^m values after another.

   Two real columns share one complex sequence: p = a + i b. As K is real, conv(K, p) = conv(K, a) + i conv(K, b),
   so one complex FFT, product and inverse FFT convolve two columns at once and the real and imaginary parts of
   the result are the two answers; no spectrum separation is needed. Zero padding to n >= 2L makes the circular
   convolution (and correlation) of the FFT equal the linear one on [0, L). */

/* One radix-2 Stockham stage over `sequences` sequences of length n (out of place, self-sorting: after log2 n
   stages, alternating between two buffers, the spectrum is in natural order). At stride s the stage works on
   sub-transforms of length n / s: for p < n / 2s and q < s,
     y[q + s 2p]     = a + b
     y[q + s (2p+1)] = (a - b) w^p,   a = x[q + s p], b = x[q + s (p + n/2s)],   w = exp(direction 2 pi i s / n).
   direction = -1 is the forward transform, +1 the inverse (unscaled). The twiddle angle is formed as a fraction of a
   turn, p s / n < 1/2, which a float holds exactly. One thread per butterfly. */
KERNEL void fft_radix2_stage(GLOBAL const float* x, GLOBAL float* y, int n, int stride, int sequences, float direction)
{
    int i = global_index();
    int butterflies = n / 2;
    if (i >= sequences * butterflies) return;
    int sequence = i / butterflies, j = i % butterflies;
    int q = j % stride, p = j / stride, m = butterflies / stride;
    GLOBAL const float* xs = x + 2 * sequence * n;
    GLOBAL float* ys = y + 2 * sequence * n;
    int ia = 2 * (q + stride * p), ib = 2 * (q + stride * (p + m));
    float a_re = xs[ia], a_im = xs[ia + 1], b_re = xs[ib], b_im = xs[ib + 1];
    float angle = 6.283185482f * ((float)(p * stride) / (float)n);
    float w_re = gpu_cos(angle), w_im = direction * gpu_sin(angle);
    float d_re = a_re - b_re, d_im = a_im - b_im;
    int o0 = 2 * (q + stride * 2 * p), o1 = 2 * (q + stride * (2 * p + 1));
    ys[o0] = a_re + b_re;
    ys[o0 + 1] = a_im + b_im;
    ys[o1] = d_re * w_re - d_im * w_im;
    ys[o1 + 1] = d_re * w_im + d_im * w_re;
}

/* Packs the columns of x (B, L, H) (column c = b H + h) two per complex sequence of length n, zero padded:
   sequence s = column 2s + i column 2s+1 (the imaginary part stays 0 for an odd last column). One thread per value. */
KERNEL void fft_pack_columns(GLOBAL const float* x, int x0, int columns, int length, int channels, int n, GLOBAL float* packed)
{
    int i = global_index();
    int sequences = (columns + 1) / 2;
    if (i >= sequences * n) return;
    int s = i / n, t = i % n;
    float re = 0.0f, im = 0.0f;
    if (t < length)
    {
        int c = 2 * s;
        re = x[x0 + ((c / channels) * length + t) * channels + c % channels];
        if (c + 1 < columns) im = x[x0 + (((c + 1) / channels) * length + t) * channels + (c + 1) % channels];
    }
    packed[2 * i] = re;
    packed[2 * i + 1] = im;
}

/* spectra[s][f] *= K^[f] (or its conjugate, for a correlation), for every sequence s; one thread per value. */
KERNEL void fft_multiply_spectrum(GLOBAL float* spectra, int sequences, int n, GLOBAL const float* kernel_spectrum, int conjugate)
{
    int i = global_index();
    if (i >= sequences * n) return;
    int f = i % n;
    float k_re = kernel_spectrum[2 * f], k_im = conjugate ? -kernel_spectrum[2 * f + 1] : kernel_spectrum[2 * f + 1];
    float x_re = spectra[2 * i], x_im = spectra[2 * i + 1];
    spectra[2 * i] = x_re * k_re - x_im * k_im;
    spectra[2 * i + 1] = x_re * k_im + x_im * k_re;
}

/* cross[f] = sum_s Q_s[f] conj(P_s[f]): the spectrum of sum over packed sequences of the correlation
   r[k] = sum_t q[t] conj(p[t - k]), whose real part sums a_dy[t] a_u[t-k] + b_dy[t] b_u[t-k] over both columns.
   One thread per frequency. */
KERNEL void fft_cross_spectrum(GLOBAL const float* p, GLOBAL const float* q, int sequences, int n, GLOBAL float* cross)
{
    int f = global_index();
    if (f >= n) return;
    float re = 0.0f, im = 0.0f;
    for (int s = 0; s < sequences; s++)
    {
        int i = 2 * (s * n + f);
        re += q[i] * p[i] + q[i + 1] * p[i + 1];
        im += q[i + 1] * p[i] - q[i] * p[i + 1];
    }
    cross[2 * f] = re;
    cross[2 * f + 1] = im;
}

/* The inverse of fft_pack_columns after an unscaled inverse FFT: y[b, t, h] = scale * (Re or Im of sequence c/2)[t]
   + D skip[b, t, h] for t < L (D term only when skip is given: has_skip != 0). One thread per element of y. */
KERNEL void fft_unpack_columns(GLOBAL const float* packed, int n, float scale, int columns, int length, int channels,
    int has_skip, GLOBAL const float* skip, int skip0, GLOBAL const float* d, int d0, GLOBAL float* y, int y0)
{
    int i = global_index();
    if (i >= columns * length) return;
    int h = i % channels, t = (i / channels) % length, b = i / (channels * length);
    int c = b * channels + h;
    float value = scale * packed[2 * ((c / 2) * n + t) + (c % 2)];
    if (has_skip) value += d[d0] * skip[skip0 + i];
    y[y0 + i] = value;
}
