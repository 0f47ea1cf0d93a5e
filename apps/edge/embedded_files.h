#pragma once
// Files compiled into the edge binary (the operator console's page, style and script), so the
// console works with nothing installed beside the binary and nothing fetched at run time. The
// table is generated at build time by cmake/GridEmbedFiles.cmake from apps/edge/console/.
// Thread-safety: immutable static data, readable from any thread.

#include <span>
#include <string_view>

namespace grid::edge {

struct EmbeddedFile {
  std::string_view path;          // the URL path it is served at, e.g. "/console/console.js"
  std::string_view content_type;  // from the file's extension
  std::string_view body;
};

std::span<const EmbeddedFile> console_files();

}  // namespace grid::edge
