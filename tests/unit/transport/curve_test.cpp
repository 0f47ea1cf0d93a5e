// CurveZMQ key files, allow directories and the ZAP decision, without sockets.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <sys/stat.h>

#include <zmq.h>

#include "grid/transport/curve.h"
#include "support/temp_dir.h"

using namespace grid::transport;
using grid::test::TempDirectory;

namespace {

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

TEST_CASE("a generated key pair is two Z85 keys and the public one derives from the secret one") {
  const auto pair = generate_key_pair();
  CHECK(valid_z85_key(pair.public_key));
  CHECK(valid_z85_key(pair.secret_key));
  CHECK(pair.public_key != pair.secret_key);
  CHECK(public_key_of(pair.secret_key) == pair.public_key);
  CHECK_THROWS_AS(public_key_of("not a key"), std::invalid_argument);
}

TEST_CASE("key files: NAME.key and NAME.key_secret, the secret 0600, read back, never overwritten") {
  TempDirectory dir;
  const auto pair = generate_key_pair();
  write_key_pair(dir.path(), "north", pair);
  CHECK(read_key_file(dir / "north.key") == pair.public_key);
  CHECK(read_key_file(dir / "north.key_secret") == pair.secret_key);
  struct stat info {};
  REQUIRE(::stat((dir / "north.key_secret").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  const auto own = load_own_keys(dir / "north.key_secret");
  CHECK(own.public_key == pair.public_key);

  // A second pair under the same name is refused, and the first is left as it was.
  CHECK_THROWS_WITH_AS(write_key_pair(dir.path(), "north", generate_key_pair()),
                       doctest::Contains("exists already"), std::runtime_error);
  CHECK(read_key_file(dir / "north.key") == pair.public_key);
  // A leftover secret alone also stops it: no pair is ever half replaced.
  std::filesystem::remove(dir / "north.key");
  CHECK_THROWS_AS(write_key_pair(dir.path(), "north", generate_key_pair()), std::runtime_error);
  CHECK_FALSE(std::filesystem::exists(dir / "north.key"));
}

TEST_CASE("a key file that is missing or holds no key is an error naming the file") {
  TempDirectory dir;
  CHECK_THROWS_WITH_AS(read_key_file(dir / "absent.key"), doctest::Contains("absent.key"), std::runtime_error);
  write_text(dir / "short.key", "abc\n");
  CHECK_THROWS_WITH_AS(read_key_file(dir / "short.key"), doctest::Contains("short.key"), std::runtime_error);
  write_text(dir / "spaced.key", "  " + generate_key_pair().public_key + " \r\n\n");
  CHECK_NOTHROW(read_key_file(dir / "spaced.key"));
}

TEST_CASE("an allow directory maps each public key to its file's name, the node id") {
  TempDirectory dir;
  const auto north = generate_key_pair();
  const auto south = generate_key_pair();
  write_text(dir / "north.key", north.public_key + "\n");
  write_text(dir / "south", south.public_key + "\n");  // a bare id is a name too
  write_text(dir / ".hidden", "ignored");
  const auto list = load_allow_list(dir.path());
  CHECK(list.size() == 2);
  CHECK(list.at(north.public_key) == "north");
  CHECK(list.at(south.public_key) == "south");

  SUBCASE("one key under two ids is refused") {
    write_text(dir / "west.key", north.public_key + "\n");
    CHECK_THROWS_WITH_AS(load_allow_list(dir.path()), doctest::Contains("two ids"), std::runtime_error);
  }
  SUBCASE("a file may hold a node's old and new key while it is rotated") {
    const auto next = generate_key_pair();
    write_text(dir / "north.key", "# north, rotating\n" + north.public_key + "\n" + next.public_key + "\n");
    const auto rotating = load_allow_list(dir.path());
    CHECK(rotating.at(north.public_key) == "north");
    CHECK(rotating.at(next.public_key) == "north");
  }
  SUBCASE("a file without a key is refused") {
    write_text(dir / "empty.key", "# nothing yet\n");
    CHECK_THROWS_WITH_AS(load_allow_list(dir.path()), doctest::Contains("no key"), std::runtime_error);
  }
  SUBCASE("a secret key in an allow directory is refused") {
    write_text(dir / "east.key_secret", generate_key_pair().secret_key + "\n");
    CHECK_THROWS_WITH_AS(load_allow_list(dir.path()), doctest::Contains("secret"), std::runtime_error);
  }
  SUBCASE("a missing directory is refused") {
    CHECK_THROWS_AS(load_allow_list(dir / "absent"), std::runtime_error);
  }
}

TEST_CASE("the ZAP decision: substation keys on the backend and heartbeats, client keys on the frontend") {
  AllowLists lists;
  const std::string substation_key = generate_key_pair().public_key;
  const std::string client_key = generate_key_pair().public_key;
  const std::string stranger_key = generate_key_pair().public_key;
  lists.substations[substation_key] = "north";
  lists.clients[client_key] = "edge-1";

  struct Row {
    std::string_view domain;
    std::string_view mechanism;
    std::string key;
    bool allowed;
    std::string user_id;
  };
  const Row rows[] = {
      {zap_domain_backend, "CURVE", substation_key, true, "north"},
      {zap_domain_heartbeats, "CURVE", substation_key, true, "north"},
      {zap_domain_frontend, "CURVE", client_key, true, "edge-1"},
      {zap_domain_frontend, "CURVE", substation_key, false, ""},  // roles are bound to keys
      {zap_domain_backend, "CURVE", client_key, false, ""},
      {zap_domain_heartbeats, "CURVE", client_key, false, ""},
      {zap_domain_backend, "CURVE", stranger_key, false, ""},
      {zap_domain_frontend, "CURVE", stranger_key, false, ""},
      {zap_domain_backend, "NULL", substation_key, false, ""},
      {zap_domain_backend, "PLAIN", substation_key, false, ""},
      {"elsewhere", "CURVE", substation_key, false, ""},
      {zap_domain_backend, "CURVE", "", false, ""},
  };
  for (const auto& row : rows) {
    CAPTURE(row.domain);
    CAPTURE(row.mechanism);
    CAPTURE(row.key);
    const auto decision = decide_zap(lists, row.domain, row.mechanism, row.key);
    CHECK(decision.allowed == row.allowed);
    CHECK(decision.user_id == row.user_id);
    if (!decision.allowed) CHECK_FALSE(decision.reason.empty());
  }
}

TEST_CASE("a binary key from a ZAP request becomes the Z85 text of the key files") {
  const auto pair = generate_key_pair();
  std::string binary(32, '\0');
  REQUIRE(zmq_z85_decode(reinterpret_cast<std::uint8_t*>(binary.data()), pair.public_key.c_str()) != nullptr);
  CHECK(z85_of_binary_key(binary) == pair.public_key);
  CHECK(z85_of_binary_key("short").empty());
}
