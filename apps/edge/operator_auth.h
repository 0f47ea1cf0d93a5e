#pragma once
// Who may change the grid: the operator endpoints (PUT and DELETE /substations/{id}/limit) need
// `Authorization: Bearer <token>` with a token from the file given by --operator-token-file. Only
// SHA-256 digests of the tokens are kept, and a presented token is compared with every one of
// them in constant time (OpenSSL's CRYPTO_memcmp over equal-length digests), so neither the time
// nor the memory of the edge tells how much of a wrong token was right. Tokens are never logged.
// Thread-safety: immutable after construction; check() from any thread.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grid::edge {

class OperatorAuth {
public:
  enum class Verdict {
    allowed,
    disabled,      // no token file configured: nobody may (403)
    unauthorized,  // the header is missing, not a Bearer token, or the token is not accepted (401)
  };

  // No tokens: every operator request is refused 403.
  OperatorAuth() = default;
  // Accepts `tokens` (none empty); with none it is disabled, as above.
  explicit OperatorAuth(const std::vector<std::string>& tokens);

  // The tokens of `path`: one per line, surrounding blanks trimmed, blank lines and lines starting
  // with '#' ignored. Throws std::runtime_error naming the file (never a token) when it cannot be
  // read or holds no token.
  static OperatorAuth from_file(const std::string& path);

  // `authorization` is the Authorization header's value (empty optional when absent).
  Verdict check(std::optional<std::string_view> authorization) const;
  bool enabled() const { return !digests_.empty(); }

private:
  using Digest = std::array<unsigned char, 32>;
  static Digest digest_of(std::string_view token);

  std::vector<Digest> digests_;
};

}  // namespace grid::edge
