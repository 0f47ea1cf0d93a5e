#include "grid/transport/curve.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "grid/proto/codec.h"

namespace grid::transport {
namespace {

constexpr std::size_t z85_key_chars = 40;
constexpr std::size_t binary_key_bytes = 32;
constexpr std::string_view public_suffix = ".key";
constexpr std::string_view secret_suffix = ".key_secret";

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// O_EXCL: an existing key is never replaced, even by a race between two keygens.
void write_new_file(const std::string& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    const int error = errno;
    if (error == EEXIST) throw std::runtime_error(path + " exists already: keys are never overwritten");
    throw std::runtime_error("cannot create " + path + ": " + std::strerror(error));
  }
  // The umask may have taken bits away, never added: fchmod makes the mode exactly what was asked.
  const bool ok = ::fchmod(fd, mode) == 0 &&
                  ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int error = errno;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + path + ": " + std::strerror(error));
}

}  // namespace

CurveKeyPair generate_key_pair() {
  std::array<char, z85_key_chars + 1> public_key{};
  std::array<char, z85_key_chars + 1> secret_key{};
  if (zmq_curve_keypair(public_key.data(), secret_key.data()) != 0) {
    throw std::runtime_error(std::string("cannot generate a CURVE key pair: ") + zmq_strerror(zmq_errno()));
  }
  return {public_key.data(), secret_key.data()};
}

bool valid_z85_key(std::string_view text) {
  if (text.size() != z85_key_chars) return false;
  const std::string terminated(text);
  std::array<std::uint8_t, binary_key_bytes> binary{};
  return zmq_z85_decode(binary.data(), terminated.c_str()) != nullptr;
}

std::string public_key_of(const std::string& secret_key) {
  std::array<char, z85_key_chars + 1> public_key{};
  if (!valid_z85_key(secret_key) || zmq_curve_public(public_key.data(), secret_key.c_str()) != 0) {
    throw std::invalid_argument("not a Z85 CURVE secret key");
  }
  return public_key.data();
}

std::string z85_of_binary_key(std::string_view binary) {
  if (binary.size() != binary_key_bytes) return {};
  std::array<char, z85_key_chars + 1> text{};
  if (zmq_z85_encode(text.data(), reinterpret_cast<const std::uint8_t*>(binary.data()), binary.size()) == nullptr) {
    return {};
  }
  return text.data();
}

void write_key_pair(const std::string& directory, const std::string& name, const CurveKeyPair& pair) {
  const std::string base = (std::filesystem::path(directory) / name).string();
  const std::string public_path = base + std::string(public_suffix);
  const std::string secret_path = base + std::string(secret_suffix);
  // Check both first, so a refusal leaves no half-written pair behind.
  for (const auto& path : {public_path, secret_path}) {
    if (std::filesystem::exists(path)) throw std::runtime_error(path + " exists already: keys are never overwritten");
  }
  write_new_file(secret_path, pair.secret_key + "\n", 0600);
  write_new_file(public_path, pair.public_key + "\n", 0644);
}

std::string read_key_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot read key file " + path);
  std::ostringstream content;
  content << file.rdbuf();
  std::string text = content.str();
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  text = first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
  if (!valid_z85_key(text)) throw std::runtime_error(path + " does not hold a Z85 CURVE key (40 characters)");
  return text;
}

CurveKeyPair load_own_keys(const std::string& secret_key_file) {
  const std::string secret = read_key_file(secret_key_file);
  try {
    return {public_key_of(secret), secret};
  } catch (const std::invalid_argument&) {
    throw std::runtime_error(secret_key_file + " does not hold a CURVE secret key");
  }
}

AllowList load_allow_list(const std::string& directory) {
  AllowList list;
  std::error_code error;
  std::filesystem::directory_iterator entries(directory, error);
  if (error) throw std::runtime_error("cannot read key directory " + directory + ": " + error.message());
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.front() == '.' || !entry.is_regular_file()) continue;
    if (ends_with(name, secret_suffix)) {
      throw std::runtime_error(entry.path().string() + " is a secret key: an allow directory holds public keys only");
    }
    const std::string id = ends_with(name, public_suffix) ? name.substr(0, name.size() - public_suffix.size()) : name;
    if (!proto::valid_id(id)) throw std::runtime_error(entry.path().string() + ": '" + id + "' is not a valid node id");
    // Several lines: keys of one node during a rotation (the new one added before the old is removed).
    std::ifstream file(entry.path());
    if (!file) throw std::runtime_error("cannot read key file " + entry.path().string());
    std::string line;
    std::size_t keys = 0;
    while (std::getline(file, line)) {
      const auto first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;
      const std::string key = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
      if (!valid_z85_key(key)) throw std::runtime_error(entry.path().string() + " holds a line that is not a Z85 CURVE key");
      const auto [at, inserted] = list.emplace(key, id);
      if (!inserted && at->second != id) {
        throw std::runtime_error("one key under two ids in " + directory + ": '" + at->second + "' and '" + id + "'");
      }
      ++keys;
    }
    if (keys == 0) throw std::runtime_error(entry.path().string() + " holds no key");
  }
  return list;
}

const AllowList* AllowLists::for_domain(std::string_view domain) const {
  if (domain == zap_domain_frontend) return &clients;
  if (domain == zap_domain_backend || domain == zap_domain_heartbeats) return &substations;
  return nullptr;
}

ZapDecision decide_zap(const AllowLists& lists, std::string_view domain, std::string_view mechanism,
                       std::string_view client_key_z85) {
  if (mechanism != "CURVE") return {false, {}, "mechanism " + std::string(mechanism) + " is not CURVE"};
  const AllowList* list = lists.for_domain(domain);
  if (list == nullptr) return {false, {}, "unknown ZAP domain '" + std::string(domain) + "'"};
  const auto found = list->find(std::string(client_key_z85));
  if (found == list->end()) return {false, {}, "key not allowed on " + std::string(domain)};
  return {true, found->second, {}};
}

}  // namespace grid::transport
