#include "grid/http/router.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <stdexcept>

namespace grid::http {
namespace {

// "/a/b/" -> {"a", "b", ""}: a trailing slash is a segment of its own, so "/charge/" is not
// "/charge" (as before the router; clients get 404, not a silent alias).
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.empty() || path.front() != '/') return segments;
  path.remove_prefix(1);
  for (;;) {
    const auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return segments;
    path.remove_prefix(slash + 1);
  }
}

// Observes the answer and hands it on, once.
struct Answering {
  Respond respond;
  const Router::Observer* observer;
  std::string_view label;  // points into the router's table, or at a literal
  TimePoint start;
  const Clock* clock;
  std::atomic<bool> answered{false};
};

}  // namespace

Router::Router(Observer observer, const Clock& clock) : observer_(std::move(observer)), clock_(clock) {}

Router& Router::route(std::string method, std::string_view pattern, std::string handler_label, Handler handler) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("http: route pattern must start with '/': " + std::string(pattern));
  }
  if (!handler) throw std::invalid_argument("http: route " + std::string(pattern) + " needs a handler");
  Route added{std::move(method), {}, std::move(handler_label), std::move(handler)};
  for (const auto segment : split_path(pattern)) {
    const bool opens = segment.starts_with('{');
    if (opens != segment.ends_with('}') || (opens && segment.size() < 3) ||
        segment.substr(opens ? 1 : 0, opens ? segment.size() - 2 : segment.size()).find_first_of("{}") !=
            std::string_view::npos) {
      throw std::invalid_argument("http: bad segment '" + std::string(segment) + "' in route " + std::string(pattern));
    }
    added.segments.push_back({std::string(opens ? segment.substr(1, segment.size() - 2) : segment), opens});
  }
  for (const auto& known : routes_) {
    bool same = known.method == added.method && known.segments.size() == added.segments.size();
    for (std::size_t i = 0; same && i < known.segments.size(); ++i) {
      same = known.segments[i].parameter == added.segments[i].parameter &&
             (known.segments[i].parameter || known.segments[i].text == added.segments[i].text);
    }
    if (same) throw std::invalid_argument("http: route " + added.method + " " + std::string(pattern) + " given twice");
  }
  routes_.push_back(std::move(added));
  return *this;
}

bool Router::matches(const Route& route, const std::vector<std::string_view>& path,
                     std::vector<std::pair<std::string, std::string>>* params) {
  if (route.segments.size() != path.size()) return false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto& segment = route.segments[i];
    if (segment.parameter ? path[i].empty() : segment.text != path[i]) return false;
  }
  if (params) {
    for (std::size_t i = 0; i < path.size(); ++i) {
      if (route.segments[i].parameter) params->emplace_back(route.segments[i].text, std::string(path[i]));
    }
  }
  return true;
}

void Router::handle(Request request, Respond respond) const {
  const std::string_view target = request.target;
  const auto path = split_path(target.substr(0, target.find('?')));
  std::vector<const Route*> other_methods;
  for (const auto& route : routes_) {
    if (route.method == request.method) {
      if (matches(route, path, &request.params)) {
        return route.handler(std::move(request), observed(std::move(respond), route.label));
      }
    } else if (matches(route, path, nullptr)) {
      other_methods.push_back(&route);
    }
  }
  if (other_methods.empty()) return observed(std::move(respond), "other")(json_error(404, "not found"));
  std::string allow;
  for (std::size_t i = 0; i < other_methods.size(); ++i) {
    const auto& method = other_methods[i]->method;
    const auto same = [&method](const Route* earlier) { return earlier->method == method; };
    if (std::none_of(other_methods.begin(), other_methods.begin() + static_cast<std::ptrdiff_t>(i), same)) {
      allow += (allow.empty() ? "" : ", ") + method;
    }
  }
  auto refusal = json_error(405, "method not allowed");
  refusal.headers.emplace_back("Allow", std::move(allow));
  observed(std::move(respond), other_methods.front()->label)(std::move(refusal));
}

Respond Router::observed(Respond respond, std::string_view label) const {
  if (!observer_) return respond;
  auto state = std::make_shared<Answering>();
  state->respond = std::move(respond);
  state->observer = &observer_;
  state->label = label;
  state->start = clock_.now();
  state->clock = &clock_;
  return [state](Response response) {
    if (state->answered.exchange(true)) return;
    (*state->observer)(state->label, response.status, state->clock->now() - state->start);
    state->respond(std::move(response));
  };
}

}  // namespace grid::http
