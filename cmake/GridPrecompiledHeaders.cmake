# Precompiled headers: the third-party headers nearly all of our sources include (spdlog and fmt,
# cppzmq, the common std headers; doctest in the tests) are parsed once per build instead of once
# per source file. Measured on one node source (gcc 12, CPU seconds): 5.9 to
# compile at -O2 -g, of which 1.4 is parsing, and a PCH load takes that down to 0.4; under
# ASan/UBSan at -O0 the saving is the same. Building a PCH costs about 5 s, so there are only two,
# each built once and reused (REUSE_FROM) by the other targets:
#   grid_util              libgrid's parts, the node libraries, the executables
#   grid_test_support      the test executables (the same headers plus doctest): 0.6-1.0 s less
#                          per test source at -O2, 0.8-1.5 s under ASan/UBSan
# With gcc 12 at -O2, a source compiled through a PCH can fail -Werror on a false -Warray-bounds
# inside std::string (char_traits.h) that it does not report without one: the std headers'
# warnings are then not silenced as system headers' are. tests/unit/edge/edge_node_test.cpp does;
# if a new source does, list it with SKIP_PRECOMPILE_HEADERS next to it (tests/CMakeLists.txt)
# rather than turn the warning off.
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
