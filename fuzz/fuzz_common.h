#pragma once
// Shared by the fuzz targets: the input as a file, and the rule every reader must keep.
//
// The rule (docs/robustness.md): on any input a reader returns or throws ares::InputError.
// Any other exception is a finding; ReaderRun reports it and aborts, so that libFuzzer saves
// the input like any crash. Crashes, sanitizer reports and hangs are findings by themselves.

#include <cxxabi.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <typeinfo>

#include "ares/common/error.h"

namespace ares::fuzz {

/// Prints a finding (what went wrong, with the reader's name) and aborts.
[[noreturn]] inline void finding(const char* reader, const std::string& what) {
  std::fprintf(stderr, "==ares-fuzz== FINDING in %s: %s\n", reader, what.c_str());
  std::fflush(stderr);
  std::abort();
}

/// The readable name of an exception's dynamic type.
inline std::string type_name(const std::exception& e) {
  int status = 0;
  char* name = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
  std::string out = status == 0 && name ? name : typeid(e).name();
  std::free(name);
  return out;
}

/// Calls `read()`; an ares::InputError is the expected outcome for bad input, any other
/// exception is a finding. Returns true when the reader accepted the input.
template <typename F>
bool expect_input_error(const char* reader, F&& read) {
  try {
    read();
    return true;
  } catch (const InputError&) {
    return false;
  } catch (const std::exception& e) {
    finding(reader, "threw " + type_name(e) + " instead of ares::InputError: " + e.what());
  } catch (...) {
    finding(reader, "threw a non-std exception instead of ares::InputError");
  }
}

/// The input as an anonymous in-memory file, reachable by path (/proc/self/fd/N): no disk
/// traffic and nothing left behind.
class MemFile {
 public:
  MemFile(const uint8_t* data, size_t size) {
    fd_ = memfd_create("ares-fuzz", MFD_CLOEXEC);
    if (fd_ < 0) finding("MemFile", "memfd_create failed");
    for (size_t done = 0; done < size;) {
      const ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0) finding("MemFile", "write to memfd failed");
      done += static_cast<size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

/// A private directory for readers that take one (created once per process, in /dev/shm when
/// it exists, removed at exit).
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    namespace fs = std::filesystem;
    std::string base = fs::is_directory("/dev/shm") ? "/dev/shm" : fs::temp_directory_path();
    std::string tmpl = base + "/ares-fuzz-XXXXXX";
    if (!mkdtemp(tmpl.data())) finding("scratch_dir", "mkdtemp failed in " + base);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(scratch_dir(), ec);
    });
    return fs::path(tmpl);
  }();
  return dir;
}

/// Writes `size` bytes to `path` (replacing it).
inline void write_file(const std::filesystem::path& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) finding("write_file", "cannot write " + path.string());
}

}  // namespace ares::fuzz
