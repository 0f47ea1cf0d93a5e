#pragma once
// How the operator console's files and state are served (docs/console.md): never cached, so a
// new edge binary's page is what the browser shows, and under a Content-Security-Policy that
// allows only this edge's own script, style and images: no inline script, no other origin, so
// nothing a substation id or a balancer's words contain can run in the operator's browser.
// Thread-safety: pure and reentrant.

#include <string_view>

#include "embedded_files.h"
#include "grid/http/server.h"

namespace grid::edge {

inline constexpr std::string_view console_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The headers every console answer carries (no-store, the policy, nosniff, no referrer).
void add_console_headers(http::Response& response);
// 200 with the file, its content type and the console headers.
http::Response console_file_response(const EmbeddedFile& file);

}  // namespace grid::edge
