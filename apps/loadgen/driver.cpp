#include "driver.h"

namespace grid::loadgen {

std::string vehicle_id(std::size_t n) { return "EV-" + std::to_string(n); }

std::unique_ptr<Driver> make_driver(const LoadgenConfig& config) {
  return config.target().mode == Target::Mode::zmq ? make_zmq_driver(config) : make_http_driver(config);
}

}  // namespace grid::loadgen
