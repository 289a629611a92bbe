/// EfficientNetImageIO: decoding JPEG and PNG files and preprocessing them into model inputs.
public enum ImageIOInfo {}
