/* cpu-ops.h — CPU implementations of ops.h (see there for shapes). */
#pragma once

#include "backend.h"

#include <stdint.h>

G_BEGIN_DECLS

void rift_cpu_reflect_pad(rift_backend *be, float *out, const float *x, int64_t n, int64_t pad);
void rift_cpu_stft_magnitude(rift_backend *be, float *mag, const float *x, int64_t T,
                             int64_t n_fft, int64_t hop, const float *window, float eps);
void rift_cpu_log_clamp(rift_backend *be, float *x, int64_t n, float floor);
void rift_cpu_frame_rms(rift_backend *be, float *out, const float *x, int64_t T, int64_t win,
                        int64_t hop);

G_END_DECLS
