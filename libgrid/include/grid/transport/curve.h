#pragma once
// CurveZMQ keys and who may connect: key files, the allow lists of the balancer, and the ZAP
// decision as a pure function (domain + mechanism + client key -> allow or deny, and the node id
// ZeroMQ attaches to every message of that peer as its "User-Id").
// Keys are Z85 text (40 characters, 32 bytes). A public key file NAME.key holds the public key, its
// sibling NAME.key_secret (mode 0600) the secret key; each ends with a newline.
// Thread-safety: plain values and free functions; an AllowLists is read and replaced by one owner.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace grid::transport {

// A node's own key pair, Z85.
struct CurveKeyPair {
  std::string public_key;
  std::string secret_key;
};

// What a connecting socket needs: its own pair and the server's public key.
struct CurveClient {
  CurveKeyPair own;
  std::string server_key;
};

// What a binding socket needs: its secret key, and the ZAP domain its peers are checked against.
struct CurveServer {
  std::string secret_key;
  std::string zap_domain;
};

CurveKeyPair generate_key_pair();
// The public key that belongs to a Z85 secret key; throws std::invalid_argument if it is not one.
std::string public_key_of(const std::string& secret_key);
// True for 40 characters of Z85 that decode to 32 bytes.
bool valid_z85_key(std::string_view text);
// Z85 text of a 32-byte binary key (as a ZAP request carries it); empty for any other size.
std::string z85_of_binary_key(std::string_view binary);

// Writes DIR/NAME.key and DIR/NAME.key_secret (mode 0600). Throws std::runtime_error, naming the
// file, when either exists already (keys are never overwritten) or cannot be written.
void write_key_pair(const std::string& directory, const std::string& name, const CurveKeyPair& pair);
// Reads one key file (surrounding whitespace ignored); throws std::runtime_error naming the file
// when it cannot be read or does not hold a Z85 key.
std::string read_key_file(const std::string& path);
// A node's identity from its --curve-secret file: the secret read, the public key derived from it.
CurveKeyPair load_own_keys(const std::string& secret_key_file);

// The public keys allowed in, each with the node id it stands for (its file's name without .key).
using AllowList = std::map<std::string, std::string>;  // Z85 public key -> node id
// Reads every public key file of a directory: one key per line (two while a node's key is rotated;
// '#' comments and blank lines ignored). Hidden files are skipped; a secret key file, a file
// that is not a key, an invalid id or one key under two ids is an error (std::runtime_error).
AllowList load_allow_list(const std::string& directory);

// The ZAP domains of the balancer's sockets: one per socket, so a refusal is counted per socket.
// The two backend sockets admit substation keys, the frontend client keys.
inline constexpr std::string_view zap_domain_frontend = "frontend";
inline constexpr std::string_view zap_domain_backend = "backend";
inline constexpr std::string_view zap_domain_heartbeats = "heartbeats";

struct AllowLists {
  AllowList substations;
  AllowList clients;
  // The list a domain admits from; null for a domain of none of our sockets.
  const AllowList* for_domain(std::string_view domain) const;
};

struct ZapDecision {
  bool allowed = false;
  std::string user_id;  // the node id when allowed
  std::string reason;   // why not, for the ZAP status text and the log
};

ZapDecision decide_zap(const AllowLists& lists, std::string_view domain, std::string_view mechanism,
                       std::string_view client_key_z85);

}  // namespace grid::transport
