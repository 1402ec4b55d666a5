// spec_options.cpp asks for the core count (the default --threads), which lives in the
// LibTorch module src/campaign/threads.cpp; the TOML fuzzer stays torch-free with this one.

#include "ares/campaign/threads.h"

namespace ares::campaign {

int available_cores() { return 2; }

}  // namespace ares::campaign
