// Regression tests for inputs found by fuzzing the image decoder (fuzz/fuzz_image.cpp).
// Bad input must be an ares::InputError, and must not corrupt memory on the way.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "../expect_input_error.h"
#include "ares/common/error.h"
#include "ares/data/image_folder.h"

namespace ares::data {
namespace {

namespace fs = std::filesystem;
using ares::testing::expect_input_error;

std::string write_file(const std::string& name, const std::string& bytes) {
  const fs::path p = fs::path(::testing::TempDir()) /
                     ("ares_image_regression_" + name + "_" + std::to_string(::getpid()));
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
  return p.string();
}

// A valid 8 x 8 greyscale baseline JPEG (141 bytes): SOI, DQT (all 8), SOF0, a DC and an AC
// huffman table of one code each, SOS, one byte of scan data, EOI.
const std::string kTinyJpeg(
    "\xFF\xD8\xFF\xDB\x00\x43\x00\x08\x08\x08\x08\x08\x08\x08\x08\x08"
    "\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08"
    "\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08"
    "\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08"
    "\x08\x08\x08\x08\x08\x08\x08\xFF\xC0\x00\x0B\x08\x00\x08\x00\x08"
    "\x01\x01\x11\x00\xFF\xC4\x00\x14\x00\x01\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\xFF\xC4\x00\x14\x10\x01"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00\x5F\xFF\xD9",
    141);
constexpr size_t kAfterDqt = 2 + 69;  // SOI, then the DQT segment

// Found by fuzz_image (UBSan: "index 257 out of bounds for type 'stbi_uc[257]'" in
// stbi__build_huffman; stb_image.h v2.27, Debian's libstb-dev 0.0~git20220908): a huffman
// table (DHT) whose 16 code-length counts add up to more than 256 symbols makes stb_image
// write past the table's arrays into the rest of its decoder state, with bytes taken from the
// file (heap memory corruption). Fuzzing found it as SOI + DHT(counts 0xFF 0xD9) in 9 bytes;
// here an unused AC table 3 of 765 symbols, inserted after the DQT, overwrites the
// dequantisation table and the image still "decodes". stb_image 2.28 refuses such a table
// ("bad DHT header"); Ares must too (a newer stb_image, or a check of the DHT counts before
// calling it).
TEST(ImageRegression, JpegHuffmanTableWithTooManySymbolsIsAnInputError) {
  const std::string clean = write_file("clean", kTinyJpeg);
  ASSERT_NO_THROW(decode_image(clean)) << "the base JPEG must be valid";
  // DHT: class 1 (AC), id 3; 13 empty lengths, then 255 codes each of 14, 15 and 16 bits.
  std::string table("\x13", 1);
  table += std::string(13, '\0') + std::string(3, '\xFF') + std::string(765, '\xFF');
  const size_t length = table.size() + 2;
  const std::string dht = std::string("\xFF\xC4", 2) + static_cast<char>(length >> 8) +
                          static_cast<char>(length & 0xFF) + table;
  const std::string evil =
      write_file("dht", kTinyJpeg.substr(0, kAfterDqt) + dht + kTinyJpeg.substr(kAfterDqt));
  // Refused before stb_image sees it (not by luck after the overwrite): the message says why.
  expect_input_error([&] { decode_image(evil); }, {evil, "huffman table of 765 symbols"});
  std::remove(clean.c_str());
  std::remove(evil.c_str());
}

// The same overflow in 9 bytes, as fuzz_image found it: SOI, then a DHT whose length (256)
// runs past the end of the file. stb_image reads zeros past the end, so the table's counts are
// 0xFF, 0xD9 and zeros: 472 symbols.
TEST(ImageRegression, TruncatedJpegHuffmanTableIsAnInputError) {
  const std::string evil =
      write_file("dht9", std::string("\xFF\xD8\xFF\xC4\x01\x00\x00\xFF\xD9", 9));
  expect_input_error([&] { decode_image(evil); }, {evil, "huffman table of 472 symbols"});
  std::remove(evil.c_str());
}

// Found by fuzz_image (ASan: heap-buffer-overflow in stbi__convert_16_to_8): a PGM whose
// max value is above 255 has 16-bit samples, which stb_image 2.27 converts with its 8-bit
// routine and then reads past the converted buffer. Ares refuses 16-bit PGM/PPM up front,
// header integers too long for stb_image's int, and truncated sample data.
TEST(ImageRegression, SixteenBitPnmIsAnInputError) {
  const std::string evil =
      write_file("pgm16", std::string("P5\n6 2565\n 256\n\x00\x1a\x6e\x78\xbe\xc8", 21));
  expect_input_error([&] { decode_image(evil); }, {evil, "16-bit PGM/PPM (max value 256)"});
  const std::string huge = write_file("pgmhuge", "P6\n99999999999 1\n255\n");
  EXPECT_THROW(decode_image(huge), InputError);
  // An 8-bit PGM with a comment still decodes.
  const std::string good = write_file("pgm8", std::string("P5\n# c\n2 1\n255\n\x10\x20", 17));
  // stb_image 2.27 leaves the missing samples of a truncated PGM uninitialised: refused.
  const std::string cut = write_file("pgmcut", std::string("P5\n# c\n2 1\n255\n\x10", 16));
  EXPECT_THROW(decode_image(cut), InputError);
  const auto image = decode_image(good);
  EXPECT_EQ(image.size(0), 1);
  EXPECT_EQ(image.size(1), 2);
  EXPECT_EQ(image[0][1][0].item<uint8_t>(), 0x20);
  for (const auto& f : {evil, huge, good, cut}) std::remove(f.c_str());
}

// Found by fuzz_image (out of memory): a PNG chunk claiming 2 GiB in a 100-byte file made
// stb_image reserve the claimed size before reading, and a BMP header of 5,636,358 x 4
// pixels decoded (zeros past the end) into an image whose resize needed 1.4 GB. Chunks must
// fit in the file, and decoded images are bounded (32768 a side, 64 megapixels).
TEST(ImageRegression, ClaimedSizesAreBoundedBeforeDecoding) {
  std::string png("\x89PNG\r\n\x1a\n\x7f\xff\xff\xf0IDAT", 16);
  png += std::string(32, '\0');
  const std::string png_file = write_file("pngclaim", png);
  expect_input_error([&] { decode_image(png_file); },
                     {png_file, "chunk 'IDAT' claims 2147483632 bytes"});
  // BITMAPFILEHEADER + BITMAPINFOHEADER, 24 bits a pixel, no pixel data.
  auto le32 = [](uint32_t v) {
    return std::string{static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 24)};
  };
  const std::string bmp = std::string("BM") + le32(54) + le32(0) + le32(54) + le32(40) +
                          le32(5636358) + le32(4) + std::string("\x01\x00\x18\x00", 4) +
                          std::string(24, '\0');
  const std::string bmp_file = write_file("bmpwide", bmp);
  expect_input_error([&] { decode_image(bmp_file); }, {bmp_file, "5636358 x 4 is too large"});
  for (const auto& f : {png_file, bmp_file}) std::remove(f.c_str());
}

}  // namespace
}  // namespace ares::data
