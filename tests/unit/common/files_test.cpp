// Result files are written whole or not at all; CSV fields are quoted one way everywhere.
#include "ares/common/files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "ares/common/error.h"

namespace ares {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / (name + "-" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(Files, CsvFieldQuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(csv_field("plain/path.ckpt"), "plain/path.ckpt");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("carriage\rreturn"), "\"carriage\rreturn\"");  // the two copies disagreed
}

TEST(Files, JsonStringEscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(json_string("AMD EPYC"), "\"AMD EPYC\"");
  EXPECT_EQ(json_string(""), "\"\"");
  EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_string("tab\tnl\n"), "\"tab\\u0009nl\\u000a\"");
  EXPECT_EQ(json_string(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(json_string("caf\xc3\xa9"), "\"caf\xc3\xa9\"");  // UTF-8 passes through
}

TEST(Files, AtomicWriteReplacesWholeAndLeavesNoTemporary) {
  const fs::path d = fresh_dir("ares-files-test");
  const std::string path = (d / "out.csv").string();
  write_file_atomic(path, "first\n");
  EXPECT_EQ(read(path), "first\n");
  std::string big(1 << 20, 'x');
  big[12345] = '\0';  // bytes, not a C string
  write_file_atomic(path, big);
  EXPECT_EQ(read(path), big);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  fs::remove_all(d);
}

TEST(Files, AtomicWriteFailureIsOneInputErrorAndWritesNothing) {
  const fs::path d = fresh_dir("ares-files-test-missing");
  const std::string path = (d / "no-such-dir" / "out.csv").string();
  try {
    write_file_atomic(path, "x");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("out.csv.tmp: cannot open for writing"), std::string::npos)
        << e.what();
  }
  // Renaming onto a directory fails: the temporary is removed, the directory stays.
  fs::create_directories(d / "taken");
  EXPECT_THROW(write_file_atomic((d / "taken").string(), "x"), InputError);
  EXPECT_TRUE(fs::is_directory(d / "taken"));
  EXPECT_FALSE(fs::exists(d / "taken.tmp"));
  fs::remove_all(d);
}

}  // namespace
}  // namespace ares
