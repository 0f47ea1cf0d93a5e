#include "charge_request.h"

#include <cmath>
#include <cstdint>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "grid/power/admission.h"
#include "grid/proto/codec.h"

namespace grid::edge {
namespace {

using json = nlohmann::json;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

// The part of nlohmann's message that describes the problem: between "column N: " and
// "; last read", which quotes raw input (possibly invalid UTF-8) that we do not echo back.
std::string describe(const nlohmann::detail::exception& error) {
  std::string_view text = error.what();
  if (const auto column = text.find("column "); column != std::string_view::npos) {
    if (const auto colon = text.find(": ", column); colon != std::string_view::npos) text = text.substr(colon + 2);
  }
  if (const auto last_read = text.find("; last read"); last_read != std::string_view::npos) {
    text = text.substr(0, last_read);
  }
  return std::string(text);
}

enum class Field { vehicle_id, power_kw, energy_kwh, min_power_kw, departs_in_s, priority };

constexpr std::string_view field_list = "vehicle_id, power_kw, energy_kwh, min_power_kw, departs_in_s, priority";

std::optional<Field> field_named(std::string_view key) {
  if (key == "vehicle_id") return Field::vehicle_id;
  if (key == "power_kw") return Field::power_kw;
  if (key == "energy_kwh") return Field::energy_kwh;
  if (key == "min_power_kw") return Field::min_power_kw;
  if (key == "departs_in_s") return Field::departs_in_s;
  if (key == "priority") return Field::priority;
  return std::nullopt;
}

// Why `value` is out of range for numeric `field`, or empty when it is in range. Written so that
// NaN fails too, although the parser never produces one.
std::optional<std::string> out_of_range(Field field, double value) {
  switch (field) {
    case Field::power_kw:
    case Field::min_power_kw:
      // The grid's own floor: a session of microwatts would hold a substation for years (issue 9.1).
      if (value >= power::min_session_kw && value <= max_power_kw) return std::nullopt;
      return fmt::format("must be at least {} and at most {}", power::min_session_kw, max_power_kw);
    case Field::energy_kwh:
      if (value > 0 && value <= max_energy_kwh) return std::nullopt;
      return fmt::format("must be greater than 0 and at most {}", max_energy_kwh);
    case Field::departs_in_s:
      if (value > 0 && value <= max_departs_in_s) return std::nullopt;
      return fmt::format("must be greater than 0 and at most {:.0f}", max_departs_in_s);
    case Field::priority:
      if (value >= 0 && value <= max_priority && value == std::floor(value)) return std::nullopt;
      return fmt::format("must be an integer from 0 to {}", max_priority);
    case Field::vehicle_id: break;
  }
  return std::nullopt;
}

// Walks the parser's events and keeps only what a charge request may hold: one flat object of
// known fields. Returning false stops the parse at once, so nothing past the first fault is read.
class ChargeSax {
public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  bool null() { return wrong_type("null"); }
  bool boolean(bool) { return wrong_type("a boolean"); }
  bool number_integer(number_integer_t value) { return number(static_cast<double>(value), true); }
  bool number_unsigned(number_unsigned_t value) { return number(static_cast<double>(value), true); }
  bool number_float(number_float_t value, const string_t&) { return number(value, false); }
  bool string(string_t& value);
  bool binary(binary_t&) { return wrong_type("binary data"); }
  bool start_object(std::size_t) { return container("an object"); }
  bool end_object() {
    if (out_of_range_) return reject(std::move(*out_of_range_));
    in_object_ = false;
    done_ = true;
    return true;
  }
  bool start_array(std::size_t) { return container("an array"); }
  bool end_array() { return reject("body must be a JSON object"); }  // unreachable: arrays are refused at start
  bool key(string_t& name);
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& error);

  // After a successful parse: the request, or the first missing field.
  ChargeParse result() &&;
  const std::optional<ChargeRejection>& rejection() const { return rejection_; }

private:
  bool reject(std::string message) {
    if (!rejection_) rejection_ = ChargeRejection{400, std::move(message)};
    return false;
  }
  bool container(std::string_view what);
  bool wrong_type(std::string_view what);
  bool number(double value, bool integer);
  std::string_view expected_type() const {
    if (*field_ == Field::vehicle_id) return "a string";
    return *field_ == Field::priority ? "an integer" : "a number";
  }

  bool in_object_ = false;
  bool done_ = false;
  bool in_value_ = false;       // between a key and the end of its value: errors name the field
  std::optional<Field> field_;  // the field whose value comes next
  std::string key_;             // its name, for messages
  std::set<std::string, std::less<>> seen_;
  ChargeInput input_;
  std::optional<ChargeRejection> rejection_;
  std::optional<std::string> out_of_range_;  // a value out of range, refused at the next event
};

bool ChargeSax::container(std::string_view what) {
  if (!in_object_ && !done_) {
    if (what != "an object") return reject("body must be a JSON object");
    in_object_ = true;
    return true;
  }
  return wrong_type(what);
}

bool ChargeSax::wrong_type(std::string_view what) {
  if (!in_object_) return reject("body must be a JSON object");
  return reject(fmt::format("{} must be {}, not {}", key_, expected_type(), what));
}

bool ChargeSax::string(string_t& value) {
  if (!in_object_) return reject("body must be a JSON object");
  if (field_ != Field::vehicle_id) return wrong_type("a string");
  if (!proto::valid_id(value)) return reject("vehicle_id must be 1 to 64 printable ASCII characters");
  input_.vehicle_id = std::move(value);
  in_value_ = false;
  return true;
}

bool ChargeSax::number(double value, bool integer) {
  if (!in_object_) return reject("body must be a JSON object");
  if (field_ == Field::vehicle_id) return wrong_type("a number");
  auto problem = out_of_range(*field_, value);
  // 1.0 is a priority of one to a reader, but a float to JSON: a priority is written as an integer.
  if (!problem && *field_ == Field::priority && !integer) problem = out_of_range(Field::priority, 0.5);
  if (problem) {
    // Not refused yet: the parser hands over "01" as 0 and only then finds the 1, and invalid
    // JSON must be called that, not a number out of range. The next event decides.
    out_of_range_ = fmt::format("{} {}", key_, *problem);
    return true;
  }
  switch (*field_) {
    case Field::power_kw: input_.power_kw = value; break;
    case Field::energy_kwh: input_.energy_kwh = value; break;
    case Field::min_power_kw: input_.min_power_kw = value; break;
    case Field::departs_in_s: input_.departs_in_s = value; break;
    case Field::priority: input_.priority = static_cast<std::uint32_t>(value); break;
    case Field::vehicle_id: break;
  }
  in_value_ = false;
  return true;
}

bool ChargeSax::key(string_t& name) {
  if (out_of_range_) return reject(std::move(*out_of_range_));
  if (seen_.contains(name)) return reject(fmt::format("duplicate field '{}'", name));
  field_ = field_named(name);
  // Unknown names are not echoed raw: they may be anything the client sent, up to the body limit.
  if (!field_) {
    if (name.size() > 64 || !proto::valid_id(name)) return reject(fmt::format("unknown field (expected {})", field_list));
    return reject(fmt::format("unknown field '{}' (expected {})", name, field_list));
  }
  key_ = name;
  seen_.insert(std::move(name));
  in_value_ = true;
  return true;
}

bool ChargeSax::parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& error) {
  constexpr int number_overflow = 406;
  if (error.id == number_overflow) {
    if (in_value_) return reject(fmt::format("{} must be a finite number", key_));
    return reject(fmt::format("malformed JSON at byte {}: number out of range", position));
  }
  std::string message = fmt::format("malformed JSON at byte {}: {}", position, describe(error));
  if (in_value_) message += fmt::format(" (in the value of {})", key_);
  return reject(std::move(message));
}

ChargeParse ChargeSax::result() && {
  if (rejection_) return *rejection_;
  if (!seen_.contains("vehicle_id")) return ChargeRejection{400, "vehicle_id is required"};
  // A minimum above the maximum could never be allocated: the car would wait paused forever.
  if (input_.min_power_kw > input_.power_kw) {
    return ChargeRejection{400, fmt::format("min_power_kw must be at most power_kw ({})", input_.power_kw)};
  }
  return std::move(input_);
}

// Why `content_type` is not JSON we accept, or empty when it is.
std::optional<std::string> content_type_problem(std::string_view content_type) {
  static constexpr std::string_view must = "Content-Type must be application/json";
  auto semicolon = content_type.find(';');
  if (!iequals(trim(content_type.substr(0, semicolon)), "application/json")) return std::string(must);
  while (semicolon != std::string_view::npos) {
    content_type = content_type.substr(semicolon + 1);
    semicolon = content_type.find(';');
    const auto parameter = content_type.substr(0, semicolon);
    const auto equals = parameter.find('=');
    if (equals == std::string_view::npos || !iequals(trim(parameter.substr(0, equals)), "charset")) continue;
    auto value = trim(parameter.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    // JSON on the wire is UTF-8 (RFC 8259): a body announced in another charset is refused.
    if (iequals(value, "utf-8") || iequals(value, "utf8")) continue;
    // Named back when it is a plausible charset name, never raw bytes of any length.
    const bool nameable = !value.empty() && value.size() <= 40 && proto::valid_id(value) &&
                          value.find_first_of("\"") == std::string_view::npos;
    return fmt::format("{} with charset UTF-8, not {}", must,
                       nameable ? fmt::format("charset {}", value) : std::string(value.empty() ? "an empty charset" : "that charset"));
  }
  return std::nullopt;
}

}  // namespace

bool is_json_content_type(std::string_view content_type) { return !content_type_problem(content_type); }

ChargeParse parse_charge_request(std::string_view content_type, std::string_view body) {
  if (auto problem = content_type_problem(content_type)) return ChargeRejection{415, std::move(*problem)};
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return ChargeRejection{400, "body is empty: expected a JSON object with vehicle_id"};
  }
  ChargeSax sax;
  bool parsed = false;
  try {
    parsed = json::sax_parse(body.data(), body.data() + body.size(), &sax, json::input_format_t::json, /*strict=*/true, /*ignore_comments=*/false);
  } catch (const json::exception& error) {
    // sax_parse reports through parse_error; this is only a guard for what it might still throw.
    return ChargeRejection{400, fmt::format("malformed JSON: {}", describe(error))};
  }
  if (!parsed && !sax.rejection()) return ChargeRejection{400, "malformed JSON"};
  return std::move(sax).result();
}

ChargeParse parse_charge(const http::Request& request) {
  // Two values for one of these would be a guess which one the client meant: refuse to guess.
  for (const std::string_view name : {"Content-Type", "Idempotency-Key"}) {
    if (const auto count = request.header_count(name); count > 1) {
      return ChargeRejection{400, fmt::format("{} must be sent once, not {} times", name, count)};
    }
  }
  auto parsed = parse_charge_request(request.content_type, request.body);
  auto* input = std::get_if<ChargeInput>(&parsed);
  const auto key = request.header("Idempotency-Key");
  if (!input || !key) return parsed;
  auto id = request_id_for_key(*key);
  if (!id) {
    return ChargeRejection{400, key->empty() ? "Idempotency-Key is empty: it must be 1-62 printable ASCII characters"
                                             : "Idempotency-Key must be 1-62 printable ASCII characters"};
  }
  input->request_id = std::move(*id);
  return parsed;
}

std::optional<std::string> request_id_for_key(std::string_view key) {
  std::string id = "k-" + std::string(key);
  if (key.empty() || !proto::valid_id(id)) return std::nullopt;
  return id;
}

}  // namespace grid::edge
