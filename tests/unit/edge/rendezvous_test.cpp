// Where a charge goes among several balancers (rendezvous hashing of its request id), the checks
// of the balancer list, and how a feeder limit's acks from every balancer make one answer.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "balancer_list.h"
#include "feeder_fanout.h"
#include "rendezvous.h"

using namespace grid;
using namespace grid::edge;

namespace {

std::vector<std::string> endpoints(int count) {
  std::vector<std::string> listed;
  for (int i = 0; i < count; ++i) listed.push_back("tcp://balancer-" + std::to_string(i) + ":5555");
  return listed;
}

// Ids as one edge makes them: its prefix and a counter (the worst case for a weak hash).
std::string edge_id(int n) { return "00000000deadbeef-" + std::to_string(n); }

}  // namespace

TEST_CASE("rendezvous weights are the same in every process and build: FNV-1a 64 and a finalizer, never std::hash") {
  // Computed independently (a Python rendering of the same algorithm): a change here would send
  // edges of two builds to different balancers for the same Idempotency-Key.
  CHECK(rendezvous_weight("tcp://balancer-a:5555", "k-order-42") == 0x5ea35f537e5cabc6ULL);
  CHECK(rendezvous_weight("tcp://balancer-b:5555", "k-order-42") == 0xe9d3f1921cf1117cULL);
  CHECK(rendezvous_weight("", "") == 0xb9034ad37056f5fbULL);
  // The separator keeps the endpoint and the id apart.
  CHECK(rendezvous_weight("ab", "c") != rendezvous_weight("a", "bc"));
}

TEST_CASE("the rendezvous order names every balancer once and does not depend on the order of the list") {
  auto listed = endpoints(4);
  const auto order = rendezvous_order(listed, "k-key-7");
  REQUIRE(order.size() == 4);
  CHECK(std::is_permutation(order.begin(), order.end(), std::vector<std::size_t>{0, 1, 2, 3}.begin()));
  const std::string first = listed[order.front()];
  std::reverse(listed.begin(), listed.end());
  CHECK(listed[rendezvous_order(listed, "k-key-7").front()] == first);
}

TEST_CASE("rendezvous spreads request ids evenly: each of 2 or 4 balancers gets its share within 3 points") {
  // 20 000 ids: a fair share's standard deviation is 0.35 points (2 balancers) or 0.31 (4), so a
  // 3-point tolerance fails a fair hash about never and any real skew always.
  constexpr int ids = 20'000;
  for (const int count : {2, 4}) {
    CAPTURE(count);
    const auto listed = endpoints(count);
    std::vector<int> chosen(static_cast<std::size_t>(count), 0);
    for (int n = 0; n < ids; ++n) ++chosen[rendezvous_order(listed, edge_id(n)).front()];
    for (const int got : chosen) {
      const double share = 100.0 * got / ids;
      CAPTURE(share);
      CHECK(std::abs(share - 100.0 / count) < 3.0);
    }
  }
}

TEST_CASE("removing a balancer moves only the ids that were on it") {
  const auto four = endpoints(4);
  auto three = four;
  three.erase(three.begin() + 2);  // balancer-2 is gone
  int moved = 0;
  for (int n = 0; n < 5'000; ++n) {
    const std::string before = four[rendezvous_order(four, edge_id(n)).front()];
    const std::string after = three[rendezvous_order(three, edge_id(n)).front()];
    if (before == four[2]) {
      ++moved;
      CHECK(after != four[2]);
    } else {
      CHECK(after == before);
    }
  }
  CHECK(moved > 0);
}

TEST_CASE("the balancer list: at least one endpoint, each a ZeroMQ endpoint, none twice") {
  CHECK(balancer_list_error({"tcp://a:1", "ipc:///tmp/b", "inproc://c"}).empty());
  CHECK(balancer_list_error({}) == "at least one balancer is needed");
  CHECK(balancer_list_error({"tcp://a:1", "a:2"}).find("expected a ZeroMQ endpoint") != std::string::npos);
  CHECK(balancer_list_error({"tcp://"}).find("expected a ZeroMQ endpoint") != std::string::npos);
  CHECK(balancer_list_error({"tcp://a:1", "tcp://b:1", "tcp://a:1"}) == "balancer tcp://a:1 is listed twice");
}

TEST_CASE("a feeder limit's answer: complete when every balancer asked acked, the first refusal wins") {
  FeederFanOut fanout({0, 2});
  CHECK_FALSE(fanout.verdict());
  CHECK(fanout.silent() == std::vector<std::size_t>{0, 2});
  CHECK_FALSE(fanout.add(1, {"f-1", "west", true}));  // not asked
  CHECK(fanout.add(2, {"f-1", "west", true, 50}));
  CHECK_FALSE(fanout.add(2, {"f-1", "west", false}));  // a second ack from one balancer
  CHECK_FALSE(fanout.complete());
  CHECK(fanout.verdict()->limit_kw == 50);  // the first ack, until a refusal comes
  CHECK(fanout.silent() == std::vector<std::size_t>{0});
  CHECK(fanout.add(0, {"f-1", "west", false, 0, 0, 0, 0, "no feeder west"}));
  CHECK(fanout.complete());
  CHECK_FALSE(fanout.verdict()->applied);
  CHECK(fanout.verdict()->reason == "no feeder west");
  CHECK(fanout.silent().empty());
}
