/* bench-dit.c — `rift-tool bench dit`: one guided sampler step, the DiT
 * evaluated once on every guidance condition of one segment; and the random
 * DiT every DiT benchmark runs. */
#include "bench.h"
#include "dit-private.h"

#include <math.h>
#include <stdio.h>

#define INFER_EVALS 31 /* infer.py's 32 grid points */

rift_dit *bench_random_dit(const bench_args *a, rift_backend *be, GError **err)
{
    const int64_t D = a->dim, F = a->ff_mult * a->dim;
    bench_weights wb;
    bench_weights_init(&wb, "state_dict/model.transformer.", 1234);
    bench_weights_add(&wb, "spk_embed.weight", 2, (int64_t[]){a->speakers, D}, 0.5, 0.0);
    bench_weights_add(&wb, "null_spk_embed.weight", 2, (int64_t[]){1, D}, 0.5, 0.0);
    bench_weights_add_linear(&wb, "tembed.time_emb", D, 256);
    bench_weights_add_linear(&wb, "tembed.proj", D, D);
    bench_weights_add_linear(&wb, "cond_embed.f0_embed", D, 1);
    bench_weights_add_linear(&wb, "cond_embed.rms_embed", D, 1);
    bench_weights_add_linear(&wb, "cond_embed.cvec_embed", D, a->cvec_dim);
    bench_weights_add_linear(&wb, "cond_embed.out", D, D);
    bench_weights_add(&wb, "cond_embed.ln.weight", 1, (int64_t[]){D}, 0.1, 1.0);
    bench_weights_add(&wb, "cond_embed.ln.bias", 1, (int64_t[]){D}, 0.1, 0.0);
    bench_weights_add_linear(&wb, "input_embed.mel_embed", D, 128);
    bench_weights_add_linear(&wb, "input_embed.proj", D, 2 * D);
    rift_tensor *inv = rift_tensor_new_1d(RIFT_F32, a->head_dim / 2);
    for (int64_t i = 0; i < a->head_dim / 2; i++)
        ((float *)inv->data)[i] = (float)pow(10000.0, -2.0 * (double)i / (double)a->head_dim);
    bench_weights_take(&wb, "rotary_embed.inv_freq", inv);
    for (int64_t l = 0; l < a->depth; l++) {
        char p[96];
#define BLK(suffix) (g_snprintf(p, sizeof p, "transformer_blocks.%d.%s", (int)l, suffix), p)
        bench_weights_add_linear(&wb, BLK("attn_norm.proj"), 6 * D, D);
        bench_weights_add_linear(&wb, BLK("attn.q_proj"), D, D);
        bench_weights_add_linear(&wb, BLK("attn.k_proj"), D, D);
        bench_weights_add_linear(&wb, BLK("attn.v_proj"), D, D);
        bench_weights_add_linear(&wb, BLK("attn.attn_out"), D, D);
        bench_weights_add(&wb, BLK("mlp.dwconv.weight"), 3, (int64_t[]){D, 1, a->kernel},
                          1.0 / sqrt((double)a->kernel), 0.0);
        bench_weights_add(&wb, BLK("mlp.dwconv.bias"), 1, (int64_t[]){D}, 0.1, 0.0);
        bench_weights_add_linear(&wb, BLK("mlp.mlp_proj"), F, D);
        bench_weights_add_linear(&wb, BLK("mlp.mlp_out"), D, F);
#undef BLK
    }
    bench_weights_add_linear(&wb, "norm_out.proj", 2 * D, D);
    bench_weights_add_linear(&wb, "output", 128, D);

    /* through a file so the weights are mapped, as a real checkpoint is */
    rift_dit *dit = NULL;
    char *dir = bench_tmpdir_new(err);
    char *path = dir ? g_build_filename(dir, "model.safetensors", NULL) : NULL;
    if (dir && bench_weights_write(&wb, path, err)) {
        rift_weights *w = rift_weights_open(path, err);
        char **names = g_new0(char *, a->speakers + 1);
        for (int64_t i = 0; i < a->speakers; i++)
            names[i] = g_strdup_printf("speaker%d", (int)i);
        dit = w ? rift_dit_load_with_speakers(w, (const char *const *)names, be, err) : NULL;
        g_strfreev(names);
        if (dit && !rift_dit_set_precision(dit, a->precision, err))
            g_clear_pointer(&dit, rift_dit_free);
    }
    g_free(path);
    if (dir)
        bench_tmpdir_remove(dir);
    bench_weights_clear(&wb);
    return dit;
}

typedef struct {
    rift_dit *dit;
    rift_dit_work *work;
    int64_t seqs, T;
    float *x, *out, *time;
    int32_t *len;
} dit_step;

static void run_dit_step(gpointer data)
{
    dit_step *s = data;
    rift_dit_eval(s->dit, s->work, s->seqs, s->T, s->x, 0, s->len, NULL, s->out);
    rift_backend_sync(rift_dit_get_backend(s->dit), NULL);
}

/* One guided sampler step: all conditions of one item in one DiT evaluation. */
int bench_dit(const bench_args *a, rift_backend *be, double peak)
{
    GError *err = NULL;
    rift_dit *dit = bench_random_dit(a, be, &err);
    if (!dit) {
        fprintf(stderr, "rift-tool bench: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    const rift_dit_hparams *hp = rift_dit_get_hparams(dit);
    const int64_t S = a->conds, T = a->frames, R = S * T;
    dit_step s = {.dit = dit, .work = rift_dit_work_new(dit, S, R), .seqs = S, .T = T};
    s.x = rift_backend_alloc(be, R * hp->n_mels * sizeof(float));
    s.out = rift_backend_alloc(be, R * hp->n_mels * sizeof(float));
    float *f0 = rift_backend_alloc(be, R * sizeof(float)), *rms = rift_backend_alloc(be, R * sizeof(float));
    float *cvec = rift_backend_alloc(be, R * hp->cvec_dim * sizeof(float));
    bench_fill_random(be, s.x, R * hp->n_mels, 1.0, 0.0);
    bench_fill_random(be, f0, R, 100.0, 300.0);
    bench_fill_random(be, rms, R, 0.02, 0.05);
    bench_fill_random(be, cvec, R * hp->cvec_dim, 1.0, 0.0);
    rift_dit_embed_conditions(dit, s.work, S, T, f0, rms, cvec);
    int64_t *spk = g_new0(int64_t, S);
    gboolean *drop = g_new0(gboolean, S);
    drop[S - 1] = S > 1;
    rift_dit_set_speakers(dit, s.work, S, spk, drop);
    s.time = g_new(float, S);
    s.len = g_new(int32_t, S);
    for (int64_t i = 0; i < S; i++) {
        s.time[i] = 0.5f;
        s.len[i] = (int32_t)T;
    }
    rift_dit_set_times(dit, s.work, S, s.time, 1);

    const double t = bench_time_median(run_dit_step, &s, a->runs);
    const double flop = rift_dit_flops(hp, S, T);
    const double audio_s = (double)T * BENCH_HOP / BENCH_RATE;
    bench_report r;
    bench_report_begin(&r, "dit", a->json);
    bench_report_num(&r, "dim", (double)hp->dim, "%.0f");
    bench_report_num(&r, "depth", (double)hp->depth, "%.0f");
    bench_report_num(&r, "frames", (double)T, "%.0f");
    bench_report_num(&r, "conds", (double)S, "%.0f");
    bench_report_str(&r, "precision", rift_precision_to_string(a->precision));
    /* rtf: infer.py's default 31 evaluations per segment, over the audio they cover */
    bench_report_speed(&r, t, flop, peak, audio_s / INFER_EVALS);
    bench_report_machine(&r, be, peak);
    bench_report_end(&r);

    float *bufs[] = {s.x, s.out, f0, rms, cvec};
    for (guint i = 0; i < G_N_ELEMENTS(bufs); i++)
        rift_backend_free_mem(be, bufs[i]);
    rift_dit_work_free(dit, s.work);
    g_free(spk);
    g_free(drop);
    g_free(s.time);
    g_free(s.len);
    rift_dit_free(dit);
    return 0;
}
