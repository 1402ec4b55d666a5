#pragma once
/// ImageNet-style image folders: DIR/<class>/*.JPEG, decoded with stb_image and preprocessed as
/// torchvision's ImageNet evaluation transform (resize, centre crop, normalise).

#include <torch/types.h>

#include <string>

#include "ares/data/dataset.h"

namespace ares::data {

/// The optional class-index file in an image folder: one class folder name per line, in label
/// order (only the first whitespace-separated word of a line counts, so ImageNet's
/// LOC_synset_mapping.txt works as it is; empty lines and lines starting with '#' are skipped).
inline constexpr const char* kClassIndexFile = "classes.txt";

/// The short side an image is resized to before the centre crop of `size`:
/// round(size * 256 / 224), i.e. 256 for 224 and 342 for 299 (torchvision's ImageNet
/// evaluation transforms). Throws ares::InputError unless 1 <= size <= 4096.
int64_t resize_for_crop(int64_t size);

/// torchvision's evaluation preprocessing of one decoded image: `rgb` is uint8 H x W x 3.
/// Resizes so the short side is resize_for_crop(size) (the long side int(short' * long /
/// short), as torchvision computes it) with bilinear interpolation (align_corners=false, no
/// antialiasing), rounds back to uint8 as torchvision does, crops the centre size x size
/// (offsets round((H' - size) / 2) half to even, as Python's round), scales to [0, 1] and
/// normalises with mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
/// Returns float32 3 x size x size. This equals torchvision's
/// `Resize(r, antialias=False), CenterCrop(size), ConvertImageDtype(float), Normalize(...)` on
/// a uint8 tensor exactly; PIL's resize (torchvision's default for files) antialiases
/// when shrinking, so photos much larger than the crop differ slightly (see docs/imagenet.md).
torch::Tensor preprocess_image(const torch::Tensor& rgb, int64_t size);

/// Decodes one image file (JPEG, PNG, BMP, PPM/PGM: whatever stb_image reads, by content, not
/// by name) to uint8 H x W x 3 RGB: grey is replicated, alpha dropped (as PIL's
/// convert("RGB")), EXIF orientation ignored (as PIL). Throws ares::InputError naming the file
/// when it cannot be read or is not a complete image of a supported format (including
/// truncated files).
torch::Tensor decode_image(const std::string& path);

/// Loads an image folder as a labelled evaluation set.
///
/// `dir` holds one folder per class, each with image files (.jpg, .jpeg, .png, .bmp, .ppm,
/// .pgm, any letter case, in any depth of subfolders); other files are ignored. If `dir`
/// itself has no class folders but `dir/val` does, `dir/val` is read (an ImageNet download's
/// layout). Labels: the index of the class in `dir/classes.txt` when that file exists (see
/// kClassIndexFile), otherwise in the sorted list of class folder names (byte order, as
/// torchvision's ImageFolder; folders starting with '.' are skipped). Files within a class are
/// ordered as torchvision orders them (by folder, then name).
///
/// Samples come round-robin over the classes: the first image of every class in label
/// order, then the second of every class, and so on, so any prefix of the set (`limit`, a
/// campaign's --eval-limit) is as balanced as the folder allows. `limit` > 0 decodes only
/// the first `limit` samples in that order. Decoding runs on LibTorch's intra-op threads.
///
/// Returns images float32 N x 3 x size x size (preprocess_image: normalised, not in [0, 1]),
/// labels int64 N, num_classes the number of classes, name `dir` and source the folder read.
/// `size` is the crop: 224 for most torchvision models, 299 for inception_v3.
///
/// Throws ares::InputError naming the file or folder: no class folders, a class folder without
/// images, a classes.txt entry without a folder or listed twice, a class folder that holds
/// images but is missing from classes.txt, a .tif/.tiff/.webp file (not decodable here), and
/// every decode_image error.
///
/// Example:
///   auto val = ares::data::load_image_folder("/data/imagenet/val", 224, /*limit=*/1000);
Dataset load_image_folder(const std::string& dir, int64_t size = 224, int64_t limit = 0);

/// True when `dir`, or `dir/val`, looks like an image folder: it has classes.txt, or a
/// subfolder holding an image file (by extension); and `dir` holds no MNIST IDX file
/// (t10k-images-idx3-ubyte, train-images-idx3-ubyte, plain or .gz). Never throws.
bool is_image_folder(const std::string& dir);

/// What `load_dataset` does with an image folder: load_image_folder(dir, size, limit) as the
/// test set of a Split whose train set stays empty, with size from $ARES_IMAGE_SIZE (default
/// 224; set 299 for inception_v3) and limit from $ARES_IMAGE_LIMIT (default 0: all images;
/// 50,000 ImageNet images at 224 take 30 GB as float32). Throws ares::InputError when
/// `test_only` is false (an image folder is an evaluation set only: no training on it), when
/// ARES_IMAGE_SIZE is not a positive integer or ARES_IMAGE_LIMIT a negative one, and from
/// load_image_folder. The test set's `name` is `name` when given, else `dir`.
Split load_image_folder_split(const std::string& dir, bool test_only, const std::string& name = "");

}  // namespace ares::data
