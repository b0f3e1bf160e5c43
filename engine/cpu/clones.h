/* clones.h — RIFT_CLONES compiles a hot loop for AVX-512, AVX2 and baseline
 * x86-64 and lets the loader pick the widest one the CPU has (GCC's
 * target_clones, resolved once through an ifunc), so a distribution build
 * uses the machine's vector units without -march=native. */
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define RIFT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define RIFT_CLONES
#endif
