/* stage-mel.c — `rift-tool run mel`: audio [n] -> mel [128, T], rms [T],
 * laid out as upstream's get_mel_spectrogram / RMSExtractor return them
 * (the engine computes frame-major [T, 128]; this transposes). */
#include "mel.h"
#include "stages.h"

gboolean rift_stage_mel(rift_stage_ctx *ctx, GError **err)
{
    const rift_tensor *t_audio;
    float *audio = rift_stage_input_f32(ctx, "audio", &t_audio, err);
    if (!audio)
        return FALSE;
    const int64_t n = rift_tensor_numel(t_audio);

    const rift_mel_params p = rift_mel_params_default();
    rift_mel *mel = rift_mel_new(ctx->be, &p, err);
    if (!mel) {
        g_free(audio);
        return FALSE;
    }
    const int64_t T = rift_mel_n_frames(mel, n), M = p.n_mels;
    float *frames = g_new(float, MAX(T * M, 1));
    rift_tensor *t_mel = rift_tensor_new_2d(RIFT_F32, M, T);
    rift_tensor *t_rms = rift_tensor_new_1d(RIFT_F32, T);
    gboolean ok = rift_mel_compute(mel, audio, n, frames, t_rms->data, err);
    if (ok) {
        float *dst = t_mel->data;
        for (int64_t t = 0; t < T; t++)
            for (int64_t m = 0; m < M; m++)
                dst[m * T + t] = frames[t * M + m];
        rift_stage_output(ctx, "mel", t_mel);
        rift_stage_output(ctx, "rms", t_rms);
    } else {
        rift_tensor_free(t_mel);
        rift_tensor_free(t_rms);
    }
    g_free(frames);
    g_free(audio);
    rift_mel_free(mel);
    return ok;
}
