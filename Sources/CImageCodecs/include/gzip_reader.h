// A streaming reader for gzip-compressed (or plain) files, over zlib's gz* functions, for
// EfficientNetTraining's CSV datasets.
//
// Files that do not start with the gzip magic bytes are read as they are, so one reader serves both
// `data.csv.gz` and `data.csv`. Concatenated gzip members are read one after another. Nothing here
// prints, exits or aborts: failures come back as return values plus a message (without the file name,
// which the Swift side adds).
#ifndef GZIP_READER_H
#define GZIP_READER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An open file being decompressed. Opaque.
typedef struct gzr_reader gzr_reader;

/// Opens `path` for reading.
///
/// Returns NULL when the file cannot be opened (or memory runs out); then the reason (from errno) is
/// written to `message` (at most `message_capacity` bytes, NUL-terminated).
gzr_reader *gzr_open(const char *path, char *message, size_t message_capacity);

/// Reads up to `capacity` decompressed bytes into `buffer`.
///
/// Returns the number of bytes read (more than 0), 0 at the clean end of the file, or -1 on failure:
/// corrupt compressed data, a bad checksum, a file that ends inside a compressed stream, or a read
/// error; `gzr_message` then says which.
int64_t gzr_read(gzr_reader *reader, void *buffer, size_t capacity);

/// Whether the file is gzip-compressed (1) or read as plain bytes (0). Valid after the first read.
int gzr_is_compressed(const gzr_reader *reader);

/// Whether the last failure of `gzr_read` was the file ending inside a compressed stream (1), rather
/// than corrupt data or a read error (0).
int gzr_is_truncated(const gzr_reader *reader);

/// The message of the last failure (empty when none). Valid until the next call or `gzr_close`.
const char *gzr_message(const gzr_reader *reader);

/// Closes the file and frees the reader. Accepts NULL.
void gzr_close(gzr_reader *reader);

#ifdef __cplusplus
}
#endif

#endif
