// C shims over libjpeg and libpng for EfficientNetImageIO (filled in by the decoding work).
#ifndef IMAGE_CODECS_H
#define IMAGE_CODECS_H
#endif
