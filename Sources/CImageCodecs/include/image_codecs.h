// C shims over libjpeg(-turbo) and libpng for EfficientNetImageIO.
//
// Both libraries report errors by longjmp, which Swift cannot cross. Every libjpeg/libpng call lives in
// these C functions, each of which sets up its own setjmp; a failure comes back as an `ic_status` plus a
// message (from the library, without the file name, which the Swift side adds). Nothing here prints,
// exits or aborts.
//
// Use: create a decoder, read the header from an in-memory file (the bytes must stay valid and unchanged
// until the decoder is destroyed), check the size, allocate the output, decode into it, destroy.
// Output pixels are interleaved, row-major, top-left origin. 16-bit samples are in host byte order.
#ifndef IMAGE_CODECS_H
#define IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Outcome of a decoder call.
typedef enum {
  /// Success.
  IC_STATUS_OK = 0,
  /// The data ends before the image does.
  IC_STATUS_TRUNCATED = 1,
  /// The data is malformed (bad marker, bad Huffman code, CRC error, ...).
  IC_STATUS_CORRUPT = 2,
  /// The data is valid but uses a feature we do not decode (12-bit or lossless JPEG, ...).
  IC_STATUS_UNSUPPORTED = 3,
  /// Memory allocation failed.
  IC_STATUS_OUT_OF_MEMORY = 4,
  /// The decoder was used out of order (a programming error on the caller's side).
  IC_STATUS_MISUSE = 5,
} ic_status;

/// Size and layout of the image a decoder will produce.
typedef struct {
  /// Pixels per row.
  uint32_t width;
  /// Rows.
  uint32_t height;
  /// Interleaved samples per pixel: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
  uint32_t channels;
  /// Bits per sample: 8 or 16.
  uint32_t bit_depth;
} ic_image_info;

// MARK: - JPEG

/// A libjpeg decompressor for one image. Opaque.
typedef struct ic_jpeg_decoder ic_jpeg_decoder;

/// A new JPEG decoder, or NULL when out of memory.
ic_jpeg_decoder *ic_jpeg_create(void);

/// Frees the decoder and everything it allocated. Accepts NULL.
void ic_jpeg_destroy(ic_jpeg_decoder *decoder);

/// Caps the memory libjpeg may take for its whole-image buffers (the coefficients of progressive and
/// multi-scan files) at `bytes`; past it, decoding fails with IC_STATUS_OUT_OF_MEMORY instead of
/// allocating. Call before `ic_jpeg_decode`.
void ic_jpeg_set_memory_limit(ic_jpeg_decoder *decoder, size_t bytes);

/// Reads the JPEG headers from `data[0..<size]` and fills `info`.
///
/// Output is 8-bit gray (1 channel) for grayscale files, unless `gray_as_rgb` is nonzero (then libjpeg
/// replicates gray into R, G and B while decoding, saving a pass), and 8-bit RGB (3 channels) for the rest;
/// CMYK and YCCK files are converted to RGB (inverted when an Adobe APP14 marker is present, as Adobe
/// software writes them). Decoding uses the accurate integer IDCT and fancy (triangle) upsampling, the
/// libjpeg defaults that Pillow also uses.
ic_status ic_jpeg_read_header(ic_jpeg_decoder *decoder, const uint8_t *data, size_t size,
                              int gray_as_rgb, ic_image_info *info);

/// Decodes the whole image into `output`, rows `row_stride` bytes apart (at least width * channels).
///
/// Any libjpeg warning that means lost data (premature end of file, bad Huffman code, missing restart
/// marker, ...) is an error; only harmless warnings (unknown JFIF revision or Adobe transform, a bad
/// ICC marker, junk bytes between segments) are ignored. The end of image marker must be present.
ic_status ic_jpeg_decode(ic_jpeg_decoder *decoder, void *output, size_t row_stride);

/// The message of the last failure, without file name (empty when none). Valid until destroy.
const char *ic_jpeg_message(const ic_jpeg_decoder *decoder);

// MARK: - PNG

/// A libpng reader for one image. Opaque.
typedef struct ic_png_decoder ic_png_decoder;

/// A new PNG decoder, or NULL when out of memory.
ic_png_decoder *ic_png_create(void);

/// Frees the decoder and everything it allocated. Accepts NULL.
void ic_png_destroy(ic_png_decoder *decoder);

/// Reads the PNG signature and the chunks before the image data from `data[0..<size]`; fills `info`.
///
/// Output keeps the file's channels (gray, gray+alpha, RGB, RGBA) and bit depth (16 stays 16, in host
/// byte order; 1, 2 and 4-bit gray are scaled to 8 bits). Palette images become RGB, or RGBA when the
/// palette has transparency (tRNS). A tRNS colour key on gray or RGB images is ignored, as Pillow's
/// convert("RGB") ignores it. Gamma and colour profiles are not applied. Interlaced (Adam7) images are
/// de-interlaced.
ic_status ic_png_read_header(ic_png_decoder *decoder, const uint8_t *data, size_t size,
                             ic_image_info *info);

/// Decodes the whole image into `output` (rows `row_stride` bytes apart, at least
/// width * channels * bit_depth / 8), then reads the chunks after the image data through IEND, so a
/// file missing its end is reported as truncated. CRC errors in critical chunks are errors.
ic_status ic_png_decode(ic_png_decoder *decoder, void *output, size_t row_stride);

/// The message of the last failure, without file name (empty when none). Valid until destroy.
const char *ic_png_message(const ic_png_decoder *decoder);

// MARK: - Library versions

/// The libjpeg-turbo version the shims were compiled against, for example "2.1.5" ("unknown" if the
/// library is not libjpeg-turbo).
const char *ic_jpeg_library_version(void);

/// The libpng version in use, for example "1.6.39".
const char *ic_png_library_version(void);

#ifdef __cplusplus
}
#endif

#endif
