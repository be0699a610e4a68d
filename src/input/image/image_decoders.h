// One decoder per format behind decode_image (image_decode.cpp), and the helpers
// they share. Internal to input/image: callers use image.h.
#pragma once
#include <cstddef>
#include <cstdint>

#include "input/image/image.h"

namespace qvl {

// Throws qvl::Error unless w x h is non-empty and inside the limits.
void check_image_size(int64_t w, int64_t h, const DecodeLimits& limits);

// RGBA to RGB with alpha composited over white, as qwen-vl-utils does.
Image rgba_over_white(const unsigned char* rgba, int w, int h);

// libpng (image_decode_png.cpp): every colour type and bit depth, expanded the way
// stb_image expanded them (16-bit keeps the high byte, tRNS becomes alpha, no gamma).
Image decode_png(const uint8_t* data, size_t size, const DecodeLimits& limits);

// libjpeg-turbo (image_decode_jpeg.cpp): baseline and progressive, grey, YCbCr,
// RGB, CMYK/YCCK; EXIF orientation is applied by the caller.
Image decode_jpeg(const uint8_t* data, size_t size, const DecodeLimits& limits);

}  // namespace qvl
