/* slicer.c — see slicer.h. Tested against upstream's cut points (exact) and
 * rms frames in tests/fixtures/dsp (tests/dsp/test-dsp.c). */
#include "slicer.h"

#include "rift-error.h"

#include <math.h>

rift_slicer_params rift_slicer_params_default(void)
{
    return (rift_slicer_params){.threshold_db = -30.0,
                                .min_length_ms = 3000.0,
                                .min_interval_ms = 100.0,
                                .hop_ms = 10.0,
                                .max_sil_kept_ms = 200.0};
}

gboolean rift_slicer_params_check(const rift_slicer_params *p, GError **err)
{
    if (!(p->hop_ms > 0) || !(p->min_length_ms >= p->min_interval_ms) ||
        !(p->min_interval_ms >= p->hop_ms) || !(p->max_sil_kept_ms >= p->hop_ms) ||
        !isfinite(p->threshold_db)) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "slicer: need min-length (%g ms) >= min-interval (%g ms) >= hop-size (%g ms) > 0 "
                    "and max-sil-kept (%g ms) >= hop-size",
                    p->min_length_ms, p->min_interval_ms, p->hop_ms, p->max_sil_kept_ms);
        return FALSE;
    }
    return TRUE;
}

float *rift_slicer_rms(const float *x, int64_t n, int64_t win, int64_t hop, int64_t *n_frames)
{
    const int64_t pad = win / 2;
    const int64_t F = 1 + (n + 2 * pad - win) / hop;
    float *rms = g_new(float, MAX(F, 1));
    for (int64_t f = 0; f < F; f++) {
        double s = 0.0; /* frame f covers padded [f·hop, f·hop + win) = x[f·hop − pad, ...) */
        for (int64_t i = f * hop - pad; i < f * hop - pad + win; i++)
            if (i >= 0 && i < n)
                s += (double)x[i] * x[i];
        rms[f] = (float)sqrt(s / (double)win);
    }
    *n_frames = F;
    return rms;
}

/* index of the first minimum of rms[lo..hi] (inclusive, hi clipped to F − 1) */
static int64_t argmin(const float *rms, int64_t lo, int64_t hi, int64_t F)
{
    hi = MIN(hi, F - 1);
    int64_t best = lo;
    for (int64_t i = lo + 1; i <= hi; i++)
        if (rms[i] < rms[best])
            best = i;
    return best;
}

typedef struct {
    int64_t a, b; /* silence to remove, in frames: [a, b) */
} sil_tag;

/* The scan of slicer.py: tags the silent frame ranges to remove. */
static GArray *scan(const float *rms, int64_t F, float threshold, int64_t min_length,
                    int64_t min_interval, int64_t max_sil)
{
    GArray *tags = g_array_new(FALSE, FALSE, sizeof(sil_tag));
    int64_t ss = -1, clip_start = 0;
    for (int64_t i = 0; i < F; i++) {
        if (rms[i] < threshold) {
            if (ss < 0)
                ss = i;
            continue;
        }
        if (ss < 0)
            continue;
        const gboolean leading = ss == 0 && i > max_sil;
        const gboolean middle = i - ss >= min_interval && i - clip_start >= min_length;
        if (!leading && !middle) {
            ss = -1;
            continue;
        }
        sil_tag t;
        if (i - ss <= max_sil) {
            const int64_t pos = argmin(rms, ss, i, F);
            t = (sil_tag){ss == 0 ? 0 : pos, pos};
            clip_start = pos;
        } else if (i - ss <= 2 * max_sil) {
            const int64_t pos = argmin(rms, i - max_sil, ss + max_sil, F);
            const int64_t pl = argmin(rms, ss, ss + max_sil, F);
            const int64_t pr = argmin(rms, i - max_sil, i, F);
            if (ss == 0) {
                t = (sil_tag){0, pr};
                clip_start = pr;
            } else {
                t = (sil_tag){MIN(pl, pos), MAX(pr, pos)};
                clip_start = MAX(pr, pos);
            }
        } else {
            const int64_t pl = argmin(rms, ss, ss + max_sil, F);
            const int64_t pr = argmin(rms, i - max_sil, i, F);
            t = (sil_tag){ss == 0 ? 0 : pl, pr};
            clip_start = pr;
        }
        g_array_append_val(tags, t);
        ss = -1;
    }
    if (ss >= 0 && F - ss >= min_interval) { /* trailing silence */
        const sil_tag t = {argmin(rms, ss, MIN(F, ss + max_sil), F), F + 1};
        g_array_append_val(tags, t);
    }
    return tags;
}

static void add_span(GArray *spans, int64_t start, int64_t end, int64_t n)
{
    end = MIN(end, n);
    if (end > start) {
        const rift_span s = {start, end - start};
        g_array_append_val(spans, s);
    }
}

rift_span *rift_slice(const rift_slicer_params *p, double rate, const float *x, int64_t n,
                      int *n_spans)
{
    /* derived sizes, Python round() = half to even = rint */
    const double min_interval_samples = rate * p->min_interval_ms / 1000.0;
    const int64_t hop = (int64_t)rint(rate * p->hop_ms / 1000.0);
    const int64_t win = MIN((int64_t)rint(min_interval_samples), 4 * hop);
    const int64_t min_length = (int64_t)rint(rate * p->min_length_ms / 1000.0 / (double)hop);
    const int64_t min_interval = (int64_t)rint(min_interval_samples / (double)hop);
    const int64_t max_sil = (int64_t)rint(rate * p->max_sil_kept_ms / 1000.0 / (double)hop);
    const float threshold = (float)pow(10.0, p->threshold_db / 20.0);

    GArray *spans = g_array_new(FALSE, FALSE, sizeof(rift_span));
    GArray *tags = NULL;
    /* upstream compares the sample count with a frame count here; kept as is */
    if (n > min_length) {
        int64_t F;
        float *rms = rift_slicer_rms(x, n, win, hop, &F);
        tags = scan(rms, F, threshold, min_length, min_interval, max_sil);
        g_free(rms);
        if (tags->len > 0) {
            const sil_tag *t = (const sil_tag *)tags->data;
            if (t[0].a > 0)
                add_span(spans, 0, t[0].a * hop, n);
            for (guint k = 1; k < tags->len; k++)
                if (t[k - 1].b < t[k].a)
                    add_span(spans, t[k - 1].b * hop, t[k].a * hop, n);
            if (t[tags->len - 1].b * hop < n)
                add_span(spans, t[tags->len - 1].b * hop, F * hop, n);
        }
    }
    if (!tags || tags->len == 0)
        add_span(spans, 0, n, n);
    if (tags)
        g_array_free(tags, TRUE);
    *n_spans = (int)spans->len;
    return (rift_span *)g_array_free(spans, FALSE);
}
