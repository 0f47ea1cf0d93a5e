#include "operator_auth.h"

#include <fstream>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace grid::edge {
namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

OperatorAuth::OperatorAuth(const std::vector<std::string>& tokens) {
  for (const auto& token : tokens) {
    if (token.empty()) throw std::invalid_argument("operator tokens: an empty token would accept anyone");
    digests_.push_back(digest_of(token));
  }
}

OperatorAuth OperatorAuth::from_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("--operator-token-file " + path + ": cannot be read");
  std::vector<std::string> tokens;
  std::string line;
  while (std::getline(file, line)) {
    const auto token = trim(line);
    if (token.empty() || token.front() == '#') continue;
    tokens.emplace_back(token);
  }
  if (file.bad()) throw std::runtime_error("--operator-token-file " + path + ": cannot be read");
  if (tokens.empty()) {
    throw std::runtime_error("--operator-token-file " + path +
                             ": holds no token (one per line; blank lines and #-comments are ignored)");
  }
  return OperatorAuth(tokens);
}

OperatorAuth::Verdict OperatorAuth::check(std::optional<std::string_view> authorization) const {
  if (!enabled()) return Verdict::disabled;
  if (!authorization) return Verdict::unauthorized;
  // RFC 6750: "Bearer" (any case), one space, the token.
  constexpr std::string_view scheme = "bearer ";
  if (authorization->size() <= scheme.size() || !iequals(authorization->substr(0, scheme.size()), scheme)) {
    return Verdict::unauthorized;
  }
  const auto presented = digest_of(trim(authorization->substr(scheme.size())));
  // Every accepted digest is compared, so the time does not tell which one (if any) matched.
  int matched = 0;
  for (const auto& accepted : digests_) {
    matched |= CRYPTO_memcmp(presented.data(), accepted.data(), presented.size()) == 0 ? 1 : 0;
  }
  return matched != 0 ? Verdict::allowed : Verdict::unauthorized;
}

OperatorAuth::Digest OperatorAuth::digest_of(std::string_view token) {
  Digest digest{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
  return digest;
}

}  // namespace grid::edge
