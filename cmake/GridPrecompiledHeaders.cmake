# Precompiled headers: the third-party headers nearly all of our sources include (spdlog and fmt,
# cppzmq, the common std headers) are parsed once per build instead of once per source file. Measured on one node source (gcc 12, CPU seconds): 5.9 to
# compile at -O2 -g, of which 1.4 is parsing, and a PCH load takes that down to 0.4; under
# ASan/UBSan at -O0 the saving is the same. Building a PCH costs about 5 s, so there is one,
# built by grid_util and reused (REUSE_FROM) by libgrid's parts, the node libraries and the
# executables.
# Not the tests, though it saved them 0.6-1.4 s per source: with gcc 12 at -O2, a test source
# (tests/unit/edge/edge_node_test.cpp) compiled with the PCH fails -Werror on a known false
# -Warray-bounds inside std::string's char_traits.h, which the same source without a PCH does not
# report (through a PCH, the std headers' warnings are not silenced as system headers' are).
# The same can happen to a new source of ours: then mark that source SKIP_PRECOMPILE_HEADERS
# (set_source_files_properties) rather than turn the warning off.
# A PCH is only valid for a compilation with the same flags and the same macro definitions its
# headers test; the reusing targets all link grid::util (so spdlog's SPDLOG_* definitions) and get
# their options from grid_warnings and the global sanitizer options, so they match. gcc checks
# that (-Winvalid-pch, an error under GRID_WERROR): a target that cannot reuse one fails loudly.
# Loading a PCH is not free: with nlohmann-json and prometheus-cpp in it too (a 154 MB .gch),
# loading took 0.8 s, longer than a small source takes to compile without one (0.6 s); without
# them (114 MB) 0.3 s. So only what nearly every source includes is in it. Boost.Beast/Asio,
# msgpack and CLI11 are left out too: each is included by a handful of sources, where the time
# goes into instantiating and optimizing, not parsing.
option(GRID_PCH "Precompile the common third-party headers (faster builds)" ON)
# The fuzz build (clang, GRID_FUZZ) instruments some libraries and not others, so the flags of a
# shared PCH cannot match; it builds a few targets only.
if(GRID_FUZZ)
  set(GRID_PCH OFF)
endif()

set(grid_pch_headers
  <algorithm> <chrono> <functional> <map> <memory> <optional> <string> <string_view> <vector>
  <spdlog/spdlog.h> <zmq.hpp>)

# grid_pch_build(target [extra headers...]): target builds the shared PCH.
function(grid_pch_build target)
  if(GRID_PCH)
    target_precompile_headers(${target} PRIVATE ${grid_pch_headers} ${ARGN})
  endif()
endfunction()

# grid_pch_reuse(target from): target compiles with the PCH that `from` built.
function(grid_pch_reuse target from)
  if(GRID_PCH)
    target_precompile_headers(${target} REUSE_FROM ${from})
  endif()
endfunction()
