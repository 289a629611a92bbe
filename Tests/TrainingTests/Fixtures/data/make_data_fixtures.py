"""Writes the data-pipeline test fixtures (run from this folder: python3 make_data_fixtures.py).

CSV: tiny 2x2 images (4 pixels then the label), plain and gzip, and broken variants.
Image folders: 8x8 images whose pixels follow pattern(x, y, c) = (16x + 3y + 50c) % 256.
"""
import gzip
import os
import shutil

from PIL import Image


def pattern(x, y, c):
    return (16 * x + 3 * y + 50 * c) % 256


def image(mode):
    channels = 3 if mode == "RGB" else 1
    img = Image.new(mode, (8, 8))
    for y in range(8):
        for x in range(8):
            values = tuple(pattern(x, y, c) for c in range(channels))
            img.putpixel((x, y), values if channels == 3 else values[0])
    return img


def write_gzip(name, data, mtime=0):
    with open(name, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=mtime, filename="") as compressed:
            compressed.write(data)


# --- CSV ---------------------------------------------------------------------------------------------
rows = ["0,64,128,255,0", "255,255,0,0,2", "10,20,30,40,1"]
tiny = ("\n".join(rows) + "\n").encode()
write_gzip("tiny.csv.gz", tiny)
with open("tiny.csv", "wb") as f:  # CRLF line ends, no final newline, a blank line, decimals
    f.write(b"0,64,128,255.0,0\r\n\r\n255,255,0,0,2\r\n10,20,30,40,1")
write_gzip("wrong_count.csv.gz", b"0,64,128,255,0\n255,255,0,0,2\n10,20,30,1\n")
with open("not_a_number.csv", "wb") as f:
    f.write(b"0,64,128,255,0\n255,x,0,0,2\n")
with open("out_of_range.csv", "wb") as f:
    f.write(b"0,64,128,255,0\n1,2,3,4,1\n0,0,300,0,1\n")
with open("not_square.csv", "wb") as f:
    f.write(b"1,2,3,0\n4,5,6,1\n")
big = ("\n".join(rows * 4000) + "\n").encode()  # long enough that a cut lands mid-stream
write_gzip("big.csv.gz", big)
data = open("big.csv.gz", "rb").read()
open("truncated.csv.gz", "wb").write(data[: len(data) // 2])
corrupt = bytearray(data)
corrupt[-6] ^= 0xFF  # inside the CRC-32 trailer
open("bad_checksum.csv.gz", "wb").write(bytes(corrupt))
os.remove("big.csv.gz")

# --- Image folders -----------------------------------------------------------------------------------
for folder in ["folder", "folder_empty_class", "folder_no_classes", "folder_with_broken_file"]:
    shutil.rmtree(folder, ignore_errors=True)
os.makedirs("folder/cat")
os.makedirs("folder/dog")
image("RGB").save("folder/cat/b_rgb.png")
image("L").save("folder/cat/a_gray.PNG")
image("RGB").save("folder/dog/photo.JPG", quality=95)
image("RGB").save("folder/dog/photo2.jpeg", quality=95)
open("folder/dog/notes.txt", "w").write("not an image\n")
image("RGB").save("folder/dog/.hidden.png")

os.makedirs("folder_empty_class/a")
os.makedirs("folder_empty_class/b")
image("L").save("folder_empty_class/a/x.png")
open("folder_empty_class/b/readme.txt", "w").write("no images here\n")

os.makedirs("folder_no_classes")
image("L").save("folder_no_classes/loose.png")

os.makedirs("folder_with_broken_file/a")
image("L").save("folder_with_broken_file/a/good.png")
open("folder_with_broken_file/a/broken.png", "wb").write(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
