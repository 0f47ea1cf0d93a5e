#pragma once
// Routes a request by method and path to its handler, so a node declares its HTTP API as a table
// of one line per route instead of comparing paths by hand. What every route shares lives here
// once: 404 for a path no route knows, 405 with an Allow header for a known path asked with
// another method, the query string ignored, and one observation per answer (the route's metric
// label, the status and the time from arrival to answer).
// Thread-safety: route() from the owner before the server starts; handle() from any number of
// server threads at once afterwards (it only reads the table). The observer is called on
// whichever thread answers, so it must be thread-safe.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "grid/http/server.h"
#include "grid/util/clock.h"

namespace grid::http {

class Router {
public:
  // One call per answered request. `handler` is the route's label, or "other" for a 404: a
  // fixed set whatever paths clients invent, so it can be a metric label.
  using Observer = std::function<void(std::string_view handler, int status, Duration elapsed)>;

  explicit Router(Observer observer = {}, const Clock& clock = steady_clock());

  // Adds a route. `pattern` is a path of literal segments and {name} parameters, each parameter
  // matching one non-empty segment ("/sessions/{id}"); the handler finds it with
  // Request::param("id"). Throws std::invalid_argument for a pattern that does not start with
  // '/', has an empty or unclosed parameter, or repeats a method and pattern already routed.
  // Routes are tried in the order added: add "/sessions/active" before "/sessions/{id}".
  Router& route(std::string method, std::string_view pattern, std::string handler_label, Handler handler);

  // Answers through the matching route's handler (with Request::params filled), or 404 / 405.
  // The Respond a handler gets answers once: later calls are ignored and not observed.
  void handle(Request request, Respond respond) const;

private:
  struct Segment {
    std::string text;  // the literal, or the parameter's name
    bool parameter = false;
  };
  struct Route {
    std::string method;
    std::vector<Segment> segments;
    std::string label;
    Handler handler;
  };

  static bool matches(const Route& route, const std::vector<std::string_view>& path,
                      std::vector<std::pair<std::string, std::string>>* params);
  // `respond`, observed under `label` when there is an observer.
  Respond observed(Respond respond, std::string_view label) const;

  Observer observer_;
  const Clock& clock_;
  std::vector<Route> routes_;  // few: a linear walk is cheaper than any index
};

// A Router's handle() as a Server's Handler; the router must outlive the server.
inline Handler handler_of(const Router& router) {
  return [&router](Request request, Respond respond) { router.handle(std::move(request), std::move(respond)); };
}

}  // namespace grid::http
