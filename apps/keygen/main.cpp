// grid-keygen: writes a CurveZMQ key pair for one node: DIR/NAME.key (public, to hand to the
// balancer or its peers) and DIR/NAME.key_secret (mode 0600, stays on the node). Never overwrites.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "grid/proto/codec.h"
#include "grid/transport/curve.h"

int main(int argc, char** argv) {
  std::string name;
  std::string directory = ".";
  CLI::App app{"grid-keygen: writes a CURVE key pair: NAME.key (public) and NAME.key_secret (secret, mode 0600). "
               "For a substation or client, NAME is its node id: the balancer takes the id from the public key "
               "file's name in its allow directory"};
  app.add_option("name", name, "The node's id (1-64 printable ASCII characters, no '/')")
      ->required()
      ->check([](const std::string& id) {
        return grid::proto::valid_id(id) && id.find('/') == std::string::npos && id.front() != '.'
                   ? ""
                   : "must be 1-64 printable ASCII characters, without '/' or a leading '.'";
      });
  app.add_option("--dir", directory, "Directory to write the two files into")
      ->check(CLI::ExistingDirectory)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    grid::transport::write_key_pair(directory, name, grid::transport::generate_key_pair());
  } catch (const std::exception& error) {
    std::fprintf(stderr, "grid-keygen: %s\n", error.what());
    return 1;
  }
  std::printf("wrote %s/%s.key (public) and %s/%s.key_secret (secret, mode 0600)\n", directory.c_str(), name.c_str(),
              directory.c_str(), name.c_str());
  return 0;
}
