#pragma once
// The answers to queries through the balancer, as every requester (the edge, the load generator)
// reads them: a session status's name, and the SubstationInfo answers to one SubstationsQuery put
// back together (the balancer sends one message per substation, `total` of them, numbered by
// `index`, which may come twice after a retry). Pure: no sockets, so it is tested on its own.
// Thread-safety: status_name is reentrant; a SubstationGathering has one owner.

#include <cstdint>
#include <string_view>
#include <vector>

#include "grid/proto/messages.h"

namespace grid::proto {

// "charging", "paused", "completed", "departed", "stopped".
std::string_view status_name(SessionStatus status);

// Every substation the balancer knows, in the balancer's order (SubstationInfo::index).
using SubstationList = std::vector<SubstationInfo>;

// More SubstationInfo answers than this for one query is a broken balancer, not a big grid: the
// list is refused rather than allocated.
inline constexpr std::uint32_t max_listed_substations = 100'000;

class SubstationGathering {
public:
  enum class Step {
    waiting,       // more to come
    complete,      // every index has come: take() the list
    duplicate,     // an index already seen (a retry's second answer): ignored
    inconsistent,  // an index or total that contradicts the others or the bound: ignored
  };

  Step add(SubstationInfo info);
  // The list once complete; leaves this empty.
  SubstationList take() { return std::move(infos_); }

private:
  SubstationList infos_;
  std::vector<bool> seen_;
  std::uint32_t received_ = 0;
  bool complete_ = false;
};

}  // namespace grid::proto
