/* resample-soxr.c — see resample-soxr.h. Tested against infer.py's
 * audio_16k in tests/fixtures/contentvec (tests/models/test-contentvec.c,
 * bit-exact). */
#include "resample-soxr.h"

#include "rift-error.h"

#include <math.h>
#include <soxr.h>
#include <string.h>

int64_t rift_resample_soxr_len(int64_t n, int in_rate, int out_rate)
{
    return (int64_t)ceil((double)n * ((double)out_rate / (double)in_rate));
}

gboolean rift_resample_soxr_hq(const float *x, int64_t n, int in_rate, int out_rate, float *out,
                               GError **err)
{
    if (n < 0 || in_rate <= 0 || out_rate <= 0) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "resample: %" G_GINT64_FORMAT " samples from %d Hz to %d Hz", n, in_rate,
                    out_rate);
        return FALSE;
    }
    const int64_t want = rift_resample_soxr_len(n, in_rate, out_rate);
    soxr_error_t e = NULL;
    const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    const soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    soxr_t s = soxr_create(in_rate, out_rate, 1, &e, &io, &q, NULL);
    /* soxr makes round(n·out/in) <= want samples, delay-compensated; the
     * margin only makes sure nothing it would give is cut off by the buffer */
    const size_t cap = (size_t)want + 64;
    float *buf = g_new(float, cap);
    size_t got = 0, idone = 0, odone = 0;
    if (!e)
        e = soxr_process(s, x, (size_t)n, &idone, buf, cap, &odone);
    got = odone;
    /* end of input (NULL): flush what the filter still holds */
    while (!e && got < cap) {
        e = soxr_process(s, NULL, 0, NULL, buf + got, cap - got, &odone);
        if (!odone)
            break;
        got += odone;
    }
    if (!e && idone != (size_t)n)
        e = "not all input was consumed";
    if (e) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_BACKEND,
                    "resample: libsoxr, %d Hz to %d Hz, %" G_GINT64_FORMAT " samples: %s",
                    in_rate, out_rate, n, e);
    } else {
        /* librosa's fix_length: trim, or zero-pad at the end */
        const size_t keep = MIN(got, (size_t)want);
        memcpy(out, buf, keep * sizeof(float));
        memset(out + keep, 0, ((size_t)want - keep) * sizeof(float));
    }
    if (s)
        soxr_delete(s);
    g_free(buf);
    return e == NULL;
}
