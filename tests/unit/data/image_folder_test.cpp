#include "ares/data/image_folder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include "../expect_input_error.h"
#include "ares/common/error.h"
#include "ares/data/load.h"

// stb's PNG/JPEG writer makes the fixtures (the reader under test is stb_image, in the
// library; the writer is only here).
#define STB_IMAGE_WRITE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#endif
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace ares::data {
namespace {

namespace fs = std::filesystem;

// Real photos and pictures shipped by Debian packages the set-up script installs (espeak-ng,
// chromium), and scikit-image's test photos where python3-skimage is installed. Tests use
// whichever exist and say so when none does.
struct RealImage {
  const char* path;
  int64_t height, width;
  int64_t min_colours;  ///< distinct byte values a correct decode shows at least
};
const RealImage kRealImages[] = {
    {"/usr/lib/python3/dist-packages/skimage/data/chelsea.png", 300, 451, 200},
    {"/usr/lib/python3/dist-packages/skimage/data/coffee.png", 400, 600, 200},
    {"/usr/share/doc/espeak-ng/docs/images/sand-light.jpg", 94, 94, 20},  // photo, baseline JPEG
    {"/usr/share/doc/espeak-ng/docs/images/lips.png", 172, 193, 2},       // two-colour palette PNG
    {"/usr/share/icons/hicolor/256x256/apps/chromium.png", 256, 256, 100},  // RGBA PNG
};

std::vector<RealImage> real_images() {
  std::vector<RealImage> found;
  for (const auto& r : kRealImages) {
    if (fs::is_regular_file(r.path)) found.push_back(r);
  }
  return found;
}

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (had_) {
      ::setenv(name_, old_.c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  bool had_ = false;
  std::string old_;
};

using ares::testing::expect_input_error;

// uint8 H x W x 3 whose pixel (y, x) is (r, g, b) = (x % 256, y % 256, c).
torch::Tensor coordinate_image(int64_t h, int64_t w, int c = 7) {
  auto xs = torch::arange(w, torch::kInt64).remainder(256).view({1, w}).expand({h, w});
  auto ys = torch::arange(h, torch::kInt64).remainder(256).view({h, 1}).expand({h, w});
  auto cs = torch::full({h, w}, c, torch::kInt64);
  return torch::stack({xs, ys, cs}, 2).to(torch::kUInt8).contiguous();
}

void write_png(const fs::path& p, const torch::Tensor& rgb) {
  fs::create_directories(p.parent_path());
  const auto img = rgb.contiguous();
  ASSERT_TRUE(stbi_write_png(p.c_str(), int(img.size(1)), int(img.size(0)), 3,
                             img.data_ptr<uint8_t>(), int(img.size(1) * 3)));
}

void write_jpg(const fs::path& p, const torch::Tensor& rgb) {
  fs::create_directories(p.parent_path());
  const auto img = rgb.contiguous();
  ASSERT_TRUE(stbi_write_jpg(p.c_str(), int(img.size(1)), int(img.size(0)), 3,
                             img.data_ptr<uint8_t>(), 95));
}

torch::Tensor solid(int64_t h, int64_t w, int r, int g, int b) {
  auto t = torch::empty({h, w, 3}, torch::kUInt8);
  t.select(2, 0).fill_(r);
  t.select(2, 1).fill_(g);
  t.select(2, 2).fill_(b);
  return t;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// (c / 255 - mean) / std, as the preprocessing computes it in float32.
float normalised(int value, int channel) {
  const float mean[3] = {0.485f, 0.456f, 0.406f}, stdev[3] = {0.229f, 0.224f, 0.225f};
  return (static_cast<float>(value) / 255.0f - mean[channel]) / stdev[channel];
}

class ImageFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("ares_imgfolder_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Classes "b" (2 images), "a" (1), "c" (3), created out of order, small images.
  fs::path make_folder(const std::string& name = "set") {
    fs::path d = dir_ / name;
    write_png(d / "b" / "b0.png", solid(20, 30, 0, 0, 255));
    write_jpg(d / "b" / "b1.JPEG", solid(30, 20, 0, 0, 250));
    write_png(d / "a" / "a0.PNG", solid(16, 16, 255, 0, 0));
    write_png(d / "c" / "c0.png", solid(18, 18, 0, 255, 0));
    write_png(d / "c" / "sub" / "c2.png", solid(18, 18, 0, 254, 0));  // subfolders count too
    write_jpg(d / "c" / "c1.jpg", solid(18, 18, 0, 253, 0));
    write_bytes(d / "c" / "README.txt", "not an image: ignored");
    return d;
  }

  fs::path dir_;
};

// ---- preprocessing -------------------------------------------------------------------------

TEST(ImageFolderPreprocessTest, ResizeForCropIsTorchvisions) {
  EXPECT_EQ(resize_for_crop(224), 256);
  EXPECT_EQ(resize_for_crop(299), 342);
  EXPECT_EQ(resize_for_crop(32), 37);
  expect_input_error([] { resize_for_crop(0); }, {"image size", "got 0"});
  expect_input_error([] { resize_for_crop(5000); }, {"5000"});
}

TEST(ImageFolderPreprocessTest, SolidColourNormalisesExactly) {
  for (auto hw : {std::pair<int64_t, int64_t>{300, 500}, {500, 300}, {10, 12}, {224, 224}}) {
    auto out = preprocess_image(solid(hw.first, hw.second, 200, 100, 50), 224);
    ASSERT_EQ(out.sizes(), (c10::IntArrayRef{3, 224, 224}));
    EXPECT_EQ(out.scalar_type(), torch::kFloat32);
    const int values[3] = {200, 100, 50};
    for (int c = 0; c < 3; ++c) {
      EXPECT_TRUE(torch::equal(out[c], torch::full({224, 224}, normalised(values[c], c))))
          << hw.first << "x" << hw.second << " channel " << c;
    }
  }
  EXPECT_EQ(preprocess_image(solid(400, 300, 1, 2, 3), 299).sizes(),
            (c10::IntArrayRef{3, 299, 299}));
}

TEST(ImageFolderPreprocessTest, CentreCropRoundsHalfToEvenAsPython) {
  // A short side already at 256 is not resampled; the crop offset is round((W - 224) / 2):
  // 16.5 -> 16 and 17.5 -> 18 (Python's round), where round-half-up would give 17 and 18.
  for (auto wl : {std::pair<int64_t, int>{257, 16}, {259, 18}, {256, 16}}) {
    auto out = preprocess_image(coordinate_image(256, wl.first), 224);
    EXPECT_FLOAT_EQ(out[0][0][0].item<float>(), normalised(wl.second, 0)) << wl.first;
    EXPECT_FLOAT_EQ(out[1][0][0].item<float>(), normalised(16, 1)) << wl.first;
    EXPECT_FLOAT_EQ(out[0][5][223].item<float>(), normalised(wl.second + 223, 0)) << wl.first;
    EXPECT_FLOAT_EQ(out[2][100][100].item<float>(), normalised(7, 2)) << wl.first;
  }
}

TEST(ImageFolderPreprocessTest, RejectsBadTensors) {
  expect_input_error([] { preprocess_image(torch::zeros({4, 4, 3}), 224); }, {"uint8"});
  expect_input_error(
      [] {
        preprocess_image(torch::zeros({4, 4}, torch::kUInt8), 224);
      },
      {"H x W x 3"});
}

// ---- decoding ------------------------------------------------------------------------------

TEST_F(ImageFolderTest, DecodesWhatItWrote) {
  const auto img = coordinate_image(17, 23);
  write_png(dir_ / "x.png", img);
  EXPECT_TRUE(torch::equal(decode_image((dir_ / "x.png").string()), img));
  // JPEG is lossy: close, not equal.
  write_jpg(dir_ / "x.jpg", solid(16, 16, 120, 60, 30));
  auto j = decode_image((dir_ / "x.jpg").string()).to(torch::kInt32);
  EXPECT_EQ(j.sizes(), (c10::IntArrayRef{16, 16, 3}));
  EXPECT_LE((j - solid(16, 16, 120, 60, 30).to(torch::kInt32)).abs().max().item<int>(), 3);
  // A PNG named .jpg decodes by content.
  fs::copy_file(dir_ / "x.png", dir_ / "png_named.jpg");
  EXPECT_TRUE(torch::equal(decode_image((dir_ / "png_named.jpg").string()), img));
}

TEST(ImageFolderDecodeTest, RealPhotosFromDebianPackages) {
  const auto found = real_images();
  if (found.empty()) GTEST_SKIP() << "no packaged photo installed (espeak-ng, chromium, skimage)";
  for (const auto& r : found) {
    SCOPED_TRACE(r.path);
    auto img = decode_image(r.path);
    ASSERT_EQ(img.sizes(), (c10::IntArrayRef{r.height, r.width, 3}));
    // Real content, not a blank decode.
    EXPECT_GE(std::get<0>(torch::_unique(img.flatten())).numel(), r.min_colours);
    auto pre = preprocess_image(img, 224);
    EXPECT_TRUE(torch::isfinite(pre).all().item<bool>());
    EXPECT_LT(pre.abs().max().item<float>(), 2.7f);  // (1 - 0.406) / 0.225 = 2.64 at most
  }
}

TEST_F(ImageFolderTest, CorruptAndTruncatedFilesNameTheFile) {
  write_png(dir_ / "good.png", coordinate_image(40, 40));
  write_jpg(dir_ / "good.jpg", coordinate_image(40, 40));
  const std::string png = read_bytes(dir_ / "good.png"), jpg = read_bytes(dir_ / "good.jpg");
  write_bytes(dir_ / "garbage.png", "this is not an image at all, just text");
  write_bytes(dir_ / "empty.png", "");
  write_bytes(dir_ / "trunc.png", png.substr(0, png.size() / 2));
  write_bytes(dir_ / "trunc.jpg", jpg.substr(0, jpg.size() / 2));
  write_bytes(dir_ / "header_only.jpg", jpg.substr(0, 20));
  for (const char* name :
       {"garbage.png", "empty.png", "trunc.png", "trunc.jpg", "header_only.jpg"}) {
    const std::string p = (dir_ / name).string();
    expect_input_error([&] { decode_image(p); }, {p});
  }
  expect_input_error([&] { decode_image((dir_ / "missing.png").string()); },
                     {"missing.png", "cannot open"});
}

// ---- folders -------------------------------------------------------------------------------

TEST_F(ImageFolderTest, LabelsFollowSortedClassNamesRoundRobin) {
  const auto d = make_folder();
  const Dataset ds = load_image_folder(d.string(), 32);
  EXPECT_EQ(ds.num_classes, 3);
  ASSERT_EQ(ds.size(), 6);
  EXPECT_EQ(ds.images.sizes(), (c10::IntArrayRef{6, 3, 32, 32}));
  // Classes a=0, b=1, c=2; round-robin: a0 b0 c0, b1 c1, c2 (c's files: c0.png, c1.jpg, then
  // sub/c2.png, torchvision's folder-then-name order).
  EXPECT_EQ(std::vector<int64_t>(ds.labels.data_ptr<int64_t>(), ds.labels.data_ptr<int64_t>() + 6),
            (std::vector<int64_t>{0, 1, 2, 1, 2, 2}));
  EXPECT_FLOAT_EQ(ds.images[0][0][5][5].item<float>(), normalised(255, 0));  // a0: red
  EXPECT_FLOAT_EQ(ds.images[1][2][5][5].item<float>(), normalised(255, 2));  // b0: blue
  EXPECT_FLOAT_EQ(ds.images[2][1][5][5].item<float>(), normalised(255, 1));  // c0: green
  EXPECT_FLOAT_EQ(ds.images[5][1][5][5].item<float>(), normalised(254, 1));  // sub/c2
  EXPECT_EQ(ds.name, d.string());
  EXPECT_EQ(ds.source, d.string());

  const Dataset lim = load_image_folder(d.string(), 32, /*limit=*/4);
  ASSERT_EQ(lim.size(), 4);
  EXPECT_TRUE(torch::equal(lim.labels, ds.labels.slice(0, 0, 4)));
  EXPECT_TRUE(torch::equal(lim.images, ds.images.slice(0, 0, 4)));
  EXPECT_EQ(load_image_folder(d.string(), 32, 100).size(), 6);
}

TEST_F(ImageFolderTest, ClassIndexFileSetsTheOrder) {
  const auto d = make_folder();
  write_bytes(d / "classes.txt",
              "# label order\nc green things\n\nb blue\r\na\n");  // first word counts
  const Dataset ds = load_image_folder(d.string(), 32);
  EXPECT_EQ(ds.num_classes, 3);
  // c=0, b=1, a=2: round-robin c0 b0 a0, c1 b1, c2.
  EXPECT_EQ(std::vector<int64_t>(ds.labels.data_ptr<int64_t>(), ds.labels.data_ptr<int64_t>() + 6),
            (std::vector<int64_t>{0, 1, 2, 0, 1, 0}));
  EXPECT_FLOAT_EQ(ds.images[2][0][5][5].item<float>(), normalised(255, 0));  // a0 is red
}

TEST_F(ImageFolderTest, ClassIndexFileErrors) {
  const auto d = make_folder();
  const std::string idx = (d / "classes.txt").string();
  write_bytes(idx, "a\nb\nc\nd\n");
  expect_input_error([&] { load_image_folder(d.string()); }, {idx, "line 4", "'d'", "no folder"});
  write_bytes(idx, "a\nb\na\nc\n");
  expect_input_error([&] { load_image_folder(d.string()); }, {idx, "line 3", "already listed"});
  write_bytes(idx, "a\nc\n");
  expect_input_error([&] { load_image_folder(d.string()); }, {(d / "b").string(), "not listed"});
  write_bytes(idx, "# nothing\n\n");
  expect_input_error([&] { load_image_folder(d.string()); }, {idx, "no class"});
}

TEST_F(ImageFolderTest, FolderErrors) {
  expect_input_error([&] { load_image_folder((dir_ / "none").string()); },
                     {(dir_ / "none").string(), "no such directory"});
  fs::create_directories(dir_ / "empty");
  expect_input_error([&] { load_image_folder((dir_ / "empty").string()); },
                     {(dir_ / "empty").string(), "no class folders"});
  // A class folder without images (torchvision refuses it too: labels would shift).
  const auto d = make_folder();
  fs::create_directories(d / "d_empty");
  write_bytes(d / "d_empty" / "notes.txt", "x");
  expect_input_error([&] { load_image_folder(d.string()); },
                     {(d / "d_empty").string(), "holds no image"});
  fs::remove_all(d / "d_empty");
  // One bad file fails the whole load, naming the file.
  write_bytes(d / "b" / "broken.jpg", "garbage");
  expect_input_error([&] { load_image_folder(d.string(), 32); },
                     {(d / "b" / "broken.jpg").string(), "cannot decode"});
  fs::remove(d / "b" / "broken.jpg");
  write_bytes(d / "a" / "scan.TIFF", "II*");
  expect_input_error([&] { load_image_folder(d.string(), 32); }, {"scan.TIFF", "TIFF"});
  fs::remove(d / "a" / "scan.TIFF");
  expect_input_error([&] { load_image_folder(d.string(), 0); }, {"image size"});
  expect_input_error([&] { load_image_folder(d.string(), 32, -1); }, {"limit"});
  EXPECT_EQ(load_image_folder(d.string(), 32).size(), 6);
}

TEST_F(ImageFolderTest, ValSubfolderIsFound) {
  make_folder("imagenet/val");
  const Dataset ds = load_image_folder((dir_ / "imagenet").string(), 32);
  EXPECT_EQ(ds.size(), 6);
  EXPECT_EQ(ds.source, (dir_ / "imagenet" / "val").string());
  EXPECT_TRUE(is_image_folder((dir_ / "imagenet").string()));
  EXPECT_FALSE(is_image_folder((dir_ / "nowhere").string()));
}

TEST_F(ImageFolderTest, LoadDatasetDispatchesImageFolders) {
  const auto d = make_folder();
  EXPECT_TRUE(is_image_folder(d.string()));
  {
    const Split s = load_dataset(d.string(), /*test_only=*/true);
    EXPECT_EQ(s.train.size(), 0);
    EXPECT_EQ(s.test.size(), 6);
    EXPECT_EQ(s.test.images.sizes(), (c10::IntArrayRef{6, 3, 224, 224}));
  }
  {
    ScopedEnv size("ARES_IMAGE_SIZE", "299");
    ScopedEnv limit("ARES_IMAGE_LIMIT", "2");
    const Split s = load_dataset(d.string(), true);
    EXPECT_EQ(s.test.images.sizes(), (c10::IntArrayRef{2, 3, 299, 299}));
  }
  {
    ScopedEnv size("ARES_IMAGE_SIZE", "big");
    expect_input_error([&] { load_dataset(d.string(), true); }, {"ARES_IMAGE_SIZE", "big"});
  }
  expect_input_error([&] { load_dataset(d.string(), /*test_only=*/false); },
                     {d.string(), "evaluation set only"});
  // A bare name found in $ARES_DATA_DIR, with the ImageNet layout NAME/val/<class>.
  make_folder("data/imagenet/val");
  ScopedEnv data("ARES_DATA_DIR", (dir_ / "data").string());
  ScopedEnv limit("ARES_IMAGE_LIMIT", "3");
  const Split s = load_dataset("imagenet", true);
  EXPECT_EQ(s.test.size(), 3);
  EXPECT_EQ(s.test.name, "imagenet");
  // An MNIST directory with a stray image subfolder stays MNIST.
  write_bytes(d / "t10k-images-idx3-ubyte.gz", "");
  EXPECT_FALSE(is_image_folder(d.string()));
}

}  // namespace
}  // namespace ares::data

namespace ares::data {
namespace {

// ---- against torchvision -------------------------------------------------------------------

std::string python_with_torchvision() {
  std::vector<std::string> candidates;
  if (const char* p = std::getenv("ARES_PYTHON")) candidates.push_back(p);
  candidates.push_back("python3");
  candidates.push_back("/usr/bin/python3");
  for (const auto& py : candidates) {
    const std::string cmd = py + " -c 'import torchvision' > /dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) return py;
  }
  return "";
}

// torchvision's preprocessing of `files` by scripts/export_torchvision.py (PIL decodes).
torch::Tensor torchvision_preprocess(const std::string& py, const std::vector<std::string>& files,
                                     int64_t size, const fs::path& out, bool pil = false) {
  // This file is tests/unit/data/image_folder_test.cpp.
  const auto script = fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path() /
                      "scripts" / "export_torchvision.py";
  std::string cmd = py + " '" + script.string() + "' preprocess " + std::to_string(size) + " '" +
                    out.string() + "'";
  for (const auto& f : files) cmd += " '" + f + "'";
  if (pil) cmd += " --pil";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const std::string bytes = read_bytes(out);
  const auto n = static_cast<int64_t>(files.size());
  auto t = torch::empty({n, 3, size, size}, torch::kFloat32);
  EXPECT_EQ(bytes.size(), static_cast<size_t>(t.numel() * 4));
  if (bytes.size() == static_cast<size_t>(t.numel() * 4)) {
    std::memcpy(t.data_ptr<float>(), bytes.data(), bytes.size());
  }
  return t;
}

torch::Tensor ares_preprocess(const std::vector<std::string>& files, int64_t size) {
  std::vector<torch::Tensor> out;
  out.reserve(files.size());
  for (const auto& f : files) out.push_back(preprocess_image(decode_image(f), size));
  return torch::stack(out);
}

TEST_F(ImageFolderTest, PreprocessingEqualsTorchvisionsOnLosslessImages) {
  const std::string py = python_with_torchvision();
  if (py.empty()) GTEST_SKIP() << "python3 with torchvision not found";
  torch::manual_seed(2);
  // Odd sizes (crop offsets x.5), an upscale, and a large downscale where antialiasing counts.
  write_png(dir_ / "coords.png", coordinate_image(301, 517));
  write_png(dir_ / "small.png", coordinate_image(40, 30));
  auto noise = torch::randint(0, 256, {12, 16, 3}, torch::kInt64).to(torch::kUInt8);
  auto big =
      torch::nn::functional::interpolate(noise.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32),
                                         torch::nn::functional::InterpolateFuncOptions()
                                             .size(std::vector<int64_t>{900, 1200})
                                             .mode(torch::kBilinear)
                                             .align_corners(false));
  big = (big.squeeze(0).permute({1, 2, 0}) + torch::randn({900, 1200, 3}) * 20)
            .round()
            .clamp(0, 255)
            .to(torch::kUInt8);
  write_png(dir_ / "big.png", big);
  std::vector<std::string> files = {(dir_ / "coords.png").string(), (dir_ / "small.png").string(),
                                    (dir_ / "big.png").string()};
  for (const auto& r : real_images()) {
    if (fs::path(r.path).extension() == ".png") files.push_back(r.path);
  }
  for (int64_t size : {224, 299}) {
    SCOPED_TRACE(size);
    const auto want = torchvision_preprocess(py, files, size, dir_ / "tv.f32");
    const auto got = ares_preprocess(files, size);
    for (size_t i = 0; i < files.size(); ++i) {
      EXPECT_LE((got[i] - want[i]).abs().max().item<float>(), 1e-6f) << files[i];
    }
    // torchvision's PIL pipeline resizes with PIL's own antialiasing filter: at most one grey
    // level (1/255/0.225 = 0.0175 after normalisation) apart.
    if (size != 224) continue;
    const auto pil = torchvision_preprocess(py, files, size, dir_ / "pil.f32", /*pil=*/true);
    for (size_t i = 0; i < files.size(); ++i) {
      EXPECT_LE((got[i] - pil[i]).abs().max().item<float>(), 0.0175f * 1.01f) << files[i];
    }
  }
}

TEST_F(ImageFolderTest, JpegDecodingIsCloseToPils) {
  const std::string py = python_with_torchvision();
  if (py.empty()) GTEST_SKIP() << "python3 with torchvision not found";
  write_jpg(dir_ / "coords.jpg", coordinate_image(301, 517));
  std::vector<std::string> files = {(dir_ / "coords.jpg").string()};
  for (const auto& r : real_images()) {
    if (fs::path(r.path).extension() == ".jpg") files.push_back(r.path);
  }
  const auto want = torchvision_preprocess(py, files, 224, dir_ / "tv.f32");
  const auto got = ares_preprocess(files, 224);
  const float level = 1.0f / 255.0f / 0.225f;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto d = (got[i] - want[i]).abs();
    // stb_image and libjpeg (PIL) may round IDCT and chroma upsampling differently: on
    // Debian 12 they are at most one grey level apart (mean under 0.01 level).
    EXPECT_LE(d.mean().item<float>(), 0.25f * level) << files[i];
    EXPECT_LE(d.max().item<float>(), 4.0f * level) << files[i];
  }
}

}  // namespace
}  // namespace ares::data
