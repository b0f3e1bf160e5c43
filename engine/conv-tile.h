/* conv-tile.h — how the 2-D convolutions split their im2col matrix into
 * tiles of whole rows, shared by the CPU ops (engine/cpu/conv2d.c) and their
 * CUDA twins (cuda/conv2d.cu) so that the workspace each backend asks for is
 * the one its op uses. A tile is bounded so that a 30 s segment (3008 × 128
 * mel pixels) never needs more than RIFT_CONV_TILE_BYTES of workspace,
 * however many channels the layer has. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define RIFT_CONV_TILE_BYTES ((int64_t)32 << 20)

/* Rows per tile (1..n_rows) when one row of the tile is `row_floats` floats. */
static inline int64_t rift_conv_tile_rows(int64_t row_floats, int64_t n_rows)
{
    int64_t rows = RIFT_CONV_TILE_BYTES / (row_floats * (int64_t)sizeof(float));
    if (rows < 1)
        rows = 1;
    return rows < n_rows ? rows : n_rows;
}

/* conv2d: im2col column matrix [Cin·kh·kw, rows·Wo]; a 1×1 convolution with
 * stride 1 and no padding reads x directly and needs none. */
static inline int64_t rift_conv2d_is_pointwise(int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                               int64_t ph, int64_t pw)
{
    return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
}

static inline size_t rift_conv2d_tile_bytes(int64_t Cin, int64_t Ho, int64_t Wo, int64_t kh,
                                            int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                                            int64_t pw)
{
    if (rift_conv2d_is_pointwise(kh, kw, sh, sw, ph, pw))
        return 0;
    const int64_t row = Cin * kh * kw * Wo;
    return (size_t)(row * rift_conv_tile_rows(row, Ho)) * sizeof(float);
}

/* conv_transpose2d: the product wᵀ·x of a tile of input rows,
 * [Cout·kh·kw, rows·W], before it is gathered into the output. */
static inline size_t rift_conv_transpose2d_tile_bytes(int64_t H, int64_t W, int64_t Cout,
                                                      int64_t kh, int64_t kw)
{
    const int64_t row = Cout * kh * kw * W;
    return (size_t)(row * rift_conv_tile_rows(row, H)) * sizeof(float);
}
