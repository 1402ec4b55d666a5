#pragma once
/// Build identity written into every result file.

namespace ares {
/// The Ares release, for example "0.1.0".
const char* version();
/// `git describe --always --dirty` of the source tree at build time, or "unknown".
const char* git_revision();
}  // namespace ares
