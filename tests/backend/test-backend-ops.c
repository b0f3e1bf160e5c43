/* test-backend-ops.c — every op of engine/ops.h, checked two ways over one
 * case table (odd shapes, edge cases, and the shapes RIFT-SVC runs):
 *
 *   ops cpu-reference  the CPU backend against naive double-precision
 *                      references written here; runs everywhere.
 *   ops cuda-vs-cpu    the CUDA backend against the CPU backend, then the
 *                      CUDA backend's error paths. Where no CUDA device
 *                      answers it prints "SKIP: <reason>" and exits 77, or
 *                      fails when RIFT_REQUIRE_CUDA=1 (scripts/gpu-check.sh).
 *
 * A case passes when its NMSE (sum (got - ref)² / sum ref², as ggml's
 * test-backend-ops) is within its op's threshold (ops[] below), no value is
 * NaN or inf, and the guard values around the output and in the gaps of a
 * strided output (a gemm's C with ldc > N, say) are untouched (out-of-bounds
 * writes). Outputs start as NaN (an element left unwritten shows), and so
 * do the input gaps a leading dimension or stride skips and a gemm's C when
 * beta is 0 (an op must not read them).
 *
 * Usage: test-backend-ops cpu-reference|cuda-vs-cpu [--perf] [FILTER]
 *   --perf   also time each case on each backend
 *   FILTER   only the cases whose name contains it */
#include "ops.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define GUARD 64 /* guard floats on each side of an output */
static const float GUARD_VALUE = -1234.5f;

typedef enum {
    OP_GEMM,
    OP_REFLECT_PAD,
    OP_STFT_MAGNITUDE,
    OP_LOG_CLAMP,
    OP_FRAME_RMS,
    OP_LAYERNORM,
    OP_FILL_ROWS,
    OP_GATED_ADD,
    OP_SILU,
    OP_RELU_SQ,
    OP_DWCONV1D,
    OP_ROPE_HEADNORM,
    OP_ATTENTION,
    OP_ZERO_PAD_ROWS,
    OP_GUIDE,
    OP_AXPY,
    OP_MOMENTS,
    OP_CFG_RESCALE,
    /* RMVPE: image ops and the GRU */
    OP_CONV2D,
    OP_CONV_TRANSPOSE2D,
    OP_AVGPOOL2D,
    OP_CHANNEL_AFFINE,
    OP_RELU,
    OP_SIGMOID,
    OP_GRU,
    /* ContentVec */
    OP_CONV1D,
    OP_CHANNEL_NORM,
    OP_GELU,
    /* NSF-HiFiGAN */
    OP_CONV_TRANSPOSE1D,
    OP_LEAKY_RELU,
    OP_TANH,
    OP_NSF_SOURCE,
    /* reduced-precision Linear: to_lowp of both operands, then gemm_lowp */
    OP_GEMM_LOWP,
    N_OPS
} op_kind;

/* The most NMSE allowed, in both modes. The default 1e-7 is far above what
 * FP32 rounding and a different order of summation give on these sizes
 * (1e-17 .. 1e-13 against the double references) and far below what a wrong
 * index or a dropped term gives (1e-4 .. 1). */
static const struct {
    const char *name;
    double nmse;
} ops[N_OPS] = {
    [OP_GEMM] = {"gemm", 1e-7},
    /* copies: any difference is a wrong index */
    [OP_REFLECT_PAD] = {"reflect_pad", 0.0},
    [OP_STFT_MAGNITUDE] = {"stft_magnitude", 1e-7},
    [OP_LOG_CLAMP] = {"log_clamp", 1e-7},
    [OP_FRAME_RMS] = {"frame_rms", 1e-7},
    [OP_LAYERNORM] = {"layernorm", 1e-7},
    [OP_FILL_ROWS] = {"fill_rows", 0.0},
    [OP_GATED_ADD] = {"gated_add", 1e-7},
    [OP_SILU] = {"silu", 1e-7},
    [OP_RELU_SQ] = {"relu_sq", 1e-7},
    [OP_DWCONV1D] = {"dwconv1d", 1e-7},
    [OP_ROPE_HEADNORM] = {"rope_headnorm", 1e-7},
    [OP_ATTENTION] = {"attention", 1e-7},
    [OP_ZERO_PAD_ROWS] = {"zero_pad_rows", 0.0},
    [OP_GUIDE] = {"guide", 1e-7},
    [OP_AXPY] = {"axpy", 1e-7},
    /* sums in double on every backend: only the order of addition differs */
    [OP_MOMENTS] = {"moments", 1e-20},
    [OP_CFG_RESCALE] = {"cfg_rescale", 1e-7},
    [OP_CONV2D] = {"conv2d", 1e-7},
    [OP_CONV_TRANSPOSE2D] = {"conv_transpose2d", 1e-7},
    [OP_AVGPOOL2D] = {"avgpool2d", 1e-7},
    [OP_CHANNEL_AFFINE] = {"channel_affine", 1e-7},
    [OP_RELU] = {"relu", 0.0}, /* a copy or a zero */
    [OP_SIGMOID] = {"sigmoid", 1e-7},
    [OP_GRU] = {"gru", 1e-7},
    [OP_CONV1D] = {"conv1d", 1e-7},
    [OP_CHANNEL_NORM] = {"channel_norm", 1e-7},
    [OP_GELU] = {"gelu", 1e-7},
    [OP_CONV_TRANSPOSE1D] = {"conv_transpose1d", 1e-7},
    [OP_LEAKY_RELU] = {"leaky_relu", 1e-7},
    [OP_TANH] = {"tanh", 1e-7},
    [OP_NSF_SOURCE] = {"nsf_source", 1e-7},
    /* tighter: leaving out float16 rounding altogether only costs 4e-8 */
    [OP_GEMM_LOWP] = {"gemm_lowp", 1e-9},
};

typedef struct {
    op_kind op;
    /* gemm: op(A) [M,K] · op(B) [K,N]; every ld is its minimum + ld_extra */
    gboolean ta, tb;
    int64_t M, N, K, ld_extra;
    float alpha, beta; /* alpha is also guide's s, axpy's alpha and cfg_rescale's r */
    /* reflect_pad: n, pad; log_clamp: n, floor; silu, relu_sq: n; sampler
     * ops: B blocks of n */
    int64_t n, pad;
    float floor;
    /* stft_magnitude: T, n_fft, hop, eps; frame_rms: T, win, hop */
    int64_t T, n_fft, win, hop;
    float eps; /* also layernorm's and rope_headnorm's */
    /* DiT ops: B sequences of T rows of D floats (R = B·T rows for the row
     * ops); dwconv1d's k taps; H heads of head_dim (attention, rope) */
    int64_t B, R, D, k, H, head_dim, rot_dim;
    /* rows_per_group; the stride of the modulation, the gate, a (guide), y
     * (axpy), x (moments, cfg_rescale); stride2: of b (guide), x (axpy) */
    int64_t group, stride, stride2;
    gboolean affine, modulate, in_place;
    int32_t len[2]; /* valid rows of each sequence (attention, zero_pad_rows) */
    /* RMVPE image ops: x [Cin, ih, iw], Cout output channels, kernel kh×kw,
     * stride sh×sw, padding ph×pw, output padding oph×opw (conv_transpose2d),
     * has_bias; avgpool2d pools Cin channels k×k; channel_affine: Cin channels
     * of n values. gru: T steps of D hidden units, output rows `stride` apart,
     * reverse. */
    int64_t Cin, Cout, ih, iw, kh, kw, sh, sw, ph, pw, oph, opw;
    gboolean has_bias, reverse;
    /* conv1d: x [L, Cin] -> y [Lout, Cout]; channel_norm: x [L, Cin]
     * (gelu uses n and in_place) */
    struct {
        int64_t L, Cin, Cout, k, stride, pad, dilation, groups;
        gboolean bias;
    } c1d;
    /* conv_transpose1d: x [L, Cin] -> y [Lout, Cout]; nsf_source: T frames of
     * upp samples, H harmonics, with rand_ini / randn inputs, writing the
     * sines too (leaky_relu and tanh use n and in_place, leaky_relu's slope
     * is alpha) */
    struct {
        int64_t L, Cin, Cout, k, stride, pad;
        gboolean bias;
    } tc;
    struct {
        int64_t T, upp, H;
        gboolean rand_ini, randn, sines;
    } nsf;
    /* gemm_lowp: M, N, K, ld_extra (of A), beta and the precision */
    rift_precision prec;
} op_case;

#define GEMM(ta_, tb_, M_, N_, K_, ld_extra_, alpha_, beta_)                                 \
    {.op = OP_GEMM, .ta = ta_, .tb = tb_, .M = M_, .N = N_, .K = K_, .ld_extra = ld_extra_, \
     .alpha = alpha_, .beta = beta_}
#define REFLECT(n_, pad_) {.op = OP_REFLECT_PAD, .n = n_, .pad = pad_}
#define STFT(T_, n_fft_, hop_) \
    {.op = OP_STFT_MAGNITUDE, .T = T_, .n_fft = n_fft_, .hop = hop_, .eps = 1e-9f}
#define LOG_CLAMP(n_, floor_) {.op = OP_LOG_CLAMP, .n = n_, .floor = floor_}
#define RMS(T_, win_, hop_) {.op = OP_FRAME_RMS, .T = T_, .win = win_, .hop = hop_}
#define LAYERNORM(R_, D_, affine_, modulate_, group_, stride_, in_place_)                       \
    {.op = OP_LAYERNORM, .R = R_, .D = D_, .affine = affine_, .modulate = modulate_,         \
     .group = group_, .stride = stride_, .in_place = in_place_, .eps = 1e-6f}
#define FILL_ROWS(R_, D_) {.op = OP_FILL_ROWS, .R = R_, .D = D_}
#define GATED_ADD(R_, D_, group_, stride_) \
    {.op = OP_GATED_ADD, .R = R_, .D = D_, .group = group_, .stride = stride_}
#define SILU(n_, in_place_) {.op = OP_SILU, .n = n_, .in_place = in_place_}
#define RELU_SQ(n_) {.op = OP_RELU_SQ, .n = n_}
#define DWCONV1D(B_, T_, C_, k_) {.op = OP_DWCONV1D, .B = B_, .T = T_, .D = C_, .k = k_}
#define ROPE_HEADNORM(B_, T_, D_, head_dim_, rot_dim_)                                  \
    {.op = OP_ROPE_HEADNORM, .B = B_, .T = T_, .D = D_, .head_dim = head_dim_, \
     .rot_dim = rot_dim_, .eps = 1e-6f}
#define ATTENTION(B_, T_, H_, hd_, len0_, len1_)                                         \
    {.op = OP_ATTENTION, .B = B_, .T = T_, .H = H_, .head_dim = hd_, .D = (H_) * (hd_), \
     .len = {len0_, len1_}}
#define ZERO_PAD_ROWS(B_, T_, D_, len0_, len1_) \
    {.op = OP_ZERO_PAD_ROWS, .B = B_, .T = T_, .D = D_, .len = {len0_, len1_}}
#define GUIDE(B_, n_, a_stride_, b_stride_, s_) \
    {.op = OP_GUIDE, .B = B_, .n = n_, .stride = a_stride_, .stride2 = b_stride_, .alpha = s_}
#define AXPY(B_, n_, y_stride_, x_stride_, alpha_)                                          \
    {.op = OP_AXPY, .B = B_, .n = n_, .stride = y_stride_, .stride2 = x_stride_, \
     .alpha = alpha_}
#define MOMENTS(B_, n_, stride_) {.op = OP_MOMENTS, .B = B_, .n = n_, .stride = stride_}
#define CFG_RESCALE(B_, n_, stride_, r_) \
    {.op = OP_CFG_RESCALE, .B = B_, .n = n_, .stride = stride_, .alpha = r_}
#define CONV2D(Cin_, ih_, iw_, Cout_, kh_, kw_, sh_, sw_, ph_, pw_, bias_)                        \
    {.op = OP_CONV2D, .Cin = Cin_, .ih = ih_, .iw = iw_, .Cout = Cout_, .kh = kh_, .kw = kw_, \
     .sh = sh_, .sw = sw_, .ph = ph_, .pw = pw_, .has_bias = bias_}
#define CONV_TRANSPOSE2D(Cin_, ih_, iw_, Cout_, kh_, kw_, sh_, sw_, ph_, pw_, oph_, opw_, bias_)   \
    {.op = OP_CONV_TRANSPOSE2D, .Cin = Cin_, .ih = ih_, .iw = iw_, .Cout = Cout_, .kh = kh_,    \
     .kw = kw_, .sh = sh_, .sw = sw_, .ph = ph_, .pw = pw_, .oph = oph_, .opw = opw_,           \
     .has_bias = bias_}
#define AVGPOOL2D(C_, ih_, iw_, k_) {.op = OP_AVGPOOL2D, .Cin = C_, .ih = ih_, .iw = iw_, .k = k_}
#define CHANNEL_AFFINE(C_, n_, in_place_) \
    {.op = OP_CHANNEL_AFFINE, .Cin = C_, .n = n_, .in_place = in_place_}
#define RELU(n_, in_place_) {.op = OP_RELU, .n = n_, .in_place = in_place_}
#define SIGMOID(n_, in_place_) {.op = OP_SIGMOID, .n = n_, .in_place = in_place_}
#define GRU(T_, H_, stride_, reverse_) \
    {.op = OP_GRU, .T = T_, .D = H_, .stride = stride_, .reverse = reverse_}
#define CONV1D(L_, Cin_, Cout_, k_, stride_, pad_, dilation_, groups_, bias_)                \
    {.op = OP_CONV1D,                                                                     \
     .c1d = {.L = L_, .Cin = Cin_, .Cout = Cout_, .k = k_, .stride = stride_, .pad = pad_, \
             .dilation = dilation_, .groups = groups_, .bias = bias_}}
#define CHANNEL_NORM(L_, C_, in_place_) \
    {.op = OP_CHANNEL_NORM, .c1d = {.L = L_, .Cin = C_}, .in_place = in_place_, .eps = 1e-5f}
#define GELU(n_, in_place_) {.op = OP_GELU, .n = n_, .in_place = in_place_}
#define CONV_TRANSPOSE1D(L_, Cin_, Cout_, k_, stride_, pad_, bias_)                         \
    {.op = OP_CONV_TRANSPOSE1D,                                                         \
     .tc = {.L = L_, .Cin = Cin_, .Cout = Cout_, .k = k_, .stride = stride_, .pad = pad_, \
            .bias = bias_}}
#define LEAKY_RELU(n_, slope_, in_place_) \
    {.op = OP_LEAKY_RELU, .n = n_, .alpha = slope_, .in_place = in_place_}
#define TANH(n_, in_place_) {.op = OP_TANH, .n = n_, .in_place = in_place_}
#define NSF_SOURCE(T_, upp_, H_, rand_ini_, randn_, sines_)                       \
    {.op = OP_NSF_SOURCE, .nsf = {.T = T_, .upp = upp_, .H = H_, .rand_ini = rand_ini_, \
                                  .randn = randn_, .sines = sines_}}
#define NSF_RATE 44100.0f
#define GEMM_LOWP(M_, N_, K_, ld_extra_, beta_, prec_)                                       \
    {.op = OP_GEMM_LOWP, .M = M_, .N = N_, .K = K_, .ld_extra = ld_extra_, .beta = beta_, \
     .prec = RIFT_PRECISION_##prec_}

/* RIFT shapes: a 3 s segment is T = 258 frames; the DiT runs B = 2 of them
 * (a guided pair) with D = 512 channels, 8 heads of 64, 31 conv taps, an
 * adaLN modulation of 6·D per sequence, and the sampler works on mels of
 * T·128 floats. */
static const op_case cases[] = {
    GEMM(FALSE, FALSE, 1, 1, 1, 0, 1.0f, 0.0f),
    /* every transpose combination, with leading dimensions wider than the rows */
    GEMM(FALSE, FALSE, 13, 7, 5, 3, 0.5f, 0.25f),
    GEMM(FALSE, TRUE, 13, 7, 5, 3, 0.5f, 0.25f),
    GEMM(TRUE, FALSE, 13, 7, 5, 3, 0.5f, 0.25f),
    GEMM(TRUE, TRUE, 13, 7, 5, 3, 0.5f, 0.25f),
    GEMM(FALSE, FALSE, 1, 1337, 13, 5, 1.0f, 0.0f),
    GEMM(TRUE, FALSE, 1337, 1, 29, 2, 1.0f, 1.0f),
    GEMM(FALSE, TRUE, 1, 1024, 512, 0, 1.0f, 0.0f),
    GEMM(TRUE, TRUE, 65, 129, 257, 1, -1.0f, 0.5f),
    /* RIFT: the mel filterbank (mag [T, bins] · basis [n_mels, bins]ᵀ), a
     * Linear on a [T, 1] feature (K = 1, the f0 embedding), Linear layers */
    GEMM(FALSE, TRUE, 258, 128, 1025, 0, 1.0f, 0.0f),
    GEMM(FALSE, TRUE, 516, 512, 1, 0, 1.0f / 1200.0f, 1.0f),
    GEMM(FALSE, TRUE, 516, 1024, 512, 0, 1.0f, 0.0f),
    GEMM(FALSE, TRUE, 516, 512, 1024, 0, 1.0f, 1.0f),

    REFLECT(1, 0),
    REFLECT(1, 5), /* n == 1 repeats the sample */
    REFLECT(2, 7),
    REFLECT(5, 2),
    REFLECT(5, 4), /* pad == n - 1, torch's limit */
    REFLECT(5, 5),
    REFLECT(13, 40), /* pad > n keeps reflecting (numpy) */
    REFLECT(1337, 768),
    REFLECT(132096, 768), /* RIFT: 3 s of audio, (n_fft - hop) / 2 */

    STFT(1, 2, 1),
    STFT(3, 16, 4),
    STFT(13, 62, 7),     /* n_fft not a power of two */
    STFT(5, 1338, 669),  /* n_fft with a large prime factor (223) */
    STFT(513, 512, 128), /* more frames than one batched transform */
    STFT(1, 2048, 512),
    STFT(258, 2048, 512), /* RIFT */

    LOG_CLAMP(1, 1e-5f),
    LOG_CLAMP(13, 1e-5f),
    LOG_CLAMP(1337, 1e-3f),
    LOG_CLAMP(258 * 128, 1e-5f), /* RIFT: the mel of a 3 s segment */

    RMS(1, 1, 1),
    RMS(13, 7, 3), /* overlapping windows */
    RMS(13, 3, 7), /* gaps between windows */
    RMS(1337, 64, 33),
    RMS(258, 2048, 512), /* RIFT */

    LAYERNORM(1, 1, FALSE, FALSE, 0, 0, FALSE), /* one value: zero variance */
    LAYERNORM(13, 7, TRUE, FALSE, 0, 0, FALSE),
    LAYERNORM(13, 7, FALSE, TRUE, 5, 9, FALSE), /* 3 groups, strided modulation */
    LAYERNORM(13, 7, TRUE, TRUE, 13, 7, TRUE),  /* in place */
    LAYERNORM(516, 512, FALSE, TRUE, 258, 3072, FALSE),
    LAYERNORM(516, 512, FALSE, FALSE, 0, 0, TRUE),

    FILL_ROWS(1, 1),
    FILL_ROWS(13, 7),
    FILL_ROWS(516, 1024),

    GATED_ADD(13, 7, 5, 9),
    GATED_ADD(516, 512, 258, 3072),

    SILU(1, FALSE),
    SILU(1337, FALSE),
    SILU(1024, TRUE),
    RELU_SQ(13),
    RELU_SQ(516 * 1024),

    DWCONV1D(1, 1, 1, 1),
    DWCONV1D(2, 13, 5, 3),
    DWCONV1D(1, 5, 3, 7), /* taps past both ends */
    DWCONV1D(2, 258, 512, 31),

    ROPE_HEADNORM(1, 1, 2, 2, 2),
    ROPE_HEADNORM(2, 13, 24, 8, 6), /* rotation over part of the first head */
    ROPE_HEADNORM(2, 96, 64, 16, 16),
    ROPE_HEADNORM(2, 258, 512, 64, 64),

    ATTENTION(1, 1, 1, 1, 1, 0),
    ATTENTION(2, 13, 3, 5, 13, 7),
    ATTENTION(1, 37, 2, 8, 1, 0), /* one valid key */
    ATTENTION(2, 258, 8, 64, 258, 200),

    ZERO_PAD_ROWS(2, 13, 7, 13, 4),
    ZERO_PAD_ROWS(2, 258, 512, 258, 1),

    GUIDE(1, 1, 1, 1, 0.5f),
    GUIDE(2, 13, 17, 13, 0.8f),
    GUIDE(2, 258 * 128, 258 * 128, 2 * 258 * 128, 0.2f),

    AXPY(1, 13, 13, 13, -0.5f),
    AXPY(3, 7, 9, 0, 1.0f), /* x_stride 0: the same x added to every block */
    AXPY(2, 258 * 128, 258 * 128, 258 * 128, 0.125f),

    MOMENTS(2, 0, 0), /* nothing to sum */
    MOMENTS(1, 1, 1),
    MOMENTS(2, 13, 17),
    MOMENTS(2, 258 * 128, 258 * 128),

    CFG_RESCALE(1, 13, 13, 0.7f),
    CFG_RESCALE(2, 7, 9, 0.5f),
    CFG_RESCALE(2, 258 * 128, 258 * 128, 0.7f),

    /* RMVPE (E2E0(4, 1, (2, 2)), en_out_channels 16) on T32 = 1024 frames
     * (10 s) of 128 mel bins: the input conv, a 16 -> 16 conv of the first
     * level (three im2col tiles), the widest intermediate conv, a 1×1
     * shortcut, the output conv, the decoder's upsampling at the deepest and
     * the finest level (two gather tiles on 30 s), the pool, the input BN,
     * the BiGRU over 30 s, the salience sigmoid. */
    CONV2D(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, TRUE),
    CONV2D(3, 7, 5, 4, 3, 3, 1, 1, 1, 1, TRUE),
    CONV2D(2, 13, 11, 5, 3, 2, 2, 3, 1, 0, FALSE), /* strides, asymmetric kernel */
    CONV2D(4, 6, 7, 2, 5, 5, 1, 1, 2, 2, TRUE),
    CONV2D(5, 9, 9, 3, 1, 1, 1, 1, 0, 0, TRUE),    /* pointwise: no im2col */
    CONV2D(2, 5, 4, 3, 1, 1, 2, 2, 0, 0, TRUE),    /* 1×1 with a stride */
    CONV2D(1, 1024, 128, 16, 3, 3, 1, 1, 1, 1, FALSE),
    CONV2D(16, 1024, 128, 16, 3, 3, 1, 1, 1, 1, FALSE),
    CONV2D(512, 32, 4, 512, 3, 3, 1, 1, 1, 1, FALSE),
    CONV2D(256, 64, 8, 512, 1, 1, 1, 1, 0, 0, TRUE),
    CONV2D(16, 1024, 128, 3, 3, 3, 1, 1, 1, 1, TRUE),

    CONV_TRANSPOSE2D(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, TRUE),
    CONV_TRANSPOSE2D(3, 5, 4, 2, 3, 3, 2, 2, 1, 1, 1, 1, TRUE), /* RMVPE's upsampling */
    CONV_TRANSPOSE2D(2, 4, 6, 3, 3, 2, 1, 3, 0, 1, 0, 2, FALSE),
    CONV_TRANSPOSE2D(2, 3, 3, 2, 4, 4, 2, 2, 1, 1, 0, 0, TRUE),  /* overlapping taps */
    CONV_TRANSPOSE2D(3, 2, 5, 2, 2, 3, 3, 2, 0, 0, 2, 1, FALSE), /* gaps between taps */
    CONV_TRANSPOSE2D(512, 32, 4, 256, 3, 3, 2, 2, 1, 1, 1, 1, FALSE),
    CONV_TRANSPOSE2D(32, 1504, 64, 16, 3, 3, 2, 2, 1, 1, 1, 1, FALSE),

    AVGPOOL2D(1, 1, 1, 1),
    AVGPOOL2D(3, 7, 9, 2), /* odd sizes: the last row and column are dropped */
    AVGPOOL2D(2, 9, 10, 3),
    AVGPOOL2D(16, 1024, 128, 2),

    CHANNEL_AFFINE(1, 1, FALSE),
    CHANNEL_AFFINE(3, 13, TRUE),
    CHANNEL_AFFINE(1, 1024 * 128, FALSE),

    RELU(13, FALSE),
    RELU(1337, TRUE),
    RELU(16 * 1024 * 128, FALSE),
    SIGMOID(1, FALSE),
    SIGMOID(1337, TRUE),
    SIGMOID(1024 * 360, FALSE),

    GRU(1, 1, 1, FALSE),
    GRU(7, 5, 12, TRUE), /* strided output rows (one direction of a BiGRU) */
    GRU(13, 3, 3, FALSE),
    GRU(3008, 256, 512, FALSE),
    GRU(3008, 256, 512, TRUE),

    /* ContentVec (HuBERT). The real shapes of a 3 s segment (48000 samples
     * at 16 kHz): conv 0 (k10 s5, 1 -> 512 channels), conv 4 (k3 s2) and
     * conv 5 (k2 s2) of the feature encoder, the GroupNorm over conv 0's
     * 9599 frames, and the positional conv (768 channels, 128 taps, pad 64,
     * 16 groups) on 400 frames (8 s; 3 tiles of the CUDA workspace) */
    CONV1D(1, 1, 1, 1, 1, 0, 1, 1, FALSE),
    CONV1D(13, 3, 5, 3, 1, 1, 1, 1, TRUE),
    CONV1D(37, 6, 4, 5, 3, 2, 1, 2, TRUE),  /* groups with stride and padding */
    CONV1D(29, 4, 6, 3, 2, 3, 2, 1, FALSE), /* dilation */
    CONV1D(5, 3, 2, 8, 1, 4, 1, 1, TRUE),   /* taps past both ends, even k */
    CONV1D(7, 2, 2, 9, 2, 1, 1, 1, TRUE),   /* kernel = padded input: one frame */
    CONV1D(1337, 16, 8, 2, 2, 0, 1, 1, FALSE),
    CONV1D(100, 512, 4, 128, 1, 64, 1, 1, TRUE), /* 4 tiles of the CPU workspace */
    CONV1D(48000, 1, 512, 10, 5, 0, 1, 1, FALSE),
    CONV1D(1199, 512, 512, 3, 2, 0, 1, 1, FALSE),
    CONV1D(599, 512, 512, 2, 2, 0, 1, 1, FALSE),
    CONV1D(400, 768, 768, 128, 1, 64, 1, 16, TRUE),

    CHANNEL_NORM(1, 1, FALSE), /* one frame: zero variance */
    CHANNEL_NORM(13, 7, FALSE),
    CHANNEL_NORM(1337, 37, TRUE),
    CHANNEL_NORM(9599, 512, TRUE),

    GELU(1, FALSE),
    GELU(1337, FALSE),
    GELU(1024, TRUE),
    GELU(9599 * 512, TRUE),

    /* NSF-HiFiGAN on a 3 s segment (258 frames) of the real model: its first
     * upsampling layer (k 16, stride 8, pad 4, 512 -> 256 channels) and its
     * last (k 4, stride 2, pad 1, 32 -> 16 channels at 256 samples per
     * frame), leaky ReLU over a stage's activations, tanh over the audio,
     * the harmonic source (512 samples per frame, 9 harmonics) */
    CONV_TRANSPOSE1D(1, 1, 1, 1, 1, 0, FALSE),
    CONV_TRANSPOSE1D(13, 3, 5, 3, 2, 1, TRUE), /* overlapping taps */
    CONV_TRANSPOSE1D(7, 2, 3, 2, 3, 0, TRUE),  /* gaps between taps: bias alone */
    CONV_TRANSPOSE1D(5, 3, 2, 7, 2, 4, FALSE), /* taps past both ends */
    CONV_TRANSPOSE1D(4, 2, 1, 1, 5, 0, TRUE),  /* one tap */
    CONV_TRANSPOSE1D(37, 16, 8, 16, 8, 4, TRUE),
    CONV_TRANSPOSE1D(258, 512, 256, 16, 8, 4, TRUE),
    CONV_TRANSPOSE1D(256 * 258, 32, 16, 4, 2, 1, TRUE),

    LEAKY_RELU(13, 0.1f, FALSE),
    LEAKY_RELU(1337, 0.01f, TRUE),
    LEAKY_RELU(2064 * 256, 0.1f, TRUE),
    TANH(13, FALSE),
    TANH(1337, TRUE),
    TANH(258 * 512, TRUE),

    NSF_SOURCE(1, 1, 1, FALSE, FALSE, TRUE),
    NSF_SOURCE(13, 7, 3, TRUE, TRUE, TRUE),
    NSF_SOURCE(17, 512, 9, TRUE, FALSE, TRUE),
    NSF_SOURCE(258, 512, 9, FALSE, FALSE, FALSE),
    NSF_SOURCE(258, 512, 9, TRUE, TRUE, TRUE),
    /* the DiT's block Linears in bf16 / fp16: q (beta 1 after the bias
     * fill), the MLP pair; odd sizes and a strided input */
    GEMM_LOWP(1, 1, 1, 0, 0.0f, BF16),
    GEMM_LOWP(13, 7, 5, 3, 1.0f, BF16),
    GEMM_LOWP(13, 7, 5, 3, 1.0f, FP16),
    GEMM_LOWP(516, 512, 512, 0, 1.0f, BF16),
    GEMM_LOWP(256, 2048, 512, 0, 1.0f, BF16),
    GEMM_LOWP(256, 512, 2048, 0, 0.0f, BF16),
    GEMM_LOWP(516, 512, 512, 0, 1.0f, FP16),
};

/* ---- case data ---- */

/* splitmix64: the same inputs on every machine, per case */
static guint64 rng_state;

static double uniform01(void)
{
    guint64 z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

static float uniform_sym(void)
{
    return (float)(2.0 * uniform01() - 1.0);
}

#define MAX_INPUTS 5

typedef struct {
    int n_in;
    float *in[MAX_INPUTS]; /* host inputs (doubles travel as pairs of floats) */
    int64_t in_len[MAX_INPUTS];
    /* the output: rows of out_cols values out_ld floats apart, n_out floats
     * in all (a gemm's C: M rows of N, ldc apart); doubles when out_f64 */
    int64_t n_out, out_ld, out_cols;
    gboolean out_f64;
    float *out_init; /* [GUARD + n_out + GUARD]: the output buffer before the op */
    int64_t lda, ldb, ldc;
} case_data;

/* conv1d's output frames */
static int64_t conv1d_out(const op_case *c)
{
    return (c->c1d.L + 2 * c->c1d.pad - c->c1d.dilation * (c->c1d.k - 1) - 1) / c->c1d.stride + 1;
}

/* conv_transpose1d's output frames */
static int64_t tconv_out(const op_case *c)
{
    return (c->tc.L - 1) * c->tc.stride - 2 * c->tc.pad + c->tc.k;
}

static char *case_name(const op_case *c)
{
    const char *name = ops[c->op].name;
#define I64 "%" G_GINT64_FORMAT
    switch (c->op) {
    case OP_GEMM:
        return g_strdup_printf("gemm %s%s " I64 "x" I64 "x" I64 " ld+" I64 " alpha %g beta %g",
                               c->ta ? "T" : "N", c->tb ? "T" : "N", c->M, c->N, c->K,
                               c->ld_extra, c->alpha, c->beta);
    case OP_REFLECT_PAD:
        return g_strdup_printf("reflect_pad n " I64 " pad " I64, c->n, c->pad);
    case OP_STFT_MAGNITUDE:
        return g_strdup_printf("stft_magnitude T " I64 " n_fft " I64 " hop " I64, c->T, c->n_fft,
                               c->hop);
    case OP_LOG_CLAMP:
        return g_strdup_printf("log_clamp n " I64 " floor %g", c->n, c->floor);
    case OP_FRAME_RMS:
        return g_strdup_printf("frame_rms T " I64 " win " I64 " hop " I64, c->T, c->win, c->hop);
    case OP_LAYERNORM:
        return g_strdup_printf("layernorm " I64 "x" I64 "%s%s%s", c->R, c->D,
                               c->affine ? " affine" : "", c->modulate ? " modulated" : "",
                               c->in_place ? " in place" : "");
    case OP_FILL_ROWS:
    case OP_GATED_ADD:
        return g_strdup_printf("%s " I64 "x" I64, name, c->R, c->D);
    case OP_SILU:
    case OP_RELU_SQ:
        return g_strdup_printf("%s n " I64 "%s", name, c->n, c->in_place ? " in place" : "");
    case OP_DWCONV1D:
        return g_strdup_printf("dwconv1d B " I64 " T " I64 " C " I64 " k " I64, c->B, c->T, c->D,
                               c->k);
    case OP_ROPE_HEADNORM:
        return g_strdup_printf("rope_headnorm B " I64 " T " I64 " D " I64 " head " I64
                               " rot " I64,
                               c->B, c->T, c->D, c->head_dim, c->rot_dim);
    case OP_ATTENTION:
        return g_strdup_printf("attention B " I64 " T " I64 " H " I64 " hd " I64 " len %d,%d",
                               c->B, c->T, c->H, c->head_dim, c->len[0], c->len[1]);
    case OP_ZERO_PAD_ROWS:
        return g_strdup_printf("zero_pad_rows B " I64 " T " I64 " D " I64 " len %d,%d", c->B,
                               c->T, c->D, c->len[0], c->len[1]);
    case OP_GUIDE:
    case OP_AXPY:
    case OP_MOMENTS:
    case OP_CFG_RESCALE:
        return g_strdup_printf("%s B " I64 " n " I64 " strides " I64 "," I64, name, c->B, c->n,
                               c->stride, c->stride2);
    case OP_CONV1D:
        return g_strdup_printf("conv1d L " I64 " Cin " I64 " Cout " I64 " k " I64 " stride " I64
                               " pad " I64 " dilation " I64 " groups " I64 "%s",
                               c->c1d.L, c->c1d.Cin, c->c1d.Cout, c->c1d.k, c->c1d.stride,
                               c->c1d.pad, c->c1d.dilation, c->c1d.groups,
                               c->c1d.bias ? " bias" : "");
    case OP_CHANNEL_NORM:
        return g_strdup_printf("channel_norm L " I64 " C " I64 "%s", c->c1d.L, c->c1d.Cin,
                               c->in_place ? " in place" : "");
    case OP_GELU:
        return g_strdup_printf("gelu n " I64 "%s", c->n, c->in_place ? " in place" : "");
    case OP_CONV2D:
        return g_strdup_printf("conv2d " I64 "x" I64 "x" I64 " -> " I64 " k " I64 "x" I64
                               " stride " I64 "," I64 " pad " I64 "," I64 "%s",
                               c->Cin, c->ih, c->iw, c->Cout, c->kh, c->kw, c->sh, c->sw, c->ph,
                               c->pw, c->has_bias ? " bias" : "");
    case OP_CONV_TRANSPOSE2D:
        return g_strdup_printf("conv_transpose2d " I64 "x" I64 "x" I64 " -> " I64 " k " I64
                               "x" I64 " stride " I64 "," I64 " pad " I64 "," I64
                               " outpad " I64 "," I64 "%s",
                               c->Cin, c->ih, c->iw, c->Cout, c->kh, c->kw, c->sh, c->sw, c->ph,
                               c->pw, c->oph, c->opw, c->has_bias ? " bias" : "");
    case OP_AVGPOOL2D:
        return g_strdup_printf("avgpool2d " I64 "x" I64 "x" I64 " k " I64, c->Cin, c->ih, c->iw,
                               c->k);
    case OP_CHANNEL_AFFINE:
        return g_strdup_printf("channel_affine C " I64 " n " I64 "%s", c->Cin, c->n,
                               c->in_place ? " in place" : "");
    case OP_RELU:
    case OP_SIGMOID:
        return g_strdup_printf("%s n " I64 "%s", name, c->n, c->in_place ? " in place" : "");
    case OP_GRU:
        return g_strdup_printf("gru T " I64 " H " I64 " stride " I64 "%s", c->T, c->D, c->stride,
                               c->reverse ? " reverse" : "");
    case OP_CONV_TRANSPOSE1D:
        return g_strdup_printf("conv_transpose1d L " I64 " Cin " I64 " Cout " I64 " k " I64
                               " stride " I64 " pad " I64 "%s",
                               c->tc.L, c->tc.Cin, c->tc.Cout, c->tc.k, c->tc.stride, c->tc.pad,
                               c->tc.bias ? " bias" : "");
    case OP_LEAKY_RELU:
        return g_strdup_printf("leaky_relu n " I64 " slope %g%s", c->n, c->alpha,
                               c->in_place ? " in place" : "");
    case OP_TANH:
        return g_strdup_printf("tanh n " I64 "%s", c->n, c->in_place ? " in place" : "");
    case OP_GEMM_LOWP:
        return g_strdup_printf("gemm_lowp %s M " I64 " N " I64 " K " I64 " ld+" I64 " beta %g",
                               rift_precision_to_string(c->prec), c->M, c->N, c->K, c->ld_extra,
                               c->beta);
    case OP_NSF_SOURCE:
        return g_strdup_printf("nsf_source T " I64 " upp " I64 " H " I64 "%s%s%s", c->nsf.T,
                               c->nsf.upp, c->nsf.H, c->nsf.rand_ini ? " rand_ini" : "",
                               c->nsf.randn ? " randn" : "", c->nsf.sines ? " sines" : "");
    default:
        g_assert_not_reached();
    }
#undef I64
}

/* Is position i of the output buffer (0 = first after the guard) an output? */
static gboolean is_output(const case_data *d, int64_t i)
{
    return i >= 0 && i < d->n_out && i % d->out_ld < d->out_cols;
}

static float *add_input(case_data *d, int64_t len)
{
    g_assert(d->n_in < MAX_INPUTS);
    d->in_len[d->n_in] = len;
    return d->in[d->n_in++] = g_new(float, MAX(len, 1));
}

/* `rows` rows of `cols` random values, ld apart; NaN in the gaps (an op must
 * not read them) */
static float *add_matrix(case_data *d, int64_t rows, int64_t cols, int64_t ld)
{
    float *m = add_input(d, rows * ld);
    for (int64_t i = 0; i < rows * ld; i++)
        m[i] = i % ld < cols ? uniform_sym() : NAN;
    return m;
}

static void add_doubles(case_data *d, const double *v, int n)
{
    memcpy(add_input(d, 2 * n), v, n * sizeof(double));
}

/* (T-1)·hop + len samples of a test signal: a few sines and noise, with
 * silence at the start (the stft's eps is what is left there). */
static float *add_signal(case_data *d, int64_t n)
{
    float *x = add_input(d, n);
    for (int64_t i = 0; i < n; i++)
        x[i] = i < n / 4 ? 0.0f
                         : (float)(0.5 * sin(0.031 * i) + 0.25 * sin(0.4 * i + 1.0) +
                                   0.1 * uniform_sym());
    return x;
}

/* The output: rows of cols values ld apart. */
static void set_output(case_data *d, int64_t rows, int64_t cols, int64_t ld)
{
    d->n_out = rows * ld;
    d->out_cols = cols;
    d->out_ld = MAX(ld, 1);
}

/* Output rows and columns of conv2d / conv_transpose2d. */
static void image_out_size(const op_case *c, int64_t *Ho, int64_t *Wo)
{
    if (c->op == OP_CONV2D) {
        *Ho = (c->ih + 2 * c->ph - c->kh) / c->sh + 1;
        *Wo = (c->iw + 2 * c->pw - c->kw) / c->sw + 1;
    } else {
        *Ho = (c->ih - 1) * c->sh - 2 * c->ph + c->kh + c->oph;
        *Wo = (c->iw - 1) * c->sw - 2 * c->pw + c->kw + c->opw;
    }
}

/* Inputs of every op but the in-place ones, whose input is the output. */
static void make_inputs(const op_case *c, case_data *d)
{
    switch (c->op) {
    case OP_GEMM:
        d->lda = (c->ta ? c->M : c->K) + c->ld_extra;
        d->ldb = (c->tb ? c->K : c->N) + c->ld_extra;
        d->ldc = c->N + c->ld_extra;
        add_matrix(d, c->ta ? c->K : c->M, c->ta ? c->M : c->K, d->lda);
        add_matrix(d, c->tb ? c->N : c->K, c->tb ? c->K : c->N, d->ldb);
        set_output(d, c->M, c->N, d->ldc);
        break;
    case OP_GEMM_LOWP:
        d->lda = c->K + c->ld_extra;
        d->ldc = c->N;
        add_matrix(d, c->M, c->K, d->lda);
        add_matrix(d, c->N, c->K, c->K);
        set_output(d, c->M, c->N, d->ldc);
        break;
    case OP_REFLECT_PAD:
        add_matrix(d, 1, c->n, c->n);
        set_output(d, 1, c->n + 2 * c->pad, c->n + 2 * c->pad);
        break;
    case OP_STFT_MAGNITUDE: {
        add_signal(d, (c->T - 1) * c->hop + c->n_fft);
        float *w = add_input(d, c->n_fft); /* periodic Hann, as torch.hann_window */
        for (int64_t i = 0; i < c->n_fft; i++)
            w[i] = (float)(0.5 - 0.5 * cos(2.0 * G_PI * (double)i / (double)c->n_fft));
        set_output(d, c->T, c->n_fft / 2 + 1, c->n_fft / 2 + 1);
        break;
    }
    case OP_LOG_CLAMP:
    case OP_RELU_SQ:
        set_output(d, 1, c->n, c->n);
        break;
    case OP_FRAME_RMS:
        add_signal(d, (c->T - 1) * c->hop + c->win);
        set_output(d, 1, c->T, c->T);
        break;
    case OP_LAYERNORM: {
        if (!c->in_place)
            add_matrix(d, c->R, c->D, c->D);
        if (c->affine) {
            add_matrix(d, 1, c->D, c->D); /* gamma */
            add_matrix(d, 1, c->D, c->D); /* beta */
        }
        if (c->modulate) {
            const int64_t groups = (c->R + c->group - 1) / c->group;
            add_matrix(d, groups, c->D, c->stride); /* scale */
            add_matrix(d, groups, c->D, c->stride); /* shift */
        }
        set_output(d, c->R, c->D, c->D);
        break;
    }
    case OP_FILL_ROWS:
        add_matrix(d, 1, c->D, c->D);
        set_output(d, c->R, c->D, c->D);
        break;
    case OP_GATED_ADD:
        add_matrix(d, c->R, c->D, c->D);
        add_matrix(d, (c->R + c->group - 1) / c->group, c->D, c->stride);
        set_output(d, c->R, c->D, c->D);
        break;
    case OP_SILU: {
        if (!c->in_place) {
            float *x = add_input(d, c->n);
            for (int64_t i = 0; i < c->n; i++)
                x[i] = 12.0f * uniform_sym();
        }
        set_output(d, 1, c->n, c->n);
        break;
    }
    case OP_DWCONV1D:
        add_matrix(d, c->B * c->T, c->D, c->D); /* x */
        add_matrix(d, c->D, c->k, c->k);        /* w */
        add_matrix(d, 1, c->D, c->D);           /* bias */
        set_output(d, c->B * c->T, c->D, c->D);
        break;
    case OP_ROPE_HEADNORM: {
        float *inv_freq = add_input(d, MAX(c->rot_dim / 2, 1));
        for (int64_t i = 0; i < c->rot_dim / 2; i++)
            inv_freq[i] = (float)pow(10000.0, -2.0 * (double)i / (double)c->rot_dim);
        set_output(d, c->B * c->T, c->D, c->D);
        break;
    }
    case OP_ATTENTION:
        for (int i = 0; i < 3; i++) /* q, k, v */
            add_matrix(d, c->B * c->T, c->D, c->D);
        set_output(d, c->B * c->T, c->D, c->D);
        break;
    case OP_ZERO_PAD_ROWS:
        set_output(d, c->B * c->T, c->D, c->D);
        break;
    case OP_GUIDE:
        add_matrix(d, c->B, c->n, c->stride2);
        set_output(d, c->B, c->n, c->stride);
        break;
    case OP_AXPY:
        add_matrix(d, c->stride2 ? c->B : 1, c->n, MAX(c->stride2, c->n));
        set_output(d, c->B, c->n, c->stride);
        break;
    case OP_MOMENTS:
        add_matrix(d, c->B, c->n, c->stride);
        set_output(d, 1, 4, 4);
        d->out_f64 = TRUE;
        break;
    case OP_CFG_RESCALE:
        set_output(d, c->B, c->n, c->stride);
        break;
    case OP_CONV1D: {
        const int64_t Lout = conv1d_out(c);
        add_matrix(d, c->c1d.L, c->c1d.Cin, c->c1d.Cin); /* x */
        add_matrix(d, c->c1d.Cout, c->c1d.Cin / c->c1d.groups * c->c1d.k,
                   c->c1d.Cin / c->c1d.groups * c->c1d.k); /* w */
        if (c->c1d.bias)
            add_matrix(d, 1, c->c1d.Cout, c->c1d.Cout);
        set_output(d, Lout, c->c1d.Cout, c->c1d.Cout);
        break;
    }
    case OP_CHANNEL_NORM:
        if (!c->in_place) { /* channels off zero, as conv outputs are */
            float *x = add_matrix(d, c->c1d.L, c->c1d.Cin, c->c1d.Cin);
            for (int64_t i = 0; i < c->c1d.L * c->c1d.Cin; i++)
                x[i] += 0.5f;
        }
        add_matrix(d, 1, c->c1d.Cin, c->c1d.Cin); /* gamma */
        add_matrix(d, 1, c->c1d.Cin, c->c1d.Cin); /* beta */
        set_output(d, c->c1d.L, c->c1d.Cin, c->c1d.Cin);
        break;
    case OP_GELU:
        if (!c->in_place) {
            float *x = add_input(d, c->n);
            for (int64_t i = 0; i < c->n; i++)
                x[i] = 6.0f * uniform_sym();
        }
        set_output(d, 1, c->n, c->n);
        break;
    case OP_CONV2D:
    case OP_CONV_TRANSPOSE2D: {
        const int64_t taps = c->kh * c->kw;
        add_matrix(d, c->Cin, c->ih * c->iw, c->ih * c->iw); /* x */
        if (c->op == OP_CONV2D)
            add_matrix(d, c->Cout, c->Cin * taps, c->Cin * taps); /* w [Cout, Cin, kh, kw] */
        else
            add_matrix(d, c->Cin, c->Cout * taps, c->Cout * taps); /* w [Cin, Cout, kh, kw] */
        if (c->has_bias)
            add_matrix(d, 1, c->Cout, c->Cout);
        int64_t Ho, Wo;
        image_out_size(c, &Ho, &Wo);
        set_output(d, c->Cout, Ho * Wo, Ho * Wo);
        break;
    }
    case OP_AVGPOOL2D:
        add_matrix(d, c->Cin, c->ih * c->iw, c->ih * c->iw);
        set_output(d, c->Cin, (c->ih / c->k) * (c->iw / c->k), (c->ih / c->k) * (c->iw / c->k));
        break;
    case OP_CHANNEL_AFFINE:
        if (!c->in_place)
            add_matrix(d, c->Cin, c->n, c->n);
        add_matrix(d, 1, c->Cin, c->Cin); /* scale */
        add_matrix(d, 1, c->Cin, c->Cin); /* shift */
        set_output(d, c->Cin, c->n, c->n);
        break;
    case OP_RELU:
    case OP_SIGMOID:
        if (!c->in_place) {
            float *x = add_input(d, c->n);
            for (int64_t i = 0; i < c->n; i++)
                x[i] = 12.0f * uniform_sym();
        }
        set_output(d, 1, c->n, c->n);
        break;
    case OP_GRU: {
        /* PyTorch's init range 1/sqrt(H) for W_hh and b_hh keeps the gates
         * away from saturation, where errors would hide */
        const int64_t H = c->D;
        const float a = (float)(1.0 / sqrt((double)H));
        add_matrix(d, c->T, 3 * H, 3 * H); /* xp */
        float *w = add_matrix(d, 3 * H, H, H), *b = add_matrix(d, 1, 3 * H, 3 * H);
        for (int64_t i = 0; i < 3 * H * H; i++)
            w[i] *= a;
        for (int64_t i = 0; i < 3 * H; i++)
            b[i] *= a;
        set_output(d, c->T, H, c->stride);
        break;
    }
    case OP_CONV_TRANSPOSE1D: {
        const int64_t wcols = c->tc.Cout * c->tc.k;
        add_matrix(d, c->tc.L, c->tc.Cin, c->tc.Cin); /* x */
        add_matrix(d, c->tc.Cin, wcols, wcols);       /* w [Cin, Cout, k] */
        if (c->tc.bias)
            add_matrix(d, 1, c->tc.Cout, c->tc.Cout);
        set_output(d, tconv_out(c), c->tc.Cout, c->tc.Cout);
        break;
    }
    case OP_LEAKY_RELU:
    case OP_TANH:
        if (!c->in_place) {
            float *x = add_input(d, c->n);
            for (int64_t i = 0; i < c->n; i++)
                x[i] = 4.0f * uniform_sym();
        }
        set_output(d, 1, c->n, c->n);
        break;
    case OP_NSF_SOURCE: {
        /* f0: unvoiced frames, 44100/1024 Hz (a frame's phase increment of
         * exactly one half cycle), 60 .. 1100 Hz; acc: any phase in (−1, 1) */
        const int64_t T = c->nsf.T, n = T * c->nsf.upp, H = c->nsf.H;
        float *f0 = add_input(d, T), *acc = add_input(d, T);
        for (int64_t t = 0; t < T; t++) {
            f0[t] = t % 5 == 1   ? 0.0f
                    : t % 7 == 3 ? NSF_RATE / 1024.0f
                                 : (float)(60.0 + 1040.0 * uniform01());
            acc[t] = uniform_sym();
        }
        add_matrix(d, 1, H + 1, H + 1); /* w [H], then b */
        if (c->nsf.rand_ini) {
            float *r = add_input(d, H);
            for (int64_t h = 0; h < H; h++)
                r[h] = (float)uniform01();
        }
        if (c->nsf.randn)
            add_matrix(d, n, H, H);
        const int64_t total = n * (c->nsf.sines ? H + 1 : 1); /* [sines | har] */
        set_output(d, 1, total, total);
        break;
    }
    default:
        g_assert_not_reached();
    }
}

/* The starting value of output j. */
static float initial_output(const op_case *c, int64_t j)
{
    switch (c->op) {
    case OP_GEMM:
    case OP_GEMM_LOWP:
        return c->beta != 0.0f ? uniform_sym() : NAN; /* beta == 0: C must not be read */
    case OP_LOG_CLAMP: /* zeros, negatives, 1e-7 .. 55 around the floor */
        return j % 5 == 0   ? 0.0f
               : j % 7 == 0 ? -uniform_sym() - 1.5f
                            : (float)exp(-16.0 + 20.0 * uniform01());
    case OP_RELU_SQ:
    case OP_GATED_ADD:
    case OP_ROPE_HEADNORM:
    case OP_ZERO_PAD_ROWS:
    case OP_GUIDE:
    case OP_AXPY:
        return uniform_sym(); /* in place */
    case OP_CFG_RESCALE:
        return 0.3f + 2.0f * uniform_sym();
    case OP_LAYERNORM: /* in place: rows off zero, as activations are */
        return c->in_place ? 3.0f + 2.0f * uniform_sym() : NAN;
    case OP_SILU:
        return c->in_place ? 12.0f * uniform_sym() : NAN;
    case OP_CHANNEL_NORM:
        return c->in_place ? 3.0f + 2.0f * uniform_sym() : NAN;
    case OP_GELU: /* both tails of erf */
        return c->in_place ? 6.0f * uniform_sym() : NAN;
    case OP_CHANNEL_AFFINE:
        return c->in_place ? uniform_sym() : NAN;
    case OP_RELU:
    case OP_SIGMOID:
        return c->in_place ? 12.0f * uniform_sym() : NAN;
    case OP_LEAKY_RELU:
    case OP_TANH:
        return c->in_place ? 4.0f * uniform_sym() : NAN;
    default:
        return NAN; /* a pure output: every element must be written */
    }
}

/* Moments {Σ x, Σ x²} of the n values of B blocks `stride` apart, times a. */
static void moments_of(const float *x, int64_t B, int64_t n, int64_t stride, double a, double *m)
{
    m[0] = m[1] = 0.0;
    for (int64_t i = 0; i < B; i++)
        for (int64_t j = 0; j < n; j++) {
            const double v = a * x[i * stride + j];
            m[0] += v;
            m[1] += v * v;
        }
}

static void make_case(const op_case *c, guint seed, case_data *d)
{
    memset(d, 0, sizeof *d);
    rng_state = seed;
    make_inputs(c, d);
    const int64_t total = GUARD + d->n_out + GUARD;
    d->out_init = g_new(float, total);
    for (int64_t i = 0; i < total; i++)
        d->out_init[i] = is_output(d, i - GUARD) ? initial_output(c, i - GUARD) : GUARD_VALUE;
    if (c->op == OP_CFG_RESCALE) {
        /* m_ref, m_x: the moments of x and of x scaled (ratio 1.7) */
        double m_ref[2], m_x[2];
        moments_of(d->out_init + GUARD, c->B, c->n, c->stride, 1.7, m_ref);
        moments_of(d->out_init + GUARD, c->B, c->n, c->stride, 1.0, m_x);
        add_doubles(d, m_ref, 2);
        add_doubles(d, m_x, 2);
    }
}

static void free_case(case_data *d)
{
    for (int i = 0; i < d->n_in; i++)
        g_free(d->in[i]);
    g_free(d->out_init);
}

/* ---- running a case on a backend ---- */

typedef struct {
    float *in[MAX_INPUTS];
    float *out;  /* the whole output buffer, guards included */
    void *work;  /* the workspace of attention, the convolutions, the GRU */
} dev_bufs;

static void upload_case(rift_backend *be, const op_case *c, const case_data *d, dev_bufs *b)
{
    memset(b, 0, sizeof *b);
    for (int i = 0; i < d->n_in; i++) {
        b->in[i] = rift_backend_alloc(be, d->in_len[i] * sizeof(float));
        rift_backend_upload(be, b->in[i], d->in[i], d->in_len[i] * sizeof(float));
    }
    const size_t out_bytes = (GUARD + d->n_out + GUARD) * sizeof(float);
    b->out = rift_backend_alloc(be, out_bytes);
    rift_backend_upload(be, b->out, d->out_init, out_bytes);
    if (c->op == OP_ATTENTION)
        b->work = rift_backend_alloc(
            be, rift_op_attention_workspace(be, c->B, c->T, c->H, c->head_dim));
    if (c->op == OP_CONV2D)
        b->work = rift_backend_alloc(
            be, rift_op_conv2d_workspace(be, c->Cin, c->ih, c->iw, c->Cout, c->kh, c->kw, c->sh,
                                         c->sw, c->ph, c->pw));
    if (c->op == OP_CONV_TRANSPOSE2D)
        b->work = rift_backend_alloc(
            be, rift_op_conv_transpose2d_workspace(be, c->Cin, c->ih, c->iw, c->Cout, c->kh,
                                                   c->kw, c->sh, c->sw, c->ph, c->pw, c->oph,
                                                   c->opw));
    if (c->op == OP_GRU)
        b->work = rift_backend_alloc(be, 4 * c->D * sizeof(float));
    if (c->op == OP_GEMM_LOWP) /* the rounded A and W, 2 bytes a value */
        b->work = rift_backend_alloc(be, (size_t)(c->M + c->N) * c->K * 2);
    if (c->op == OP_CONV1D)
        b->work = rift_backend_alloc(
            be, rift_op_conv1d_workspace(be, c->c1d.L, c->c1d.Cin, c->c1d.Cout, c->c1d.k,
                                         c->c1d.stride, c->c1d.pad, c->c1d.dilation,
                                         c->c1d.groups));
    if (c->op == OP_CONV_TRANSPOSE1D)
        b->work = rift_backend_alloc(
            be, rift_op_conv_transpose1d_workspace(be, c->tc.L, c->tc.Cin, c->tc.Cout, c->tc.k,
                                                   c->tc.stride, c->tc.pad));
}

static void free_bufs(rift_backend *be, dev_bufs *b)
{
    for (guint i = 0; i < G_N_ELEMENTS(b->in); i++)
        rift_backend_free_mem(be, b->in[i]);
    rift_backend_free_mem(be, b->out);
    rift_backend_free_mem(be, b->work);
}

static void enqueue_op(rift_backend *be, const op_case *c, const case_data *d, const dev_bufs *b)
{
    float *out = b->out + GUARD;
    float *const *in = b->in;
    switch (c->op) {
    case OP_GEMM:
        rift_op_gemm(be, c->ta, c->tb, c->M, c->N, c->K, c->alpha, in[0], d->lda, in[1], d->ldb,
                     c->beta, out, d->ldc);
        break;
    case OP_GEMM_LOWP: {
        char *w16 = (char *)b->work + c->M * c->K * 2;
        rift_op_to_lowp(be, b->work, in[0], c->M, c->K, d->lda, c->prec);
        rift_op_to_lowp(be, w16, in[1], c->N, c->K, c->K, c->prec);
        rift_op_gemm_lowp(be, c->M, c->N, c->K, b->work, w16, c->beta, out, d->ldc, c->prec);
        break;
    }
    case OP_REFLECT_PAD:
        rift_op_reflect_pad(be, out, in[0], c->n, c->pad);
        break;
    case OP_STFT_MAGNITUDE:
        rift_op_stft_magnitude(be, out, in[0], c->T, c->n_fft, c->hop, in[1], c->eps);
        break;
    case OP_LOG_CLAMP:
        rift_op_log_clamp(be, out, c->n, c->floor);
        break;
    case OP_FRAME_RMS:
        rift_op_frame_rms(be, out, in[0], c->T, c->win, c->hop);
        break;
    case OP_LAYERNORM: {
        int i = 0;
        const float *x = c->in_place ? out : in[i++];
        const float *gamma = c->affine ? in[i++] : NULL;
        const float *beta = c->affine ? in[i++] : NULL;
        const float *scale = c->modulate ? in[i++] : NULL;
        const float *shift = c->modulate ? in[i++] : NULL;
        rift_op_layernorm(be, out, x, c->R, c->D, c->eps, gamma, beta, scale, shift, c->group,
                          c->stride);
        break;
    }
    case OP_FILL_ROWS:
        rift_op_fill_rows(be, out, in[0], c->R, c->D);
        break;
    case OP_GATED_ADD:
        rift_op_gated_add(be, out, in[0], in[1], c->R, c->D, c->group, c->stride);
        break;
    case OP_SILU:
        rift_op_silu(be, out, c->in_place ? out : in[0], c->n);
        break;
    case OP_RELU_SQ:
        rift_op_relu_sq(be, out, c->n);
        break;
    case OP_DWCONV1D:
        rift_op_dwconv1d(be, out, in[0], in[1], in[2], c->B, c->T, c->D, c->k);
        break;
    case OP_ROPE_HEADNORM:
        rift_op_rope_headnorm(be, out, c->B, c->T, c->D, c->head_dim, c->rot_dim, in[0], c->eps);
        break;
    case OP_ATTENTION:
        rift_op_attention(be, out, in[0], in[1], in[2], c->B, c->T, c->H, c->head_dim,
                          (float)(1.0 / sqrt((double)c->head_dim)), c->len, b->work);
        break;
    case OP_ZERO_PAD_ROWS:
        rift_op_zero_pad_rows(be, out, c->B, c->T, c->D, c->len);
        break;
    case OP_GUIDE:
        rift_op_guide(be, out, c->stride, in[0], c->stride2, c->B, c->n, c->alpha);
        break;
    case OP_AXPY:
        rift_op_axpy(be, out, c->stride, in[0], c->stride2, c->B, c->n, c->alpha);
        break;
    case OP_MOMENTS:
        rift_op_moments(be, (double *)out, in[0], c->stride, c->B, c->n);
        break;
    case OP_CFG_RESCALE:
        rift_op_cfg_rescale(be, out, c->stride, c->B, c->n, (const double *)in[0],
                            (const double *)in[1], c->B * c->n, c->alpha);
        break;
    case OP_CONV1D:
        rift_op_conv1d(be, out, in[0], in[1], c->c1d.bias ? in[2] : NULL, c->c1d.L, c->c1d.Cin,
                       c->c1d.Cout, c->c1d.k, c->c1d.stride, c->c1d.pad, c->c1d.dilation,
                       c->c1d.groups, b->work);
        break;
    case OP_CHANNEL_NORM: {
        const int i = c->in_place ? 0 : 1; /* gamma, beta follow x */
        rift_op_channel_norm(be, out, c->in_place ? out : in[0], c->c1d.L, c->c1d.Cin, c->eps,
                             in[i], in[i + 1]);
        break;
    }
    case OP_GELU:
        rift_op_gelu(be, out, c->in_place ? out : in[0], c->n);
        break;
    case OP_CONV2D:
        rift_op_conv2d(be, out, in[0], in[1], c->has_bias ? in[2] : NULL, c->Cin, c->ih, c->iw,
                       c->Cout, c->kh, c->kw, c->sh, c->sw, c->ph, c->pw, b->work);
        break;
    case OP_CONV_TRANSPOSE2D:
        rift_op_conv_transpose2d(be, out, in[0], in[1], c->has_bias ? in[2] : NULL, c->Cin,
                                 c->ih, c->iw, c->Cout, c->kh, c->kw, c->sh, c->sw, c->ph, c->pw,
                                 c->oph, c->opw, b->work);
        break;
    case OP_AVGPOOL2D:
        rift_op_avgpool2d(be, out, in[0], c->Cin, c->ih, c->iw, c->k);
        break;
    case OP_CHANNEL_AFFINE: {
        const int i = c->in_place ? 0 : 1;
        rift_op_channel_affine(be, out, c->in_place ? out : in[0], c->Cin, c->n, in[i],
                               in[i + 1]);
        break;
    }
    case OP_RELU:
        rift_op_relu(be, out, c->in_place ? out : in[0], c->n);
        break;
    case OP_SIGMOID:
        rift_op_sigmoid(be, out, c->in_place ? out : in[0], c->n);
        break;
    case OP_GRU:
        rift_op_gru(be, out, c->stride, in[0], in[1], in[2], c->T, c->D, c->reverse, b->work);
        break;
    case OP_CONV_TRANSPOSE1D:
        rift_op_conv_transpose1d(be, out, in[0], in[1], c->tc.bias ? in[2] : NULL, c->tc.L,
                                 c->tc.Cin, c->tc.Cout, c->tc.k, c->tc.stride, c->tc.pad,
                                 b->work);
        break;
    case OP_LEAKY_RELU:
        rift_op_leaky_relu(be, out, c->in_place ? out : in[0], c->n, c->alpha);
        break;
    case OP_TANH:
        rift_op_tanh(be, out, c->in_place ? out : in[0], c->n);
        break;
    case OP_NSF_SOURCE: {
        /* in: f0, acc, w and b, then rand_ini and randn when the case has them */
        const int64_t n = c->nsf.T * c->nsf.upp, H = c->nsf.H;
        int i = 3;
        const float *rand_ini = c->nsf.rand_ini ? in[i++] : NULL;
        const float *randn = c->nsf.randn ? in[i++] : NULL;
        rift_op_nsf_source(be, c->nsf.sines ? out + n * H : out, c->nsf.sines ? out : NULL, in[0],
                           in[1], c->nsf.T, c->nsf.upp, NSF_RATE, H, rand_ini, randn, in[2],
                           in[2] + H);
        break;
    }
    default:
        g_assert_not_reached();
    }
}

/* Run the case on `be`; the whole output buffer comes back in `result`
 * (GUARD + n_out + GUARD floats). FALSE, and a failed check, when the
 * backend reports an error. */
static gboolean run_case(rift_backend *be, const char *label, const op_case *c,
                         const case_data *d, float *result)
{
    dev_bufs b;
    upload_case(be, c, d, &b);
    enqueue_op(be, c, d, &b);
    rift_backend_download(be, result, b.out, (GUARD + d->n_out + GUARD) * sizeof(float));
    GError *err = NULL;
    const gboolean ok = rift_backend_sync(be, &err);
    free_bufs(be, &b);
    if (!ok) {
        rift_test_true(FALSE, "%s: ran (%s)", label, err->message);
        g_error_free(err);
    }
    return ok;
}

/* The outputs of `result` as doubles, row after row without the gaps;
 * returns their count and sets *clobbered to the non-outputs that changed. */
static int64_t outputs_of(const case_data *d, const float *result, double *vals,
                          int64_t *clobbered)
{
    int64_t n = 0;
    *clobbered = 0;
    for (int64_t i = 0; i < GUARD + d->n_out + GUARD; i++) {
        if (is_output(d, i - GUARD))
            vals[n++] = result[i];
        else if (memcmp(&result[i], &d->out_init[i], sizeof(float)) != 0)
            (*clobbered)++;
    }
    if (d->out_f64) {
        n /= 2;
        memcpy(vals, result + GUARD, n * sizeof(double));
    }
    return n;
}

static void compare(const char *label, const double *got, const double *ref, int64_t n,
                    int64_t clobbered, double max_nmse)
{
    double err2 = 0.0, ref2 = 0.0, max_abs = 0.0;
    int64_t nonfinite = 0, worst = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(got[i]) || !isfinite(ref[i])) {
            nonfinite++;
            continue;
        }
        const double e = fabs(got[i] - ref[i]);
        if (e > max_abs) {
            max_abs = e;
            worst = i;
        }
        err2 += e * e;
        ref2 += ref[i] * ref[i];
    }
    const double nmse = ref2 > 0.0 ? err2 / ref2 : err2;
    const gboolean ok = nonfinite == 0 && clobbered == 0 && nmse <= max_nmse;
    rift_test_true(ok,
                   "%s: nmse %.2e (<= %.0e) max-abs %.2e, %" G_GINT64_FORMAT
                   " non-finite, %" G_GINT64_FORMAT " guards clobbered",
                   label, nmse, max_nmse, max_abs, nonfinite, clobbered);
    if (!ok && n > 0)
        printf("    worst [%" G_GINT64_FORMAT "] got %.9g want %.9g\n", worst, got[worst],
               ref[worst]);
}

/* ---- naive double-precision references ---- */

/* Fold j into [0, n) by reflecting at the ends, one reflection at a time. */
static int64_t naive_reflect(int64_t j, int64_t n)
{
    if (n == 1)
        return 0;
    while (j < 0 || j >= n)
        j = j < 0 ? -j : 2 * (n - 1) - j;
    return j;
}

/* ref[0, n) = (x - mean) / sqrt(var + eps), biased variance */
static void naive_norm(double *ref, const double *x, int64_t n, double eps)
{
    double mean = 0.0, var = 0.0;
    for (int64_t i = 0; i < n; i++)
        mean += x[i] / (double)n;
    for (int64_t i = 0; i < n; i++)
        var += (x[i] - mean) * (x[i] - mean) / (double)n;
    for (int64_t i = 0; i < n; i++)
        ref[i] = (x[i] - mean) / sqrt(var + eps);
}

/* y[co, i, j] = bias[co] + Σ w[co, ci, a, b] · x[ci, i·sh + a − ph, j·sw + b − pw] */
static void naive_conv2d(const op_case *c, const float *x, const float *w, const float *bias,
                         double *ref)
{
    int64_t Ho, Wo;
    image_out_size(c, &Ho, &Wo);
    for (int64_t co = 0; co < c->Cout; co++)
        for (int64_t i = 0; i < Ho; i++)
            for (int64_t j = 0; j < Wo; j++) {
                double acc = bias ? bias[co] : 0.0;
                for (int64_t ci = 0; ci < c->Cin; ci++)
                    for (int64_t a = 0; a < c->kh; a++) {
                        const int64_t y = i * c->sh + a - c->ph;
                        if (y < 0 || y >= c->ih)
                            continue;
                        for (int64_t b = 0; b < c->kw; b++) {
                            const int64_t xx = j * c->sw + b - c->pw;
                            if (xx >= 0 && xx < c->iw)
                                acc += (double)w[((co * c->Cin + ci) * c->kh + a) * c->kw + b] *
                                       x[(ci * c->ih + y) * c->iw + xx];
                        }
                    }
                ref[(co * Ho + i) * Wo + j] = acc;
            }
}

/* the definition: every input pixel scatters its taps, y[co, i·sh − ph + a,
 * j·sw − pw + b] += x[ci, i, j] · w[ci, co, a, b], kept where inside y */
static void naive_conv_transpose2d(const op_case *c, const float *x, const float *w,
                                   const float *bias, double *ref)
{
    int64_t Ho, Wo;
    image_out_size(c, &Ho, &Wo);
    for (int64_t co = 0; co < c->Cout; co++)
        for (int64_t p = 0; p < Ho * Wo; p++)
            ref[co * Ho * Wo + p] = bias ? bias[co] : 0.0;
    for (int64_t ci = 0; ci < c->Cin; ci++)
        for (int64_t i = 0; i < c->ih; i++)
            for (int64_t j = 0; j < c->iw; j++) {
                const double v = x[(ci * c->ih + i) * c->iw + j];
                for (int64_t co = 0; co < c->Cout; co++)
                    for (int64_t a = 0; a < c->kh; a++)
                        for (int64_t b = 0; b < c->kw; b++) {
                            const int64_t y = i * c->sh - c->ph + a, xx = j * c->sw - c->pw + b;
                            if (y >= 0 && y < Ho && xx >= 0 && xx < Wo)
                                ref[(co * Ho + y) * Wo + xx] +=
                                    v * w[((ci * c->Cout + co) * c->kh + a) * c->kw + b];
                        }
            }
}

/* torch.nn.GRU's recurrence in double (gate order r, z, n; h starts at 0) */
static void naive_gru(const op_case *c, const float *xp, const float *w, const float *b,
                      double *ref)
{
    const int64_t H = c->D;
    double *h = g_new0(double, H), *g = g_new(double, 3 * H);
    for (int64_t s = 0; s < c->T; s++) {
        const int64_t t = c->reverse ? c->T - 1 - s : s;
        for (int64_t r = 0; r < 3 * H; r++) {
            double acc = b[r];
            for (int64_t k = 0; k < H; k++)
                acc += (double)w[r * H + k] * h[k];
            g[r] = acc;
        }
        const float *x = xp + t * 3 * H;
        for (int64_t i = 0; i < H; i++) {
            const double rg = 1.0 / (1.0 + exp(-(x[i] + g[i])));
            const double z = 1.0 / (1.0 + exp(-(x[H + i] + g[H + i])));
            const double n = tanh(x[2 * H + i] + rg * g[2 * H + i]);
            h[i] = (1.0 - z) * n + z * h[i];
            ref[t * H + i] = h[i];
        }
    }
    g_free(h);
    g_free(g);
}

/* the definition: y[i·stride + m − pad, co] += x[i, ci] · w[ci, co, m], kept
 * where inside y, on top of the bias */
static void naive_conv_transpose1d(const op_case *c, const float *x, const float *w,
                                   const float *bias, double *ref)
{
    const int64_t Lout = tconv_out(c), Cin = c->tc.Cin, Cout = c->tc.Cout, k = c->tc.k;
    for (int64_t j = 0; j < Lout * Cout; j++)
        ref[j] = bias ? bias[j % Cout] : 0.0;
    for (int64_t i = 0; i < c->tc.L; i++)
        for (int64_t m = 0; m < k; m++) {
            const int64_t j = i * c->tc.stride + m - c->tc.pad;
            if (j < 0 || j >= Lout)
                continue;
            for (int64_t ci = 0; ci < Cin; ci++) {
                const double v = x[i * Cin + ci];
                for (int64_t co = 0; co < Cout; co++)
                    ref[j * Cout + co] += v * w[(ci * Cout + co) * k + m];
            }
        }
}

/* SineGen + SourceModuleHnNSF as ops.h states them, in double: the sines
 * [n, H] (when the case asks for them), then har [n] */
static void naive_nsf_source(const op_case *c, float *const *in, double *ref)
{
    const int64_t T = c->nsf.T, upp = c->nsf.upp, H = c->nsf.H;
    const float *f0 = in[0], *acc = in[1], *w = in[2];
    int i = 3;
    const float *rand_ini = c->nsf.rand_ini ? in[i++] : NULL;
    const float *randn = c->nsf.randn ? in[i++] : NULL;
    double *har = c->nsf.sines ? ref + T * upp * H : ref;
    for (int64_t t = 0; t < T; t++) {
        const gboolean voiced = f0[t] > 0.0f;
        const double amp = voiced ? 0.003 : 0.1 / 3.0;
        for (int64_t k = 0; k < upp; k++) {
            const int64_t n = t * upp + k;
            const double phase = (double)f0[t] / NSF_RATE * (double)(k + 1) + acc[t];
            double sum = w[H];
            for (int64_t h = 0; h < H; h++) {
                const double arg = phase * (double)(h + 1) + (rand_ini ? rand_ini[h] : 0.0);
                double s = voiced ? 0.1 * sin(2.0 * G_PI * arg) : 0.0;
                if (randn)
                    s += amp * randn[n * H + h];
                if (c->nsf.sines)
                    ref[n * H + h] = s;
                sum += w[h] * s;
            }
            har[n] = tanh(sum);
        }
    }
}

/* x rounded to nearest even with `bits` significant bits and no step below
 * 2^min_exp: bfloat16 is (8, -133), float16 (11, -24); no value here
 * overflows either. */
static double round_to_bits(double x, int bits, int min_exp)
{
    int e;
    if (x == 0.0)
        return 0.0;
    frexp(x, &e);
    const double step = ldexp(1.0, MAX(e - bits, min_exp));
    return nearbyint(x / step) * step; /* the default rounding mode: to even */
}

static double round_prec(double x, rift_precision p)
{
    return p == RIFT_PRECISION_BF16 ? round_to_bits(x, 8, -133) : round_to_bits(x, 11, -24);
}

/* The inputs: in[i] of the case, x0 the output buffer before the op. */
static void reference(const op_case *c, const case_data *d, double *ref)
{
    float *const *in = d->in;
    const float *x0 = d->out_init + GUARD;
    switch (c->op) {
    case OP_GEMM: {
        const float *A = in[0], *B = in[1];
        for (int64_t m = 0; m < c->M; m++)
            for (int64_t n = 0; n < c->N; n++) {
                double acc = 0.0;
                for (int64_t k = 0; k < c->K; k++) {
                    const double a = c->ta ? A[k * d->lda + m] : A[m * d->lda + k];
                    const double b = c->tb ? B[n * d->ldb + k] : B[k * d->ldb + n];
                    acc += a * b;
                }
                /* beta == 0: C is not read (it holds NaN) */
                const double cin = c->beta != 0.0f ? c->beta * (double)x0[m * d->ldc + n] : 0.0;
                ref[m * c->N + n] = c->alpha * acc + cin;
            }
        break;
    }
    case OP_REFLECT_PAD:
        for (int64_t i = 0; i < c->n + 2 * c->pad; i++)
            ref[i] = in[0][naive_reflect(i - c->pad, c->n)];
        break;
    case OP_STFT_MAGNITUDE: {
        const int64_t N = c->n_fft, bins = N / 2 + 1;
        double *cs = g_new(double, N), *sn = g_new(double, N), *f = g_new(double, N);
        for (int64_t i = 0; i < N; i++) {
            cs[i] = cos(2.0 * G_PI * (double)i / (double)N);
            sn[i] = sin(2.0 * G_PI * (double)i / (double)N);
        }
        for (int64_t t = 0; t < c->T; t++) {
            for (int64_t i = 0; i < N; i++)
                f[i] = (double)in[0][t * c->hop + i] * in[1][i];
            for (int64_t k = 0; k < bins; k++) {
                double re = 0.0, im = 0.0;
                for (int64_t i = 0, ki = 0; i < N; i++, ki = (ki + k) % N) {
                    re += f[i] * cs[ki];
                    im -= f[i] * sn[ki];
                }
                ref[t * bins + k] = sqrt(re * re + im * im + c->eps);
            }
        }
        g_free(cs);
        g_free(sn);
        g_free(f);
        break;
    }
    case OP_LOG_CLAMP:
        for (int64_t i = 0; i < c->n; i++)
            ref[i] = log(fmax((double)x0[i], (double)c->floor));
        break;
    case OP_FRAME_RMS:
        for (int64_t t = 0; t < c->T; t++) {
            double acc = 0.0;
            for (int64_t i = 0; i < c->win; i++) {
                const double v = in[0][t * c->hop + i];
                acc += v * v;
            }
            ref[t] = sqrt(acc / (double)c->win);
        }
        break;
    case OP_LAYERNORM: {
        int i = 0;
        const float *x = c->in_place ? x0 : in[i++];
        const float *gamma = c->affine ? in[i++] : NULL, *beta = c->affine ? in[i++] : NULL;
        const float *scale = c->modulate ? in[i++] : NULL, *shift = c->modulate ? in[i++] : NULL;
        double *row = g_new(double, c->D);
        for (int64_t r = 0; r < c->R; r++) {
            for (int64_t j = 0; j < c->D; j++)
                row[j] = x[r * c->D + j];
            double *y = ref + r * c->D;
            naive_norm(y, row, c->D, c->eps);
            const int64_t g = c->modulate ? (r / c->group) * c->stride : 0;
            for (int64_t j = 0; j < c->D; j++) {
                if (gamma)
                    y[j] = y[j] * gamma[j] + beta[j];
                if (scale)
                    y[j] = y[j] * (1.0 + scale[g + j]) + shift[g + j];
            }
        }
        g_free(row);
        break;
    }
    case OP_FILL_ROWS:
        for (int64_t i = 0; i < c->R * c->D; i++)
            ref[i] = in[0][i % c->D];
        break;
    case OP_GATED_ADD:
        for (int64_t r = 0; r < c->R; r++)
            for (int64_t j = 0; j < c->D; j++) {
                const double gate = in[1][(r / c->group) * c->stride + j];
                ref[r * c->D + j] = x0[r * c->D + j] + gate * in[0][r * c->D + j];
            }
        break;
    case OP_SILU: {
        const float *x = c->in_place ? x0 : in[0];
        for (int64_t i = 0; i < c->n; i++)
            ref[i] = x[i] / (1.0 + exp(-(double)x[i]));
        break;
    }
    case OP_RELU_SQ:
        for (int64_t i = 0; i < c->n; i++)
            ref[i] = x0[i] > 0.0f ? (double)x0[i] * x0[i] : 0.0;
        break;
    case OP_DWCONV1D: {
        const float *x = in[0], *w = in[1], *bias = in[2];
        for (int64_t b = 0; b < c->B; b++)
            for (int64_t t = 0; t < c->T; t++)
                for (int64_t ch = 0; ch < c->D; ch++) {
                    double acc = bias[ch];
                    for (int64_t j = 0; j < c->k; j++) {
                        const int64_t ts = t + j - c->k / 2; /* zero outside the sequence */
                        if (ts >= 0 && ts < c->T)
                            acc += (double)w[ch * c->k + j] * x[(b * c->T + ts) * c->D + ch];
                    }
                    ref[(b * c->T + t) * c->D + ch] = acc;
                }
        break;
    }
    case OP_ROPE_HEADNORM: {
        double *row = g_new(double, c->D);
        for (int64_t r = 0; r < c->B * c->T; r++) {
            for (int64_t j = 0; j < c->D; j++)
                row[j] = x0[r * c->D + j];
            for (int64_t i = 0; i < c->rot_dim / 2; i++) {
                /* the angle is a float32 product by definition (torch's einsum) */
                const double th = (float)(r % c->T) * in[0][i];
                const double a = row[2 * i], b = row[2 * i + 1];
                row[2 * i] = a * cos(th) - b * sin(th);
                row[2 * i + 1] = b * cos(th) + a * sin(th);
            }
            for (int64_t h = 0; h < c->D / c->head_dim; h++)
                naive_norm(ref + r * c->D + h * c->head_dim, row + h * c->head_dim, c->head_dim,
                           c->eps);
        }
        g_free(row);
        break;
    }
    case OP_ATTENTION: {
        const float *q = in[0], *k = in[1], *v = in[2];
        const int64_t D = c->D, hd = c->head_dim;
        const double scale = (float)(1.0 / sqrt((double)hd));
        double *p = g_new(double, c->T);
        for (int64_t b = 0; b < c->B; b++)
            for (int64_t h = 0; h < c->H; h++)
                for (int64_t t = 0; t < c->T; t++) {
                    const float *qr = q + (b * c->T + t) * D + h * hd;
                    double mx = -INFINITY, sum = 0.0;
                    for (int64_t s = 0; s < c->len[b]; s++) {
                        const float *kr = k + (b * c->T + s) * D + h * hd;
                        double dot = 0.0;
                        for (int64_t i = 0; i < hd; i++)
                            dot += (double)qr[i] * kr[i];
                        p[s] = scale * dot;
                        mx = fmax(mx, p[s]);
                    }
                    for (int64_t s = 0; s < c->len[b]; s++)
                        sum += (p[s] = exp(p[s] - mx));
                    for (int64_t i = 0; i < hd; i++) {
                        double acc = 0.0;
                        for (int64_t s = 0; s < c->len[b]; s++)
                            acc += p[s] / sum * v[(b * c->T + s) * D + h * hd + i];
                        ref[(b * c->T + t) * D + h * hd + i] = acc;
                    }
                }
        g_free(p);
        break;
    }
    case OP_ZERO_PAD_ROWS:
        for (int64_t b = 0; b < c->B; b++)
            for (int64_t t = 0; t < c->T; t++)
                for (int64_t j = 0; j < c->D; j++) {
                    const int64_t i = (b * c->T + t) * c->D + j;
                    ref[i] = t < c->len[b] ? x0[i] : 0.0;
                }
        break;
    case OP_GUIDE:
        for (int64_t b = 0; b < c->B; b++)
            for (int64_t j = 0; j < c->n; j++) {
                const double a = x0[b * c->stride + j];
                ref[b * c->n + j] = a + (a - in[0][b * c->stride2 + j]) * c->alpha;
            }
        break;
    case OP_AXPY:
        for (int64_t b = 0; b < c->B; b++)
            for (int64_t j = 0; j < c->n; j++)
                ref[b * c->n + j] =
                    x0[b * c->stride + j] + (double)c->alpha * in[0][b * c->stride2 + j];
        break;
    case OP_MOMENTS:
        moments_of(in[0], c->B, c->n, c->stride, 1.0, ref);
        break;
    case OP_CFG_RESCALE: {
        /* torch's std (N - 1) from the moments; the ratio of the two */
        const double *m_ref = (const double *)in[0], *m_x = (const double *)in[1];
        const double count = (double)(c->B * c->n);
        const double var_ref = (m_ref[1] - m_ref[0] * m_ref[0] / count) / (count - 1.0);
        const double var_x = (m_x[1] - m_x[0] * m_x[0] / count) / (count - 1.0);
        const double ratio = sqrt(var_ref / var_x);
        for (int64_t b = 0; b < c->B; b++)
            for (int64_t j = 0; j < c->n; j++)
                ref[b * c->n + j] =
                    x0[b * c->stride + j] * (c->alpha * ratio + (1.0 - c->alpha));
        break;
    }
    case OP_CONV1D: {
        const float *x = in[0], *w = in[1], *bias = c->c1d.bias ? in[2] : NULL;
        const int64_t Cin = c->c1d.Cin, Cout = c->c1d.Cout, k = c->c1d.k;
        const int64_t cin_g = Cin / c->c1d.groups, cout_g = Cout / c->c1d.groups;
        for (int64_t t = 0; t < conv1d_out(c); t++)
            for (int64_t co = 0; co < Cout; co++) {
                const int64_t g = co / cout_g;
                double acc = bias ? bias[co] : 0.0;
                for (int64_t j = 0; j < k; j++) {
                    const int64_t s = t * c->c1d.stride + j * c->c1d.dilation - c->c1d.pad;
                    if (s < 0 || s >= c->c1d.L) /* zero outside x */
                        continue;
                    for (int64_t ci = 0; ci < cin_g; ci++)
                        acc += (double)w[(co * cin_g + ci) * k + j] * x[s * Cin + g * cin_g + ci];
                }
                ref[t * Cout + co] = acc;
            }
        break;
    }
    case OP_CHANNEL_NORM: {
        const int64_t L = c->c1d.L, C = c->c1d.Cin;
        const float *x = c->in_place ? x0 : in[0];
        const float *gamma = in[c->in_place ? 0 : 1], *beta = in[c->in_place ? 1 : 2];
        double *col = g_new(double, L), *nrm = g_new(double, L);
        for (int64_t ch = 0; ch < C; ch++) {
            for (int64_t t = 0; t < L; t++)
                col[t] = x[t * C + ch];
            naive_norm(nrm, col, L, c->eps);
            for (int64_t t = 0; t < L; t++)
                ref[t * C + ch] = nrm[t] * gamma[ch] + beta[ch];
        }
        g_free(col);
        g_free(nrm);
        break;
    }
    case OP_GELU: {
        const float *x = c->in_place ? x0 : in[0];
        for (int64_t i = 0; i < c->n; i++)
            ref[i] = 0.5 * x[i] * (1.0 + erf(x[i] / sqrt(2.0)));
        break;
    }
    case OP_CONV2D:
        naive_conv2d(c, in[0], in[1], c->has_bias ? in[2] : NULL, ref);
        break;
    case OP_CONV_TRANSPOSE2D:
        naive_conv_transpose2d(c, in[0], in[1], c->has_bias ? in[2] : NULL, ref);
        break;
    case OP_AVGPOOL2D: {
        const int64_t Ho = c->ih / c->k, Wo = c->iw / c->k;
        for (int64_t ch = 0; ch < c->Cin; ch++)
            for (int64_t i = 0; i < Ho; i++)
                for (int64_t j = 0; j < Wo; j++) {
                    double acc = 0.0;
                    for (int64_t a = 0; a < c->k; a++)
                        for (int64_t b = 0; b < c->k; b++)
                            acc += in[0][(ch * c->ih + i * c->k + a) * c->iw + j * c->k + b];
                    ref[(ch * Ho + i) * Wo + j] = acc / (double)(c->k * c->k);
                }
        break;
    }
    case OP_CHANNEL_AFFINE: {
        const float *x = c->in_place ? x0 : in[0];
        const int i = c->in_place ? 0 : 1;
        for (int64_t ch = 0; ch < c->Cin; ch++)
            for (int64_t j = 0; j < c->n; j++)
                ref[ch * c->n + j] = (double)x[ch * c->n + j] * in[i][ch] + in[i + 1][ch];
        break;
    }
    case OP_RELU:
    case OP_SIGMOID: {
        const float *x = c->in_place ? x0 : in[0];
        for (int64_t i = 0; i < c->n; i++)
            ref[i] = c->op == OP_RELU ? fmax((double)x[i], 0.0) : 1.0 / (1.0 + exp(-(double)x[i]));
        break;
    }
    case OP_GRU:
        naive_gru(c, in[0], in[1], in[2], ref);
        break;
    case OP_CONV_TRANSPOSE1D:
        naive_conv_transpose1d(c, in[0], in[1], c->tc.bias ? in[2] : NULL, ref);
        break;
    case OP_LEAKY_RELU:
    case OP_TANH: {
        const float *x = c->in_place ? x0 : in[0];
        for (int64_t i = 0; i < c->n; i++)
            ref[i] = c->op == OP_TANH ? tanh((double)x[i])
                     : x[i] >= 0.0f   ? (double)x[i]
                                      : (double)c->alpha * x[i];
        break;
    }
    case OP_NSF_SOURCE:
        naive_nsf_source(c, in, ref);
        break;
    case OP_GEMM_LOWP: {
        double *a = g_new(double, c->M * c->K), *w = g_new(double, c->N * c->K);
        for (int64_t i = 0; i < c->M * c->K; i++)
            a[i] = round_prec(in[0][i / c->K * d->lda + i % c->K], c->prec);
        for (int64_t i = 0; i < c->N * c->K; i++)
            w[i] = round_prec(in[1][i], c->prec);
        for (int64_t m = 0; m < c->M; m++)
            for (int64_t n = 0; n < c->N; n++) {
                double acc = c->beta != 0.0f ? c->beta * (double)x0[m * d->ldc + n] : 0.0;
                for (int64_t k = 0; k < c->K; k++)
                    acc += a[m * c->K + k] * w[n * c->K + k];
                ref[m * c->N + n] = acc;
            }
        g_free(a);
        g_free(w);
        break;
    }
    default:
        g_assert_not_reached();
    }
}

/* ---- timing ---- */

static void perf_case(rift_backend *be, const char *backend, const char *name, const op_case *c,
                      const case_data *d)
{
    dev_bufs b;
    upload_case(be, c, d, &b);
    enqueue_op(be, c, d, &b); /* warm-up: plans, scratch, caches */
    GError *err = NULL;
    int64_t iters = 1;
    double secs = 0.0;
    gboolean ok = rift_backend_sync(be, &err);
    /* double the repetitions until one timed batch lasts 0.2 s */
    while (ok) {
        const gint64 t0 = g_get_monotonic_time();
        for (int64_t i = 0; i < iters; i++)
            enqueue_op(be, c, d, &b);
        ok = rift_backend_sync(be, &err);
        secs = (double)(g_get_monotonic_time() - t0) * 1e-6;
        if (secs >= 0.2 || iters >= (1 << 20))
            break;
        iters *= 2;
    }
    free_bufs(be, &b);
    if (!ok) {
        rift_test_true(FALSE, "perf %s on %s: ran (%s)", name, backend, err->message);
        g_error_free(err);
        return;
    }
    const double per_op = secs / (double)iters;
    printf("perf %-52s %-4s %10.4f ms", name, backend, per_op * 1e3);
    if (c->op == OP_GEMM)
        printf("  %8.1f GFLOP/s", 2.0 * c->M * c->N * c->K / per_op * 1e-9);
    printf("\n");
}

/* ---- the CUDA backend's error paths ---- */

static void expect_error(rift_backend *be, const char *what, const char *needle)
{
    GError *err = NULL;
    const gboolean ok = rift_backend_sync(be, &err);
    rift_test_true(!ok && strstr(err->message, needle) != NULL, "error path: %s -> \"%s\"", what,
                   err ? err->message : "no error");
    g_clear_error(&err);
}

static void test_cuda_errors(rift_backend *be)
{
    /* far beyond any device's memory: not NULL-and-crash but a GError */
    void *huge = rift_backend_alloc(be, (size_t)1 << 50);
    rift_test_true(huge == NULL, "error path: a 1 PiB allocation returns NULL");
    expect_error(be, "1 PiB allocation", "cuda alloc: ");

    /* what an op does with the NULL such a failure leaves */
    rift_op_log_clamp(be, NULL, 4, 1e-5f);
    expect_error(be, "op on NULL", "cuda log_clamp: an operand is NULL");

    float *buf = rift_backend_alloc(be, 4 * sizeof(float));
    rift_op_gemm(be, FALSE, FALSE, (int64_t)G_MAXINT + 1, 1, 1, 1.0f, buf, 1, buf, 1, 0.0f, buf,
                 1);
    expect_error(be, "gemm beyond 32 bits", "cuda gemm: ");

    /* the backend still works once the error is taken */
    const float x[4] = {1.0f, 0.0f, -1.0f, (float)G_E};
    float y[4];
    rift_backend_upload(be, buf, x, sizeof x);
    rift_op_log_clamp(be, buf, 4, 1e-5f);
    rift_backend_download(be, y, buf, sizeof y);
    GError *err = NULL;
    const gboolean ok = rift_backend_sync(be, &err);
    rift_test_true(ok && y[0] == 0.0f && fabsf(y[2] - logf(1e-5f)) < 1e-5f &&
                       fabsf(y[3] - 1.0f) < 1e-6f,
                   "error path: the backend runs again after the errors (%s)",
                   ok ? "synced" : err->message);
    g_clear_error(&err);
    rift_backend_free_mem(be, buf);
}

/* ---- main ---- */

int main(int argc, char **argv)
{
    const char *mode = NULL, *filter = NULL;
    gboolean perf = FALSE;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--perf") == 0)
            perf = TRUE;
        else if (!mode)
            mode = argv[i];
        else
            filter = argv[i];
    }
    const gboolean vs_cpu = g_strcmp0(mode, "cuda-vs-cpu") == 0;
    if (!vs_cpu && g_strcmp0(mode, "cpu-reference") != 0) {
        fprintf(stderr, "usage: %s cpu-reference|cuda-vs-cpu [--perf] [FILTER]\n", argv[0]);
        return 2;
    }

    GError *err = NULL;
    rift_backend *cpu = rift_backend_new(RIFT_BACKEND_CPU, -1, &err);
    g_assert_no_error(err);
    printf("cpu backend: %s\n", rift_backend_describe(cpu));
    rift_backend *cuda = NULL;
    if (vs_cpu) {
        char *why = NULL;
        if (!rift_backend_cuda_available(&why)) {
            /* asking anyway must fail with a GError, never abort */
            cuda = rift_backend_new(RIFT_BACKEND_CUDA, -1, &err);
            rift_test_true(cuda == NULL && err != NULL, "without a device, the cuda backend "
                           "refuses: %s", err ? err->message : "(no error)");
            g_clear_error(&err);
            if (g_strcmp0(g_getenv("RIFT_REQUIRE_CUDA"), "1") == 0)
                rift_test_true(FALSE, "RIFT_REQUIRE_CUDA=1 but CUDA is unavailable: %s", why);
            rift_backend_unref(cpu);
            if (rift_test_exit() != 0) {
                g_free(why);
                return 1;
            }
            const int rc = rift_test_skip("%s", why);
            g_free(why);
            return rc;
        }
        cuda = rift_backend_new(RIFT_BACKEND_CUDA, -1, &err);
        if (!cuda) {
            rift_test_true(FALSE, "open the cuda backend (%s)", err->message);
            g_error_free(err);
            rift_backend_unref(cpu);
            return rift_test_exit();
        }
        printf("cuda backend: %s\n", rift_backend_describe(cuda));
    }

    for (guint ci = 0; ci < G_N_ELEMENTS(cases); ci++) {
        const op_case *c = &cases[ci];
        char *name = case_name(c);
        if (filter && !strstr(name, filter)) {
            g_free(name);
            continue;
        }
        case_data d;
        make_case(c, 1000 + ci, &d);
        const int64_t total = GUARD + d.n_out + GUARD;
        float *res_cpu = g_new(float, total);
        double *got = g_new(double, d.n_out), *ref = g_new(double, d.n_out);
        int64_t clobbered, n;
        if (!vs_cpu) {
            char *label = g_strdup_printf("cpu vs reference: %s", name);
            if (run_case(cpu, label, c, &d, res_cpu)) {
                n = outputs_of(&d, res_cpu, got, &clobbered);
                reference(c, &d, ref);
                compare(label, got, ref, n, clobbered, ops[c->op].nmse);
            }
            g_free(label);
        } else {
            char *label = g_strdup_printf("cuda vs cpu: %s", name);
            float *res_cuda = g_new(float, total);
            int64_t clobbered_cpu;
            if (run_case(cpu, label, c, &d, res_cpu) && run_case(cuda, label, c, &d, res_cuda)) {
                outputs_of(&d, res_cpu, ref, &clobbered_cpu);
                n = outputs_of(&d, res_cuda, got, &clobbered);
                rift_test_true(clobbered_cpu == 0, "%s: cpu guards intact", label);
                compare(label, got, ref, n, clobbered, ops[c->op].nmse);
            }
            g_free(res_cuda);
            g_free(label);
        }
        if (perf) {
            perf_case(cpu, "cpu", name, c, &d);
            if (cuda)
                perf_case(cuda, "cuda", name, c, &d);
        }
        g_free(res_cpu);
        g_free(got);
        g_free(ref);
        free_case(&d);
        g_free(name);
    }

    if (cuda) {
        test_cuda_errors(cuda);
        rift_backend_unref(cuda);
    }
    rift_backend_unref(cpu);
    return rift_test_exit();
}
