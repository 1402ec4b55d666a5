// Regression tests for inputs found by fuzzing the image decoder (fuzz/fuzz_image.cpp).
// Bad input must be an ares::InputError, and must not corrupt memory on the way.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "ares/common/error.h"
#include "ares/data/image_folder.h"

namespace ares::data {
namespace {

namespace fs = std::filesystem;

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
  EXPECT_THROW(decode_image(evil), InputError);
  std::remove(clean.c_str());
  std::remove(evil.c_str());
}

}  // namespace
}  // namespace ares::data
