// A streaming gzip (or plain) file reader over zlib: see include/gzip_reader.h.
#include "gzip_reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

struct gzr_reader {
  gzFile file;
  /// The last failure was the file ending inside a compressed stream.
  int truncated;
  char message[256];
};

gzr_reader *gzr_open(const char *path, char *message, size_t message_capacity) {
  gzr_reader *reader = calloc(1, sizeof(gzr_reader));
  if (reader == NULL) {
    if (message_capacity > 0) snprintf(message, message_capacity, "out of memory");
    return NULL;
  }
  errno = 0;
  reader->file = gzopen(path, "rb");
  if (reader->file == NULL) {
    if (message_capacity > 0) {
      snprintf(message, message_capacity, "%s", errno != 0 ? strerror(errno) : "out of memory");
    }
    free(reader);
    return NULL;
  }
  return reader;
}

int64_t gzr_read(gzr_reader *reader, void *buffer, size_t capacity) {
  reader->message[0] = '\0';
  reader->truncated = 0;
  // gzread takes an unsigned count; stay far below its limit.
  unsigned request = capacity > (1u << 30) ? (1u << 30) : (unsigned)capacity;
  errno = 0;
  int count = gzread(reader->file, buffer, request);
  // Data decompressed before a failure comes back first; zlib keeps the error, so the next call fails.
  if (count > 0) return count;
  int code = Z_OK;
  const char *detail = gzerror(reader->file, &code);
  if (count < 0 || code != Z_OK) {
    // zlib reports a file that stops inside a gzip stream as Z_BUF_ERROR ("unexpected end of file").
    const char *reason = code == Z_ERRNO ? strerror(errno) : detail;
    if (reason == NULL || reason[0] == '\0') {
      reason = code == Z_BUF_ERROR ? "unexpected end of file" : "read error";
    }
    snprintf(reader->message, sizeof(reader->message), "%s", reason);
    reader->truncated = code == Z_BUF_ERROR;
    return -1;
  }
  return 0;
}

int gzr_is_compressed(const gzr_reader *reader) { return gzdirect(reader->file) ? 0 : 1; }

const char *gzr_message(const gzr_reader *reader) { return reader->message; }

int gzr_is_truncated(const gzr_reader *reader) { return reader->truncated; }

void gzr_close(gzr_reader *reader) {
  if (reader == NULL) return;
  if (reader->file != NULL) gzclose_r(reader->file);
  free(reader);
}
