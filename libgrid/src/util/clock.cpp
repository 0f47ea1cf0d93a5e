#include "grid/util/clock.h"

namespace grid {

const Clock& steady_clock() {
  static const SteadyClock clock;
  return clock;
}

}  // namespace grid
