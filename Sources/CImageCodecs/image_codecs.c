// C shims over libjpeg(-turbo) and libpng for EfficientNetImageIO: see include/image_codecs.h.
// The JPEG decoder lives in jpeg_decoder.c, the PNG decoder in png_decoder.c; this file reports which
// library versions they were built with.
#include "image_codecs.h"

#include <stdio.h>

#include <jpeglib.h>
#include <png.h>

#define IC_STRINGIFY_INNER(x) #x
#define IC_STRINGIFY(x) IC_STRINGIFY_INNER(x)

const char *ic_jpeg_library_version(void) {
#ifdef LIBJPEG_TURBO_VERSION
  return IC_STRINGIFY(LIBJPEG_TURBO_VERSION);
#else
  return "unknown";
#endif
}

const char *ic_png_library_version(void) { return png_get_libpng_ver(NULL); }
