/* ensemble.c — see ensemble.h. Tested bit-exactly against upstream's
 * outputs and intermediates in tests/fixtures/robust_f0
 * (tests/models/test-robust-f0-ensemble.c). */
#include "ensemble.h"

#include <math.h>
#include <string.h>

/* The median of v[0..k), k >= 1 (v is sorted in place): the middle value,
 * or (a + b) / 2 of the two middle ones, as numpy's and numba's median. */
static double median_of(double *v, int k)
{
    for (int i = 1; i < k; i++) {
        const double x = v[i];
        int j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
    return k & 1 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2.0;
}

void rift_slide_nanmedian(const double *x, int64_t n, int win, double *out)
{
    const int64_t half = win / 2;
    double *v = g_new(double, 2 * half + 1);
    for (int64_t i = 0; i < n; i++) {
        const int64_t end = MIN(n, i + half + 1);
        int k = 0;
        for (int64_t j = MAX(0, i - half); j < end; j++)
            if (!isnan(x[j]))
                v[k++] = x[j];
        out[i] = k ? median_of(v, k) : NAN;
    }
    g_free(v);
}

void rift_f0_tracker_tail(const double *f0, int64_t n, double *out)
{
    double *marked = g_new(double, MAX(n, 1));
    for (int64_t i = 0; i < n; i++)
        marked[i] = f0[i] == 0.0 ? NAN : f0[i];
    rift_slide_nanmedian(marked, n, 3, out);
    g_free(marked);
}

/* src [n_src] cut or NaN-padded to T frames: upstream's pw_f0[:T] and the
 * NaN padding of pm_f0 (g_free it) */
static double *fit_to(const double *src, int64_t n_src, int64_t T)
{
    double *dst = g_new(double, MAX(T, 1));
    const int64_t m = MIN(MAX(n_src, 0), T);
    if (m > 0)
        memcpy(dst, src, m * sizeof(double));
    for (int64_t i = m; i < T; i++)
        dst[i] = NAN;
    return dst;
}

/* The non-NaN values of frame t of the stack (pw, pm, rmvpe) into v; returns
 * their count. */
static int frame_values(const double *const stack[3], int64_t t, double v[3])
{
    int k = 0;
    for (int s = 0; s < 3; s++)
        if (!isnan(stack[s][t]))
            v[k++] = stack[s][t];
    return k;
}

void rift_f0_ensemble(const double *rmvpe_f0, int64_t T, const double *pw_f0, int64_t n_pw,
                      const double *pm_f0, int64_t n_pm, double *out,
                      const rift_f0_ensemble_steps *steps)
{
    if (T <= 0)
        return;
    double *pw = fit_to(pw_f0, n_pw, T), *pm = fit_to(pm_f0, n_pm, T);
    const double *const stack[3] = {pw, pm, rmvpe_f0};
    double *median = g_new(double, T), *slide = g_new(double, T), *f = g_new(double, T);
    guint8 *nan_nums = g_new(guint8, T);

    for (int64_t t = 0; t < T; t++) {
        double v[3];
        const int k = frame_values(stack, t, v);
        nan_nums[t] = (guint8)(3 - k);
        median[t] = k >= 2 ? median_of(v, k) : NAN;
    }
    rift_slide_nanmedian(median, T, RIFT_F0_ENSEMBLE_WINDOW, slide);

    for (int64_t t = 0; t < T; t++) {
        /* NaN compares false: a NaN median or slide is never replaced */
        const gboolean replace = fabs(median[t] - slide[t]) > RIFT_F0_ENSEMBLE_MAX_DEV;
        f[t] = replace ? slide[t] : median[t];
        if (steps && steps->dev_replaced)
            steps->dev_replaced[t] = (guint8)replace;
        if (nan_nums[t] == 1) {
            /* of the two voiced values, the one nearer the long median; the
             * larger on a tie or when that median is NaN */
            double v[3];
            frame_values(stack, t, v);
            const double lo = MIN(v[0], v[1]), hi = MAX(v[0], v[1]);
            f[t] = fabs(lo - slide[t]) < fabs(hi - slide[t]) ? lo : hi;
        }
    }
    if (steps && steps->pre_slide3)
        memcpy(steps->pre_slide3, f, T * sizeof(double));

    rift_slide_nanmedian(f, T, 3, out);
    for (int64_t t = 0; t < T; t++)
        if (nan_nums[t] >= 2 || isnan(out[t]))
            out[t] = 0.0;

    if (steps && steps->nan_nums)
        memcpy(steps->nan_nums, nan_nums, T);
    if (steps && steps->median)
        memcpy(steps->median, median, T * sizeof(double));
    if (steps && steps->slide41)
        memcpy(steps->slide41, slide, T * sizeof(double));
    g_free(pw);
    g_free(pm);
    g_free(median);
    g_free(slide);
    g_free(f);
    g_free(nan_nums);
}

void rift_f0_ensemble_light(const double *rmvpe_f0, int64_t T, const double *pw_f0,
                            int64_t n_pw, const double *pm_f0, int64_t n_pm, const float *rms,
                            float rms_threshold, double *out, guint8 *mask)
{
    if (T <= 0)
        return;
    double *pw = fit_to(pw_f0, n_pw, T), *pm = fit_to(pm_f0, n_pm, T);
    const double *const stack[3] = {pw, pm, rmvpe_f0};

    for (int64_t t = 0; t < T; t++) {
        /* NaN > 0 is false: "voiced" means a non-NaN value above 0 */
        const gboolean correct = rmvpe_f0[t] == 0.0 && (pw[t] > 0.0 || pm[t] > 0.0) &&
                                 rms[t] > rms_threshold;
        double f = rmvpe_f0[t];
        if (correct) {
            double v[3];
            int k = 0;
            for (int s = 0; s < 3; s++)
                if (stack[s][t] > 0.0)
                    v[k++] = stack[s][t];
            f = median_of(v, k);
        }
        out[t] = isnan(f) ? 0.0 : f;
        if (mask)
            mask[t] = (guint8)correct;
    }
    g_free(pw);
    g_free(pm);
}
