# With GRID_SANITIZE every target (ours and the tests) is built with ASan and UBSan.
# UBSan findings abort so that a test fails instead of printing and passing. float-cast-overflow
# is not part of GCC's "undefined" group, and the grid converts doubles (kW, seconds) to integers
# (watts, nanoseconds), so it is asked for by name.
if(GRID_SANITIZE)
  add_compile_options(-fsanitize=address,undefined,float-cast-overflow
                      -fno-sanitize-recover=undefined,float-cast-overflow -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined,float-cast-overflow)
endif()
