// JPEG decoding through libjpeg(-turbo), with errors and data-losing warnings turned into status codes.
#include "image_codecs.h"

#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

/// Progressive files with more scans than this are refused: each scan re-walks every block, so a small
/// hostile file with thousands of scans could take minutes (libjpeg-turbo's own advice for untrusted
/// input).
#define IC_JPEG_MAXIMUM_SCANS 1000

/// How many output rows we hand to jpeg_read_scanlines at once (it returns at most its own row group).
#define IC_JPEG_ROWS_PER_CALL 16

struct ic_jpeg_decoder {
  struct jpeg_decompress_struct info;
  struct jpeg_error_mgr errors;
  struct jpeg_progress_mgr progress;
  /// Where error_exit and fatal warnings jump back to: set by each public entry point.
  jmp_buf jump;
  int created;
  int header_read;
  /// CMYK or YCCK input: libjpeg gives CMYK rows that we convert to RGB ourselves.
  int converts_cmyk;
  /// CMYK samples are stored inverted (Adobe convention).
  int cmyk_inverted;
  /// One CMYK row, for the conversion.
  JSAMPLE *cmyk_row;
  ic_status status;
  char message[JMSG_LENGTH_MAX + 64];
};

// MARK: - Error handling

/// Errors whose cause is a missing feature, not damaged data.
static int is_unsupported_feature(int code) {
  return code == JERR_BAD_PRECISION || code == JERR_SOF_UNSUPPORTED || code == JERR_NOT_COMPILED ||
         code == JERR_CONVERSION_NOTIMPL || code == JERR_ARITH_NOTIMPL;
}

/// Warnings that lose no pixel data; everything else that libjpeg warns about means it guessed pixels.
static int is_harmless_warning(int code) {
  return code == JWRN_ADOBE_XFORM || code == JWRN_JFIF_MAJOR || code == JWRN_BOGUS_ICC ||
         code == JWRN_EXTRANEOUS_DATA;
}

static void fail_with_current_message(j_common_ptr common, ic_status status) {
  ic_jpeg_decoder *decoder = (ic_jpeg_decoder *)common->client_data;
  decoder->status = status;
  (*common->err->format_message)(common, decoder->message);
  longjmp(decoder->jump, 1);
}

static void on_error_exit(j_common_ptr common) {
  int code = common->err->msg_code;
  ic_status status = IC_STATUS_CORRUPT;
  if (code == JERR_OUT_OF_MEMORY) {
    status = IC_STATUS_OUT_OF_MEMORY;
  } else if (code == JERR_NO_BACKING_STORE) {
    // The whole-image buffers of a multi-scan file need more than ic_jpeg_set_memory_limit allows.
    status = IC_STATUS_OUT_OF_MEMORY;
  } else if (code == JERR_INPUT_EMPTY || code == JERR_INPUT_EOF) {
    status = IC_STATUS_TRUNCATED;
  } else if (is_unsupported_feature(code)) {
    status = IC_STATUS_UNSUPPORTED;
  }
  fail_with_current_message(common, status);
}

static void on_emit_message(j_common_ptr common, int level) {
  if (level >= 0) return;  // trace messages
  int code = common->err->msg_code;
  common->err->num_warnings++;
  if (is_harmless_warning(code)) return;
  fail_with_current_message(common, code == JWRN_JPEG_EOF ? IC_STATUS_TRUNCATED : IC_STATUS_CORRUPT);
}

static void on_output_message(j_common_ptr common) { (void)common; }

static void on_progress(j_common_ptr common) {
  j_decompress_ptr info = (j_decompress_ptr)common;
  if (common->is_decompressor && info->input_scan_number > IC_JPEG_MAXIMUM_SCANS) {
    ic_jpeg_decoder *decoder = (ic_jpeg_decoder *)common->client_data;
    decoder->status = IC_STATUS_CORRUPT;
    snprintf(decoder->message, sizeof decoder->message, "more than %d progressive scans",
             IC_JPEG_MAXIMUM_SCANS);
    longjmp(decoder->jump, 1);
  }
}

// MARK: - Lifetime

ic_jpeg_decoder *ic_jpeg_create(void) {
  ic_jpeg_decoder *decoder = calloc(1, sizeof(ic_jpeg_decoder));
  if (decoder == NULL) return NULL;
  decoder->info.err = jpeg_std_error(&decoder->errors);
  decoder->errors.error_exit = on_error_exit;
  decoder->errors.emit_message = on_emit_message;
  decoder->errors.output_message = on_output_message;
  decoder->info.client_data = decoder;
  if (setjmp(decoder->jump)) {
    free(decoder);  // jpeg_create_decompress failed (out of memory): nothing to destroy
    return NULL;
  }
  jpeg_create_decompress(&decoder->info);
  decoder->created = 1;
  decoder->progress.progress_monitor = on_progress;
  decoder->info.progress = &decoder->progress;
  return decoder;
}

void ic_jpeg_destroy(ic_jpeg_decoder *decoder) {
  if (decoder == NULL) return;
  if (decoder->created) {
    // jpeg_destroy only frees memory; it cannot fail, but keep a landing place anyway.
    if (setjmp(decoder->jump) == 0) jpeg_destroy_decompress(&decoder->info);
  }
  free(decoder->cmyk_row);
  free(decoder);
}

const char *ic_jpeg_message(const ic_jpeg_decoder *decoder) { return decoder->message; }

void ic_jpeg_set_memory_limit(ic_jpeg_decoder *decoder, size_t bytes) {
  decoder->info.mem->max_memory_to_use = (long)(bytes > (size_t)LONG_MAX ? (size_t)LONG_MAX : bytes);
}

// MARK: - Decoding

ic_status ic_jpeg_read_header(ic_jpeg_decoder *decoder, const uint8_t *data, size_t size,
                              int gray_as_rgb, ic_image_info *info) {
  if (decoder->header_read) {
    snprintf(decoder->message, sizeof decoder->message, "header already read");
    return IC_STATUS_MISUSE;
  }
  if (setjmp(decoder->jump)) return decoder->status;
  j_decompress_ptr cinfo = &decoder->info;
  jpeg_mem_src(cinfo, data, (unsigned long)size);
  jpeg_read_header(cinfo, TRUE);

  switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
      cinfo->out_color_space = gray_as_rgb ? JCS_EXT_RGB : JCS_GRAYSCALE;
      break;
    case JCS_YCbCr:
    case JCS_RGB:
      cinfo->out_color_space = JCS_EXT_RGB;
      break;
    case JCS_CMYK:
    case JCS_YCCK:
      cinfo->out_color_space = JCS_CMYK;
      decoder->converts_cmyk = 1;
      decoder->cmyk_inverted = cinfo->saw_Adobe_marker ? 1 : 0;
      break;
    default:
      decoder->status = IC_STATUS_UNSUPPORTED;
      snprintf(decoder->message, sizeof decoder->message, "unsupported color space with %d components",
               cinfo->num_components);
      return decoder->status;
  }
  // Pillow leaves these at the libjpeg defaults; set them explicitly so our pixels match its pixels.
  cinfo->dct_method = JDCT_ISLOW;
  cinfo->do_fancy_upsampling = TRUE;
  cinfo->do_block_smoothing = TRUE;
  cinfo->scale_num = 1;
  cinfo->scale_denom = 1;

  info->width = cinfo->image_width;
  info->height = cinfo->image_height;
  info->channels = cinfo->out_color_space == JCS_GRAYSCALE ? 1 : 3;
  info->bit_depth = 8;
  decoder->header_read = 1;
  return IC_STATUS_OK;
}

/// Adobe-style CMYK (or plain CMYK) to RGB with Pillow's formula: R = (255 - K) - C * (255 - K) / 255,
/// rounded to nearest.
static void convert_cmyk_row(const JSAMPLE *cmyk, uint8_t *rgb, JDIMENSION width, int inverted) {
  for (JDIMENSION x = 0; x < width; x++) {
    unsigned c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
    if (inverted) {
      c = 255 - c;
      m = 255 - m;
      y = 255 - y;
      k = 255 - k;
    }
    unsigned remaining = 255 - k;
    rgb[0] = (uint8_t)(remaining - (c * remaining + 127) / 255);
    rgb[1] = (uint8_t)(remaining - (m * remaining + 127) / 255);
    rgb[2] = (uint8_t)(remaining - (y * remaining + 127) / 255);
    cmyk += 4;
    rgb += 3;
  }
}

ic_status ic_jpeg_decode(ic_jpeg_decoder *decoder, void *output, size_t row_stride) {
  uint8_t *pixels = output;
  if (!decoder->header_read) {
    snprintf(decoder->message, sizeof decoder->message, "decode called before read_header");
    return IC_STATUS_MISUSE;
  }
  if (setjmp(decoder->jump)) return decoder->status;
  j_decompress_ptr cinfo = &decoder->info;
  jpeg_start_decompress(cinfo);
  if (cinfo->output_width != cinfo->image_width || cinfo->output_height != cinfo->image_height) {
    decoder->status = IC_STATUS_MISUSE;
    snprintf(decoder->message, sizeof decoder->message, "unexpected output size");
    return decoder->status;
  }
  if (decoder->converts_cmyk) {
    decoder->cmyk_row = malloc((size_t)cinfo->output_width * 4);
    if (decoder->cmyk_row == NULL) {
      decoder->status = IC_STATUS_OUT_OF_MEMORY;
      snprintf(decoder->message, sizeof decoder->message, "out of memory for a CMYK row");
      return decoder->status;
    }
    while (cinfo->output_scanline < cinfo->output_height) {
      uint8_t *destination = pixels + (size_t)cinfo->output_scanline * row_stride;
      JSAMPROW row = decoder->cmyk_row;
      if (jpeg_read_scanlines(cinfo, &row, 1) != 1) break;
      convert_cmyk_row(decoder->cmyk_row, destination, cinfo->output_width, decoder->cmyk_inverted);
    }
  } else {
    JSAMPROW rows[IC_JPEG_ROWS_PER_CALL];
    while (cinfo->output_scanline < cinfo->output_height) {
      JDIMENSION first = cinfo->output_scanline;
      JDIMENSION count = cinfo->output_height - first;
      if (count > IC_JPEG_ROWS_PER_CALL) count = IC_JPEG_ROWS_PER_CALL;
      for (JDIMENSION row = 0; row < count; row++) {
        rows[row] = pixels + (size_t)(first + row) * row_stride;
      }
      if (jpeg_read_scanlines(cinfo, rows, count) == 0) break;
    }
  }
  if (cinfo->output_scanline < cinfo->output_height) {
    // Cannot happen with an in-memory source (it never suspends); kept as a guard.
    decoder->status = IC_STATUS_TRUNCATED;
    snprintf(decoder->message, sizeof decoder->message, "decoder stopped at row %u of %u",
             cinfo->output_scanline, cinfo->output_height);
    return decoder->status;
  }
  // Reads through the EOI marker: a file cut after its last scan warns "Premature end of JPEG file".
  jpeg_finish_decompress(cinfo);
  return IC_STATUS_OK;
}
