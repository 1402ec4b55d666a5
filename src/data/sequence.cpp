#include "ares/data/sequence.h"

#include "ares/common/error.h"
#include "ares/data/load.h"

namespace ares::data {

Split load_row_sequential(const std::string& base, bool test_only, const std::string& name) {
  Split s = load_dataset(base, test_only);
  for (Dataset* d : {&s.train, &s.test}) {
    if (!d->images.defined()) continue;
    ARES_CHECK(d->images.dim() == 4 && d->images.size(1) == 1, name, ": rows as steps need ",
               "single-channel images N x 1 x H x W, but ", d->source, " holds ",
               d->images.sizes());
    d->images = d->images.squeeze(1).contiguous();
    d->name = name;
  }
  return s;
}

}  // namespace ares::data
