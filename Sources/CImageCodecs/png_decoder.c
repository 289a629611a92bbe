// PNG decoding through libpng 1.6, reading from memory, with errors turned into status codes.
#include "image_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

struct ic_png_decoder {
  png_structp png;
  png_infop info;
  const uint8_t *data;
  size_t size;
  size_t offset;
  /// Where the error callback jumps back to: set by each public entry point.
  jmp_buf jump;
  /// The read callback ran out of bytes (the error that follows is a truncation).
  int ran_out_of_data;
  int header_read;
  uint32_t height;
  /// One pointer per output row, for png_read_image.
  png_bytepp rows;
  ic_status status;
  char message[256];
};

// MARK: - Callbacks

static void on_error(png_structp png, png_const_charp text) {
  ic_png_decoder *decoder = (ic_png_decoder *)png_get_error_ptr(png);
  const char *known = text != NULL ? text : "unknown error";
  if (decoder->ran_out_of_data) {
    decoder->status = IC_STATUS_TRUNCATED;
  } else if (strstr(known, "memory") != NULL) {
    decoder->status = IC_STATUS_OUT_OF_MEMORY;
  } else {
    decoder->status = IC_STATUS_CORRUPT;
  }
  snprintf(decoder->message, sizeof decoder->message, "%s", known);
  longjmp(decoder->jump, 1);
}

/// libpng warns about recoverable problems (a bad ancillary chunk, which it skips); pixels are intact.
static void on_warning(png_structp png, png_const_charp text) {
  (void)png;
  (void)text;
}

static void on_read(png_structp png, png_bytep destination, size_t length) {
  ic_png_decoder *decoder = (ic_png_decoder *)png_get_io_ptr(png);
  if (length > decoder->size - decoder->offset) {
    decoder->ran_out_of_data = 1;
    png_error(png, "unexpected end of file");
  }
  memcpy(destination, decoder->data + decoder->offset, length);
  decoder->offset += length;
}

// MARK: - Lifetime

ic_png_decoder *ic_png_create(void) {
  ic_png_decoder *decoder = calloc(1, sizeof(ic_png_decoder));
  if (decoder == NULL) return NULL;
  if (setjmp(decoder->jump)) {
    // Creation failed inside libpng (out of memory).
    if (decoder->png != NULL) png_destroy_read_struct(&decoder->png, &decoder->info, NULL);
    free(decoder);
    return NULL;
  }
  decoder->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, decoder, on_error, on_warning);
  if (decoder->png == NULL) {
    free(decoder);
    return NULL;
  }
  decoder->info = png_create_info_struct(decoder->png);
  if (decoder->info == NULL) {
    png_destroy_read_struct(&decoder->png, NULL, NULL);
    free(decoder);
    return NULL;
  }
  png_set_read_fn(decoder->png, decoder, on_read);
  return decoder;
}

void ic_png_destroy(ic_png_decoder *decoder) {
  if (decoder == NULL) return;
  png_destroy_read_struct(&decoder->png, &decoder->info, NULL);
  free(decoder->rows);
  free(decoder);
}

const char *ic_png_message(const ic_png_decoder *decoder) { return decoder->message; }

// MARK: - Decoding

ic_status ic_png_read_header(ic_png_decoder *decoder, const uint8_t *data, size_t size,
                             ic_image_info *info) {
  if (decoder->header_read) {
    snprintf(decoder->message, sizeof decoder->message, "header already read");
    return IC_STATUS_MISUSE;
  }
  decoder->data = data;
  decoder->size = size;
  decoder->offset = 0;
  if (setjmp(decoder->jump)) return decoder->status;
  png_structp png = decoder->png;
  png_infop png_info = decoder->info;
  // Critical chunks with a bad CRC are errors; ancillary ones are skipped with a warning.
  png_set_crc_action(png, PNG_CRC_DEFAULT, PNG_CRC_DEFAULT);
  png_read_info(png, png_info);

  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0, interlace = 0;
  png_get_IHDR(png, png_info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
  if (color_type == PNG_COLOR_TYPE_PALETTE) {
    png_set_palette_to_rgb(png);
    if (png_get_valid(png, png_info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  } else if (bit_depth < 8) {
    png_set_expand_gray_1_2_4_to_8(png);
  }
  if (bit_depth == 16) {
    uint16_t probe = 1;
    uint8_t first_byte;
    memcpy(&first_byte, &probe, 1);
    if (first_byte == 1) png_set_swap(png);  // PNG is big-endian; hand out host order
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, png_info);

  info->width = width;
  info->height = height;
  info->channels = png_get_channels(png, png_info);
  info->bit_depth = png_get_bit_depth(png, png_info);
  if (info->bit_depth != 8 && info->bit_depth != 16) {
    decoder->status = IC_STATUS_UNSUPPORTED;
    snprintf(decoder->message, sizeof decoder->message, "unexpected output bit depth %u",
             info->bit_depth);
    return decoder->status;
  }
  decoder->height = height;
  decoder->header_read = 1;
  return IC_STATUS_OK;
}

ic_status ic_png_decode(ic_png_decoder *decoder, void *output, size_t row_stride) {
  uint8_t *pixels = output;
  if (!decoder->header_read) {
    snprintf(decoder->message, sizeof decoder->message, "decode called before read_header");
    return IC_STATUS_MISUSE;
  }
  decoder->rows = malloc(sizeof(png_bytep) * (decoder->height > 0 ? decoder->height : 1));
  if (decoder->rows == NULL) {
    decoder->status = IC_STATUS_OUT_OF_MEMORY;
    snprintf(decoder->message, sizeof decoder->message, "out of memory for row pointers");
    return decoder->status;
  }
  for (uint32_t row = 0; row < decoder->height; row++) {
    decoder->rows[row] = pixels + (size_t)row * row_stride;
  }
  if (setjmp(decoder->jump)) return decoder->status;
  png_read_image(decoder->png, decoder->rows);
  png_read_end(decoder->png, NULL);
  return IC_STATUS_OK;
}
